/**
 * The parent's side of a child server: start it pinned to the server core, wait until it
 * listens, ask it things over IPC, stop it.
 *
 * @module
 */
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'

const CHILD = fileURLToPath(new URL('./child.mjs', import.meta.url))

/**
 * How processes are pinned: on Linux with `taskset` and at least two CPUs, the servers run on
 * CPU 1 and the parent (the load generator) on CPU 0, so the two never compete for a core.
 */
export const pinning = (() => {
  if (process.platform !== 'linux' || availableParallelism() < 2) return undefined
  const probe = spawnSync('taskset', ['-c', '1', 'true'])
  return probe.status === 0 ? { server: '1', client: '0' } : undefined
})()

/**
 * glibc's malloc settings every server runs with: the heap is not given back to the system after
 * each garbage collection. Node's HTTP parser copies each request body chunk (up to 64 KiB) into a
 * new malloc'd buffer; V8 frees them in bulk at each scavenge (about every 32 MiB of them). Where
 * those buffers sit at the top of the heap, glibc's default trims it (`brk` down) and the next
 * 32 MiB page-fault back in: up to 4x the server CPU of a 1 GiB upload, and in which process it
 * happens depends on how its heap happened to be laid out (the same stack was fast in one child
 * and slow in the next). Fixed thresholds (the most glibc's own dynamic ones reach: 32 MiB and
 * twice that) make every server alike. Appended to the caller's own tunables; ignored off glibc.
 */
export const MALLOC_TUNABLES =
  'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864'

/**
 * V8 flags of every server (baseline and bridges alike, every group, and the CPU judge's
 * children): a fixed heap growing factor, so that no row measures when V8 decides to re-mark the
 * heap. Each request body chunk arrives in a new `ArrayBuffer`, and Node 20's V8 then starts full
 * markings again and again whenever its old generation's next limit leaves little room: in a
 * process whose live heap is between about 8 and 11 MiB, and in any process of 12 MiB and more
 * once it has sat idle for about ten seconds.
 *
 * - Uploads (1 GiB): 20-29 mark-compacts and 0.8-1.1 s of CPU against none and 0.35-0.45 s, raw
 *   `node:http` included; which rows fell into it was luck (one run: `fromExpress` 0.36,
 *   `fromKoa` 0.38, Koa alone 0.43).
 * - 64 KiB echoes: a process falls into it or not for its whole life. Over 36 000 echoes
 *   `fromKoa` ran 51 mark-compacts at 68 µs per request, Koa alone 1 at 34 µs; with the fixed
 *   factor `fromKoa` ran 5, at 43 µs, and Koa was unchanged. The same stack measured 27 µs in one
 *   child and 54 µs in the next.
 *
 * With the factor fixed at 6 (`--heap-growing-percent=500`) no process of any size re-marked,
 * idle or not. It trades memory for CPU (the heap may grow to six times its live size before the
 * next full collection), the same for every server.
 */
export const SERVER_FLAGS = ['--heap-growing-percent=500']

/**
 * The environment of a server process: production mode, and {@link MALLOC_TUNABLES}.
 *
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {NodeJS.ProcessEnv}
 */
export function serverEnv(env = process.env) {
  const own = env['GLIBC_TUNABLES']
  const tunables = own === undefined || own === '' ? MALLOC_TUNABLES : `${own}:${MALLOC_TUNABLES}`
  return { ...env, NODE_ENV: 'production', GLIBC_TUNABLES: tunables }
}

/** Pin this process (all its threads) to the client CPU, when pinning is on. */
export function pinSelf() {
  if (pinning === undefined) return
  spawnSync('taskset', ['-a', '-p', '-c', pinning.client, String(process.pid)], { stdio: 'ignore' })
}

/**
 * A size field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in bytes.
 *
 * @param {number} pid
 * @param {string} field
 * @returns {number}
 */
function procStatus(pid, field) {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1')
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
  if (match === null) throw new Error(`no ${field} in /proc/${pid}/status`)
  return Number(match[1]) * 1024
}

/**
 * @typedef {object} SpawnOptions
 * @property {string} log file the child's stdout and stderr go to (the simple server's access log)
 * @property {string[]} [nodeOptions] extra node flags (`--cpu-prof`…)
 */

/** A running child server. */
export class Child {
  /** @type {import('node:child_process').ChildProcess} */
  #process
  /** @type {Map<number, (value: Record<string, any>) => void>} */
  #pending = new Map()
  #next = 0
  /** @type {string} */
  #log
  /** The stack id. */
  stack
  /** The port it listens on (0 for an in-process stack). */
  port = 0
  /** The process id. */
  pid = 0

