/**
 * The Python stacks: one small Flask app (apps/python/bench_flask.py) on Python's own
 * `wsgiref.simple_server` (the baseline), on gunicorn (a peer), and inside Express through
 * `toExpress(fromPython(…))` (ours: CPython compiled to WebAssembly, in a worker thread).
 *
 * The Python servers are processes of their own: the bench child (a Node process, as for every
 * stack) spawns them and answers for them; its CPU figure is theirs (the whole process tree,
 * read from /proc), so the ratio compares what each server spent per request.
 *
 * @module
 */
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { pinning } from '../spawn.mjs'
import { ECHO_BODY, HELLO_TEXT, MOUNT } from '../workloads.mjs'
import { HOST } from './listen.mjs'
import { serveListener } from './node.mjs'

/** @typedef {import('./index.mjs').Running} Running */

/** The folder of the Flask app, and Debian's pure-Python packages (python3-flask, gunicorn). */
export const APPS = fileURLToPath(new URL('../apps/python/', import.meta.url))
export const DIST_PACKAGES = '/usr/lib/python3/dist-packages'

/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
const TICKS = (() => {
  const answer = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
  const ticks = Number(answer.stdout?.trim())
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100
})()

/**
 * CPU time (user + system, µs) of `pid` and every process below it (gunicorn's worker is a child
 * of its master): /proc/<pid>/stat's utime and stime, children found through
 * /proc/<pid>/task/<tid>/children.
 *
 * @param {number} pid
 * @returns {number}
 */
export function treeCpuMicros(pid) {
  let ticks = 0
  const stack = [pid]
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    try {
      const stat = readFileSync(`/proc/${next}/stat`, 'latin1')
      // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
      for (const tid of readdirSync(`/proc/${next}/task`)) {
        const children = readFileSync(`/proc/${next}/task/${tid}/children`, 'latin1').trim()
        if (children !== '') stack.push(...children.split(' ').map(Number))
      }
    } catch {
      // The process ended between the listing and the read: it counts no more.
    }
  }
  return (ticks * 1e6) / TICKS
}

/**
 * Why the Python servers cannot run here, or `undefined`: python3 with Debian's Flask, and
 * gunicorn when `gunicorn` is asked for.
 *
 * @param {boolean} gunicorn
 * @returns {string | undefined}
 */
export function pythonMissing(gunicorn) {
  const flask = spawnSync('python3', ['-c', 'import flask'], {
    env: { ...process.env, PYTHONPATH: DIST_PACKAGES },
    encoding: 'utf8',
  })
  if (flask.error !== undefined) return 'python3 is not installed (apt-get install python3-flask)'
  if (flask.status !== 0) return 'Flask is not installed (apt-get install python3-flask)'
  if (gunicorn) {
    const probe = spawnSync('gunicorn', ['--version'], { encoding: 'utf8' })
    if (probe.error !== undefined || probe.status !== 0) {
      return 'gunicorn is not installed (apt-get install gunicorn)'
    }
  }
  return undefined
}

/**
 * Spawn a Python server, pinned to the server CPU like every bench server, and wait for `port`
 * to find its port in what it writes.
 *
 * @param {string[]} argv
 * @param {'stdout' | 'stderr'} stream where the port shows
 * @param {RegExp} portPattern its first group is the port
 * @returns {Promise<Running & { cpu(): number }>}
 */
async function spawnPython(argv, stream, portPattern) {
  const command = pinning === undefined ? argv : ['taskset', '-c', pinning.server, ...argv]
  const child = spawn(/** @type {string} */ (command[0]), command.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONPATH: `${APPS}:${DIST_PACKAGES}`, PYTHONUNBUFFERED: '1' },
  })
  // Everything it writes goes on to the bench child's log.
  child.stdout.pipe(process.stdout)
  child.stderr.pipe(process.stderr)
  // The bench child may exit without closing its server (the parent went away, the 3 s exit
  // deadline): the Python server must not outlive it.
  const killOnExit = () => {
    child.kill('SIGTERM')
  }
  process.once('exit', killOnExit)
  child.once('exit', () => {
    process.off('exit', killOnExit)
  })
  const port = await new Promise((resolve, reject) => {
    let seen = ''
    /** @param {Buffer} data */
    const onData = (data) => {
      seen += data.toString('latin1')
      const match = portPattern.exec(seen)
      if (match !== null) {
        child[stream].off('data', onData)
        child.off('exit', onExit)
        resolve(Number(match[1]))
      }
    }
    /** @param {number | null} code */
    const onExit = (code) => {
      reject(new Error(`${argv.join(' ')} exited (${code}) before listening`))
    }
    child[stream].on('data', onData)
    child.once('exit', onExit)
  })
  return {
    port,
    cpu: () => treeCpuMicros(child.pid ?? 0),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    },
  }
}

/**
 * Ask `port` for hello and echo once each: Pyodide loads at the first request (seconds), and
 * Flask's first request of each route does work of its own; none of that may fall in a round.
 *
 * @param {number} port
 */
async function warm(port) {
  const base = `http://${HOST}:${port}${MOUNT}`
  const hello = await (await fetch(`${base}/hello`)).text()
  if (hello !== HELLO_TEXT) throw new Error(`warm-up: hello answered ${JSON.stringify(hello)}`)
  const res = await fetch(`${base}/echo`, { method: 'POST', body: ECHO_BODY })
  await res.arrayBuffer()
}

/** @type {Record<string, () => Promise<Running>>} */
export const stacks = {
  'python-wsgiref': async () => {
    const argv = ['python3', `${APPS}wsgiref_server.py`, APPS, DIST_PACKAGES]
    const running = await spawnPython(argv, 'stdout', /^(\d+)$/m)
    await warm(running.port)
    return running
  },

  // One sync worker: one request at a time, as wsgiref and one Pyodide interpreter serve.
  'python-gunicorn': async () => {
    const running = await spawnPython(
      [
        'gunicorn',
        '--bind',
        `${HOST}:0`,
        '--workers',
        '1',
        '--worker-class',
        'sync',
        '--log-level',
        'info',
        'bench_flask:mounted',
      ],
      'stderr',
      /Listening at: http:\/\/[\d.]+:(\d+)/,
    )
    await warm(running.port)
    return running
  },

  'python-express': async () => {
    const { toExpress } = await import('@wsgi/adapter-express')
    const { fromPython } = await import('@wsgi/adapter-python')
    const { bareExpress } = await import('../apps/express.mjs')
    const app = bareExpress()
    app.use(MOUNT, toExpress(fromPython('bench_flask:app', { paths: [APPS, DIST_PACKAGES] })))
    const running = await serveListener(app)
    await warm(running.port)
    return running
  },
}
