/**
 * One side of a CPU-judge comparison: `node --expose-gc cpu-judge-child.mjs <tree> <stack>
 * <workload> <rounds> <requests> <warmup> <depth>`. Builds the stack of the checkout `tree`
 * with that checkout's own bench/src/stacks and built packages, takes its `node:http` server,
 * drives it over an in-memory connection (cpu-judge-wire.mjs), and answers the parent over IPC
 * with the CPU µs per request of each round.
 *
 * - The server is found by wrapping `net.Server.prototype.listen` before the stack starts: every
 *   stack, old or new, listens once, so no stack needs a hook of its own. Its listening socket
 *   stays idle; every request goes through `server.emit('connection', memorySocket)`.
 * - `process.stderr.write` is replaced by a sink that keeps the first lines: the simple server's
 *   access log still formats its line per request but does not write it to a pipe (a system
 *   call), on both sides alike.
 * - Responses are checked: status 200 and the body's length on every one; the whole body on a
 *   batch before warm-up and one after the rounds.
 *
 * @module
 */
import { spawnSync } from 'node:child_process'
import { Server as HttpServer } from 'node:http'
import { createRequire } from 'node:module'
import { Server as NetServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { MemoryClient } from './cpu-judge-wire.mjs'
import { MALLOC_TUNABLES, SERVER_FLAGS, serverEnv } from './spawn.mjs'

// Run by hand (to set a stack beside its floor, or under --cpu-prof): run again as the judge runs
// it, with the bench servers' environment and flags. glibc reads its tunables only at start, and
// without them every 64 KiB body is a fresh mapping: an echo then costs several times its CPU.
if (!(process.env['GLIBC_TUNABLES'] ?? '').includes(MALLOC_TUNABLES)) {
  const again = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      ...SERVER_FLAGS,
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit', env: serverEnv() },
  )
  process.exit(again.status ?? 1)
}

const [tree = '', stack = '', workload = 'hello', ...numbers] = process.argv.slice(2)
const [rounds = 5, requests = 10_000, warmup = 10_000, depth = 1] = numbers.map(Number)

/**
 * Answer the parent; resolves once the message is out (so exiting after it loses nothing).
 *
 * @param {Record<string, unknown>} message
 * @returns {Promise<void>}
 */
function send(message) {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      process.stdout.write(`${JSON.stringify(message)}\n`)
      resolve()
    } else process.send(message, () => resolve())
  })
}

// The first lines of stderr, for a report when the stack fails; the rest is counted only.
let logged = ''
let logBytes = 0
process.stderr.write = /** @type {typeof process.stderr.write} */ (
  (/** @type {string | Uint8Array} */ chunk) => {
    logBytes += chunk.length
    if (logged.length < 4000) logged += String(chunk)
    return true
  }
)

/** @type {NetServer[]} */
const servers = []
const listen = NetServer.prototype.listen
NetServer.prototype.listen = /** @type {typeof listen} */ (
  function (/** @type {unknown[]} */ ...args) {
    servers.push(this)
    return listen.apply(this, /** @type {any} */ (args))
  }
)

/**
 * Stacks a checkout's stacks/index.mjs may lack (it predates them), built here from that
 * checkout's own modules and packages the way today's stacks/*.mjs build them.
 *
 * @type {Record<string, (tree: string) => Promise<{ close(): Promise<void> }>>}
 */
const RECIPES = {
  'fetch-from': async (dir) => {
    const bench = join(dir, 'bench')
    const resolve = createRequire(join(bench, 'package.json')).resolve
    /** @type {{ fromFetch: (handler: unknown) => unknown }} */
    const { fromFetch } = await import(pathToFileURL(resolve('@wsgi/adapter-fetch')).href)
    const { fetchHandler } = await import(pathToFileURL(join(bench, 'src/apps/native.mjs')).href)
    const { serveSimple } = await import(pathToFileURL(join(bench, 'src/stacks/node.mjs')).href)
    return serveSimple(fromFetch(fetchHandler))
  },
}

