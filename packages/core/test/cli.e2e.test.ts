/**
 * End-to-end tests of the `wsgi` command: the built `dist/bin/wsgi.js` is run with plain `node`,
 * as a user runs it, and talked to over real sockets. Also proves that CommonJS code can
 * `require()` the built package.
 *
 * @module
 */

import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'

const core = fileURLToPath(new URL('..', import.meta.url))
const root = join(core, '..', '..')
const bin = join(core, 'dist', 'bin', 'wsgi.js')
const fixtures = join(core, 'test', 'fixtures', 'cli')

// Every source file of the build, and the JavaScript tsc emits for it.
function* sources(dir: string): Generator<[source: string, output: string]> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* sources(path)
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      yield [path, join(core, 'dist', relative(join(core, 'src'), path)).replace(/\.ts$/, '.js')]
    }
  }
}

function distIsStale(): boolean {
  for (const [source, output] of sources(join(core, 'src'))) {
    if (!existsSync(output) || statSync(output).mtimeMs < statSync(source).mtimeMs) return true
  }
  return false
}

beforeAll(() => {
  if (!distIsStale()) return
  try {
    execFileSync('pnpm', ['exec', 'tsc', '-b'], { cwd: root, stdio: 'pipe' })
  } catch {
    // tsc -b still emits when some other file has a type error; the checks below decide.
  }
  expect(existsSync(bin)).toBe(true)
}, 120_000)

/** A running `wsgi` process. */
interface CLI {
  readonly child: ChildProcess
  readonly port: number
  stdout: string
  stderr: string
  readonly exited: Promise<number | null>
}

function run(args: readonly string[]): {
  child: ChildProcess
  out: { stdout: string; stderr: string }
  exited: Promise<number | null>
} {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: fixtures,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const out = { stdout: '', stderr: '' }
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out.stdout += text))
  child.stderr.setEncoding('utf8').on('data', (text: string) => (out.stderr += text))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code)
    }),
  )
  return { child, out, exited }
}

/** Runs the command to its end. */
async function runToEnd(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { out, exited } = run(args)
  const code = await exited
  return { code, ...out }
}

/** Starts `wsgi serve …` and resolves once it printed its banner. Killed after the test. */
async function serve(args: readonly string[]): Promise<CLI> {
  const { child, out, exited } = run(['serve', '--port', '0', ...args])
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (): void => {
      const match = /port (\d+)/.exec(out.stdout)
      if (match) {
        child.stdout!.off('data', onData)
        resolve(Number(match[1]))
      }
    }
    child.stdout!.on('data', onData)
    void exited.then((code) => {
      reject(new Error(`wsgi exited with ${code} before listening:\n${out.stderr}`))
    })
  })
  return {
    child,
    port,
    exited,
    get stdout() {
      return out.stdout
    },
    get stderr() {
      return out.stderr
    },
  }
}

interface Reply {
  status: number
  body: string
}

