/**
 * `pnpm test:runtimes`: serve ./app.mjs (a gateway app through toFetch, and a Hono app through
 * toFetch(fromFetch(…))) on the real Bun, Deno and workerd (installed from npm), and check each
 * from Node with a real client over 127.0.0.1: GET, a streamed POST echo, the round trip, the
 * client's address as REMOTE_ADDR, and an abort mid-stream after which the gateway body's
 * `close()` must have run exactly once.
 *
 * Runs the built dist (`pnpm test:runtimes` builds first). Readiness is found by polling the
 * port, never by sleeping; every wait has a deadline; each child is killed at the end.
 *
 * Usage: node run.mjs [bun|deno|workerd …] (all three by default)
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
// The runtimes are devDependencies of the workspace root.
const rootRequire = createRequire(join(here, '../../../package.json'))
const packageDir = (name) => dirname(rootRequire.resolve(`${name}/package.json`))

/** Generous: a busy 2-core machine starts a runtime slowly. */
const READY_MS = 90_000
const REQUEST_MS = 30_000
const CLOSE_MS = 30_000

const RUNTIMES = {
  bun: () => ({
    command: join(packageDir('bun'), 'bin', 'bun.exe'),
    args: [join(here, 'bun.mjs')],
    clientAddress: '127.0.0.1',
  }),
  deno: () => ({
    command: join(packageDir('deno'), 'deno'),
    args: [
      'run',
      '--no-lock',
      '--allow-env',
      '--allow-net',
      '--allow-read',
      join(here, 'deno.mjs'),
    ],
    clientAddress: '127.0.0.1',
  }),
  workerd: async (port) => {
    const { build } = await import('esbuild')
    const dir = mkdtempSync(join(tmpdir(), 'wsgi-workerd-'))
    await build({
      entryPoints: [join(here, 'workerd.mjs')],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['module', 'main'],
      outfile: join(dir, 'worker.js'),
      logLevel: 'error',
    })
    copyFileSync(join(here, 'workerd.capnp'), join(dir, 'workerd.capnp'))
    return {
      command: join(packageDir('workerd'), 'bin', 'workerd'),
      args: ['serve', join(dir, 'workerd.capnp'), `--socket-addr=http=127.0.0.1:${port}`],
      // workerd gives no peer address; behind Cloudflare this header carries it.
      clientAddress: '203.0.113.7',
      headers: { 'cf-connecting-ip': '203.0.113.7' },
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    }
  },
}

let passed = 0
let failed = 0

function check(name, ok, detail = '') {
  if (ok) passed += 1
  else failed += 1
  console.log(`${ok ? 'ok' : 'FAIL'} ${name}${ok || detail === '' ? '' : `: ${detail}`}`)
}