  /**
   * @param {string} stack
   * @param {SpawnOptions} options
   */
  constructor(stack, options) {
    this.stack = stack
    this.#log = options.log
    const out = openSync(options.log, 'a')
    // Started on any CPU (loading a framework is quicker on two), pinned once it listens.
    this.#process = spawn(process.execPath, [...(options.nodeOptions ?? []), CHILD, stack], {
      stdio: ['ignore', out, out, 'ipc'],
      env: serverEnv(),
    })
    closeSync(out)
    this.pid = this.#process.pid ?? 0
    this.#process.on('message', (raw) => {
      const message = /** @type {Record<string, any>} */ (raw)
      const resolve = this.#pending.get(message['id'])
      if (resolve !== undefined) {
        this.#pending.delete(message['id'])
        resolve(message)
      }
    })
  }

  /**
   * Wait until the child listens.
   *
   * @param {number} [timeoutMs]
   * @returns {Promise<void>}
   */
  ready(timeoutMs = 20_000) {
    return new Promise((resolve, reject) => {
      const child = this.#process
      const timer = setTimeout(() => {
        fail(new Error(`${this.stack}: not ready after ${timeoutMs} ms`))
      }, timeoutMs)
      /** @param {unknown} raw */
      const onMessage = (raw) => {
        const message = /** @type {Record<string, any>} */ (raw)
        if (message['type'] === 'ready') {
          cleanup()
          this.port = message['port'] ?? 0
          if (pinning !== undefined) {
            // -a: every thread of the child (V8's and libuv's too), not only the main one.
            spawnSync('taskset', ['-a', '-p', '-c', pinning.server, String(this.pid)], {
              stdio: 'ignore',
            })
          }
          resolve()
        } else if (message['type'] === 'error') {
          fail(new Error(`${this.stack} failed to start:\n${message['message']}`))
        }
      }
      /** @param {number | null} code */
      const onExit = (code) => {
        fail(new Error(`${this.stack} exited (${code}) before listening:\n${this.logTail()}`))
      }
      const cleanup = () => {
        clearTimeout(timer)
        child.off('message', onMessage)
        child.off('exit', onExit)
      }
      /** @param {Error} error */
      const fail = (error) => {
        cleanup()
        reject(error)
      }
      child.on('message', onMessage)
      child.on('exit', onExit)
    })
  }

  /**
   * Ask the child something; resolves with its answer.
   *
   * @param {string} type
   * @param {Record<string, unknown>} [extra]
   * @param {number} [timeoutMs]
   * @returns {Promise<Record<string, any>>}
   */
  ask(type, extra = {}, timeoutMs = 120_000) {
    const id = ++this.#next
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new Error(`${this.stack}: no answer to ${type}`))
      }, timeoutMs)
      this.#pending.set(id, (message) => {
        clearTimeout(timer)
        if (typeof message['error'] === 'string')
          reject(new Error(`${this.stack}: ${message['error']}`))
        else resolve(message)
      })
      this.#process.send({ id, type, ...extra })
    })
  }

  /** CPU time the child used so far, in µs. */
  async cpu() {
    const answer = await this.ask('cpu')
    return /** @type {number} */ (answer['cpu'])
  }

  /**
   * Start watching the child's RSS; resolves with its RSS now, in bytes. On Linux the kernel keeps
   * the peak (`VmHWM`), reset here through `/proc/<pid>/clear_refs`, so the server is not
   * disturbed; elsewhere the child samples itself every 10 ms.
   *
   * @returns {Promise<number>}
   */
  async rssWatch() {
    this.#procPeak = false
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5')
      this.#procPeak = true
      return procStatus(this.pid, 'VmRSS')
    } catch {
      return /** @type {number} */ ((await this.ask('rss-watch'))['rss'])
    }
  }

  /**
   * The child's peak RSS since {@link rssWatch}, in bytes.
   *
   * @returns {Promise<number>}
   */
  async rssPeak() {
    if (this.#procPeak) return procStatus(this.pid, 'VmHWM')
    return /** @type {number} */ ((await this.ask('rss-peak'))['peak'])
  }

  #procPeak = false

  /** The last lines the child wrote (for an error message). */
  logTail() {
    try {
      return readFileSync(this.#log, 'latin1').split('\n').slice(-15).join('\n')
    } catch {
      return ''
    }
  }

  /**
   * Stop the child: ask it to exit (profiles get written), kill it if it does not.
   *
   * @returns {Promise<void>}
   */
  stop() {
    const child = this.#process
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
      }, 5000)
      child.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
      if (child.connected) child.send({ id: 0, type: 'exit' })
      else child.kill('SIGTERM')
    })
  }
}