// One request on a fresh connection (no keep-alive), so that a cluster spreads them.
function get(port: number, path = '/', host = '127.0.0.1'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (text: string) => (body += text))
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('wsgi --help, --version and bad usage', () => {
  it('prints the usage and exits 0 for --help', async () => {
    const { code, stdout } = await runToEnd(['--help'])
    expect(code).toBe(0)
    expect(stdout).toContain('Usage: wsgi serve [module[:export]]')
  })

  it('prints the package version and exits 0 for --version', async () => {
    const { code, stdout } = await runToEnd(['--version'])
    expect(code).toBe(0)
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
    // (cli-serve.e2e.test.ts checks it is the version in package.json.)
  })

  it.each([
    [[], /missing command/],
    [['serve', '--port', 'eighty'], /--port must be an integer/],
    [['serve', '--workers', '0'], /--workers must be an integer/],
    [['serve', '--nope'], /Unknown option '--nope'/],
    [['serve', 'missing.mjs'], /cannot find module 'missing.mjs'/],
    [['serve', 'app.mjs:nope'], /module 'app.mjs' has no export 'nope'/],
    [['serve', 'app.mjs:notAnApp'], /42 is not an application/],
    [['serve', '--workers', '2', '--port', '0', 'missing.mjs'], /cannot find module 'missing.mjs'/],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const { code, stderr } = await runToEnd(args)
    expect(code).toBe(2)
    expect(stderr).toMatch(/wsgi: error: /)
    expect(stderr).toMatch(message)
  })

  it.each([[[]], [['--workers', '2']]])(
    'exits 1 with a clear message when the port is taken (%j)',
    async (extra) => {
      const taken = createServer()
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
      onTestFinished(
        () =>
          new Promise<void>((resolve) =>
            taken.close(() => {
              resolve()
            }),
          ),
      )
      const { port } = taken.address() as AddressInfo
      const args = ['serve', '--host', '127.0.0.1', '--port', String(port), ...extra]
      const { code, stderr } = await runToEnd(args)
      expect(code).toBe(1)
      expect(stderr).toContain(
        `wsgi: error: cannot listen on 127.0.0.1:${port}: address already in use`,
      )
    },
  )

  it('exits 1 and shows the error when the module throws while loading', async () => {
    const { code, stderr } = await runToEnd(['serve', '--port', '0', 'throws.mjs'])
    expect(code).toBe(1)
    expect(stderr).toContain('boom while loading the fixture')
  })
})

describe('wsgi serve', () => {
  it('serves the demo app when no module is named, on every interface by default', async () => {
    const cli = await serve([])
    expect(cli.stdout).toMatch(
      new RegExp(
        `^Serving HTTP on \\S+ port ${cli.port} \\(every interface; open http://localhost:${cli.port}/\\) \\.\\.\\.$`,
        'm',
      ),
    )
    const reply = await get(cli.port, '/xyz?abc')
    expect(reply.status).toBe(200)
    expect(reply.body).toContain('Hello world!')
    expect(reply.body).toContain("PATH_INFO = '/xyz'")
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
  })

  it.each([
    ['app.mjs', 'esm default |/x'],
    ['app.mjs:hello', 'esm hello |/x'],
    ['app.mjs:nested.deeper.app', 'esm nested |/x'],
    ['app.cjs', 'cjs module.exports /x'],
    ['app.cjs:admin', 'cjs admin /x'],
    ['named.cjs:api', 'cjs api'],
    ['transpiled.cjs', 'transpiled default'],
  ])('serves %s', async (spec, body) => {
    const cli = await serve(['--host', '127.0.0.1', spec])
    expect(cli.stdout).toContain(`(http://127.0.0.1:${cli.port}/)`)
    expect(await get(cli.port, '/x')).toEqual({ status: 200, body })
  })

  it('answers 500 and logs the validator message with --validate', async () => {
    const cli = await serve(['--host', '127.0.0.1', '--validate', 'invalid.mjs'])
    const reply = await get(cli.port)
    expect(reply.status).toBe(500)
    expect(reply.body).not.toContain('should not get here')
    await expect.poll(() => cli.stderr).toContain('No Content-Type header found in headers')
  })

  it.each([
    [[], true],
    [['--no-access-log'], false],
  ])('with %j logs each request to stderr: %s', async (flags, logged) => {
    const cli = await serve(['--host', '127.0.0.1', ...flags, 'app.mjs'])
    expect((await get(cli.port, '/logged')).status).toBe(200)
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
    expect(cli.stderr.includes('"GET /logged HTTP/1.1" 200')).toBe(logged)
  })

  it('answers 413 for a body over --input-limit, and reads one under it', async () => {
    const cli = await serve(['--host', '127.0.0.1', '--input-limit', '10', 'count.mjs'])
    const post = async (body: string) => {
      const res = await fetch(`http://127.0.0.1:${cli.port}/`, { method: 'POST', body })
      return { status: res.status, body: await res.text() }
    }
    expect((await post('x'.repeat(100))).status).toBe(413)
    expect(await post('12345')).toEqual({ status: 200, body: '5' })
  })

  it('serves the invalid app unchecked without --validate', async () => {
    const cli = await serve(['--host', '127.0.0.1', 'invalid.mjs'])
    expect((await get(cli.port)).status).toBe(200)
  })

  it('lets a request in flight finish on SIGTERM, then exits 0', async () => {
    const cli = await serve(['--host', '127.0.0.1', 'slow.mjs'])
    const reply = await inFlight(cli.port, () => cli.child.kill('SIGTERM'))
    expect(reply).toEqual({
      status: 200,
      body: 'started\nchunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\ndone\n',
    })
    expect(await cli.exited).toBe(0)
  })

  it('stops the same way on SIGINT', async () => {
    const cli = await serve(['--host', '127.0.0.1', 'slow.mjs'])
    const reply = await inFlight(cli.port, () => cli.child.kill('SIGINT'))
    expect(reply.body.endsWith('done\n')).toBe(true)
    expect(await cli.exited).toBe(0)
  })
})