/** A port nobody listens on now (the child binds it next). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Poll until the server answers, or the child exits, or the deadline passes. */
async function waitReady(base, child) {
  const deadline = Date.now() + READY_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited early (${child.exitCode ?? child.signalCode})`)
    }
    try {
      const response = await fetch(`${base}/closes`, { signal: AbortSignal.timeout(5000) })
      await response.arrayBuffer()
      if (response.ok) return
    } catch {
      // Not listening yet.
    }
    await delay(200)
  }
  throw new Error(`not ready after ${READY_MS} ms`)
}

function request(url, init = {}) {
  return fetch(url, { signal: AbortSignal.timeout(REQUEST_MS), ...init })
}

/** A request body streamed in `count` chunks of `size` bytes, each chunk a different byte. */
function streamedBody(count, size) {
  let sent = 0
  return new ReadableStream({
    pull(controller) {
      if (sent === count) {
        controller.close()
        return
      }
      controller.enqueue(new Uint8Array(size).fill(sent % 251))
      sent += 1
    },
  })
}

function sameBytes(bytes, count, size) {
  if (bytes.length !== count * size) return false
  for (let i = 0; i < bytes.length; i += size) if (bytes[i] !== (i / size) % 251) return false
  return true
}

async function closeCount(base, id, headers) {
  const response = await request(`${base}/closes`, { headers })
  const counts = await response.json()
  return counts[id]
}

async function checkRuntime(name, base, runtime) {
  const headers = runtime.headers ?? {}

  const hello = await request(`${base}/gw/hello`, { headers })
  const helloText = await hello.text()
  check(`${name}: GET through toFetch`, hello.status === 200, `${hello.status}`)
  check(
    `${name}: REMOTE_ADDR is the client's address`,
    helloText === `hello ${runtime.clientAddress} GET`,
    JSON.stringify(helloText),
  )

  const echo = await request(`${base}/gw/echo`, {
    method: 'POST',
    headers,
    body: streamedBody(64, 16384),
    duplex: 'half',
  })
  const echoed = new Uint8Array(await echo.arrayBuffer())
  check(
    `${name}: POST echo streams 1 MiB through toFetch`,
    echo.status === 200 && sameBytes(echoed, 64, 16384),
    `${echo.status}, ${echoed.length} bytes`,
  )

  const rt = await request(`${base}/rt/hello`, { headers: { ...headers, 'x-test': 'yes' } })
  const rtText = await rt.text()
  check(`${name}: toFetch(fromFetch(hono)) GET`, rtText === 'hono yes', JSON.stringify(rtText))

  const rtEcho = await request(`${base}/rt/echo`, {
    method: 'POST',
    headers,
    body: streamedBody(16, 16384),
    duplex: 'half',
  })
  const rtEchoed = new Uint8Array(await rtEcho.arrayBuffer())
  check(
    `${name}: toFetch(fromFetch(hono)) POST echo`,
    rtEcho.status === 200 && sameBytes(rtEchoed, 16, 16384),
    `${rtEcho.status}, ${rtEchoed.length} bytes`,
  )

  // Abort mid-stream: read a few chunks, then go away. The body's close() must run, once.
  // The slow body waits on a timer between chunks (on workerd, timers of a cancelled request
  // never fire); the fast one is written as fast as it is read (Deno cancels the stream inside
  // the write that finds the client gone).
  // Several rounds: on Deno, which of its two ways to cancel comes first is a race.
  for (const [round, kind] of ['slow', 'fast', 'slow', 'fast', 'slow', 'fast'].entries()) {
    const id = `${name}-${round}-${Date.now()}`
    const controller = new AbortController()
    const slow = await request(`${base}/gw/${kind}?id=${id}`, {
      headers,
      signal: AbortSignal.any([controller.signal, AbortSignal.timeout(REQUEST_MS)]),
    })
    const reader = slow.body.getReader()
    let received = 0
    while (received < (kind === 'slow' ? 24 : 1 << 20)) {
      const step = await reader.read()
      if (step.done) break
      received += step.value.length
    }
    controller.abort()
    await reader.cancel().catch(() => undefined)
    const deadline = Date.now() + CLOSE_MS
    let count = await closeCount(base, id, headers)
    while (count === 0 && Date.now() < deadline) {
      await delay(100)
      count = await closeCount(base, id, headers)
    }
    // A second close() would come right after the first: give it the same chance to show.
    await delay(300)
    count = await closeCount(base, id, headers)
    check(
      `${name}: abort mid-stream runs close() exactly once (${kind}, ${round})`,
      count === 1,
      `${count}`,
    )
  }
}

// Children still running if this process ends early (an exception, a signal) are killed too.
const children = new Set()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.once(signal, () => process.exit(code))
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve()
      return
    }
    const hard = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(hard)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

async function runOne(name) {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const runtime = await RUNTIMES[name](port)
  const child = spawn(runtime.command, runtime.args, {
    cwd: here,
    env: { ...process.env, PORT: String(port), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  let output = ''
  child.stdout.on('data', (data) => (output += data))
  child.stderr.on('data', (data) => (output += data))
  try {
    await waitReady(base, child)
    await checkRuntime(name, base, runtime)
  } catch (error) {
    check(`${name}: runs`, false, error instanceof Error ? (error.stack ?? error.message) : error)
    console.log(`--- ${name} output ---\n${output}`)
  } finally {
    await stop(child)
    runtime.cleanup?.()
  }
}

const wanted = process.argv.slice(2)
for (const name of wanted.length > 0 ? wanted : Object.keys(RUNTIMES)) {
  if (!(name in RUNTIMES)) throw new Error(`unknown runtime ${name}`)
  await runOne(name)
}
console.log(`runtimes: ${passed} passed, ${failed} failed`)
process.exitCode = failed === 0 && passed > 0 ? 0 : 1