const HELLO_TEXT = 'Hello, World!'
const ECHO_BODY = Buffer.alloc(64 * 1024, 'wsgi-ts-bench:')

/**
 * The request of a workload, in the pieces a socket would deliver it (at most 64 KiB a read),
 * and the body the response must carry.
 *
 * @param {string} name
 * @returns {{ request: Buffer[], expect: Buffer }}
 */
function workloadOf(name) {
  if (name === 'hello') {
    return {
      request: [Buffer.from('GET /m/hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 'latin1')],
      expect: Buffer.from(HELLO_TEXT),
    }
  }
  if (name === 'echo') {
    const head = Buffer.from(
      'POST /m/echo HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        `Content-Type: application/octet-stream\r\nContent-Length: ${ECHO_BODY.length}\r\n\r\n`,
      'latin1',
    )
    const whole = Buffer.concat([head, ECHO_BODY])
    const READ = 64 * 1024
    /** @type {Buffer[]} */
    const request = []
    for (let at = 0; at < whole.length; at += READ) request.push(whole.subarray(at, at + READ))
    return { request, expect: ECHO_BODY }
  }
  throw new Error(`unknown workload ${name} (hello or echo)`)
}

/** CPU time of this process so far (user + system), in µs. */
function cpuMicros() {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

const gc = /** @type {(() => void) | undefined} */ (globalThis.gc)

async function main() {
  const index = await import(pathToFileURL(join(tree, 'bench/src/stacks/index.mjs')).href)
  /** @type {{ close(): Promise<void> }} */
  let running
  // A module of experiments/ (`file:///…/x.mjs`, as `ab.mjs` takes) is started by the stacks
  // index, which knows that form.
  if (stack in index.STACKS || stack.startsWith('file:')) running = await index.startStack(stack)
  else if (RECIPES[stack] !== undefined) running = await RECIPES[stack](tree)
  else throw new Error(`${tree} has no stack ${stack}`)
  const http = servers.filter((server) => server instanceof HttpServer)
  if (http.length !== 1) {
    throw new Error(`stack ${stack} listened with ${http.length} node:http servers (want 1)`)
  }
  const server = /** @type {import('node:http').Server} */ (http[0])

  const { request, expect } = workloadOf(workload)
  const client = new MemoryClient(
    server,
    request,
    (response) => {
      if (response.status !== 200) return `status ${response.status}, want 200`
      if (response.bodyLength !== expect.length) {
        return `body of ${response.bodyLength} bytes, want ${expect.length}`
      }
      if (response.body !== undefined && !response.body.equals(expect)) return 'body differs'
      return undefined
    },
    depth,
  )

  await client.run(50, { keepBody: true })
  // One collection before the warm-up, none between rounds: a forced full collection throws
  // away optimized code (a koa-to run made 712 TurboFan compilations with one per round, 188
  // without), so collecting before each round measured re-optimization on V8's background
  // threads, which a server pays only at its rare mark-compacts. The collections a round causes
  // on its own are still its cost.
  gc?.()
  await client.run(warmup)
  /** @type {number[]} */
  const perRequest = []
  /** @type {number[]} */
  const wallMs = []
  const logBefore = logBytes
  for (let round = 0; round < rounds; round++) {
    const wall = performance.now()
    const cpu = cpuMicros()
    await client.run(requests)
    perRequest.push((cpuMicros() - cpu) / requests)
    wallMs.push(performance.now() - wall)
  }
  const logPerRequest = (logBytes - logBefore) / (rounds * requests)
  await client.run(50, { keepBody: true })
  client.close()
  await running.close()
  await send({ type: 'result', perRequest, wallMs, logPerRequest })
}

main().then(
  () => {
    process.exit(0)
  },
  async (/** @type {unknown} */ error) => {
    await send({ type: 'error', message: `${String(error)}\n${logged.slice(0, 2000)}` })
    process.exit(1)
  },
)