// Sends a request to slow.mjs and calls `signal` once its first chunk arrived.
function inFlight(port: number, signal: () => void): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (text: string) => {
        if (body === '') signal()
        body += text
      })
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('wsgi serve --workers', () => {
  interface Info {
    pid: number
    multiprocess: unknown
  }

  async function pids(port: number, count: number): Promise<Info[]> {
    const infos: Info[] = []
    for (let i = 0; i < count; i++) infos.push(JSON.parse((await get(port)).body) as Info)
    return infos
  }

  it('answers from several worker processes with wsgi.multiprocess true', async () => {
    const cli = await serve(['--host', '127.0.0.1', '--workers', '2', 'worker-info.mjs'])
    expect(cli.stdout).toContain('with 2 workers')
    const infos = await pids(cli.port, 10)
    expect(infos.every((info) => info.multiprocess === true)).toBe(true)
    const seen = new Set(infos.map((info) => info.pid))
    expect(seen.size).toBe(2)
    expect(seen.has(cli.child.pid!)).toBe(false)
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
  })

  it('restarts a worker that dies', async () => {
    const cli = await serve(['--host', '127.0.0.1', '--workers', '2', 'worker-info.mjs'])
    const before = new Set((await pids(cli.port, 6)).map((info) => info.pid))
    const [victim] = before
    process.kill(victim!, 'SIGKILL')
    await expect
      .poll(() => cli.stderr)
      .toMatch(new RegExp(`worker ${victim} died \\(signal SIGKILL\\); starting a new one`))
    // The replacement answers once it listens; until then the survivor does.
    await expect
      .poll(async () => (await pids(cli.port, 2)).some((info) => !before.has(info.pid)), {
        timeout: 10_000,
      })
      .toBe(true)
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
  })

  it('finishes a request in flight when the primary gets SIGTERM, then exits 0', async () => {
    const cli = await serve(['--host', '127.0.0.1', '--workers', '2', 'slow.mjs'])
    const reply = await inFlight(cli.port, () => cli.child.kill('SIGTERM'))
    expect(reply).toEqual({
      status: 200,
      body: 'started\nchunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\ndone\n',
    })
    expect(await cli.exited).toBe(0)
  })
})

describe("require('@wsgi/core') from CommonJS", () => {
  it('loads the built ESM package with require(), by path and by name', () => {
    const report = JSON.parse(
      execFileSync(process.execPath, [join(fixtures, 'require-core.cjs')], { encoding: 'utf8' }),
    ) as Record<string, unknown>
    expect(report).toMatchObject({
      sameModule: true,
      WSGIError: 'function',
      EXTENSION_PREFIX: 'wsgits.',
      code: 'ERR_WSGI_INVALID_STATUS',
    })
    expect(report['keys']).toEqual(
      expect.arrayContaining(['WSGIError', 'isWSGIError', 'ERROR_CODES']),
    )
  })
})
