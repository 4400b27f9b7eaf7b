/**
 * `CGIHandler` and `IISCGIHandler` as real CGI scripts: node processes running the built core
 * (packages/core/dist), first spawned directly with a CGI environment, then behind Python's
 * `http.server --cgi`, fetched over HTTP.
 *
 * @module
 */
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startPythonCgi } from './helpers/python-cgi.ts'
import type { PythonCgi } from './helpers/python-cgi.ts'

const CORE = fileURLToPath(new URL('..', import.meta.url))
const DIST_ENTRY = join(CORE, 'dist/handlers/index.js')
const BUILD_INFO = join(CORE, '.tsbuild/build.tsbuildinfo')
const FIXTURES = join(CORE, 'test/fixtures/cgi')
const MAIN = join(FIXTURES, 'cgi-main.mjs')
const ERROR_BODY = 'A server error occurred.  Please contact the administrator.'

function newestSource(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path))
    else if (entry.name.endsWith('.ts') && !entry.name.includes('.test')) {
      newest = Math.max(newest, statSync(path).mtimeMs)
    }
  }
  return newest
}

// The scripts run the built JavaScript: build it when it is missing or older than the sources.
beforeAll(() => {
  const stale =
    !existsSync(DIST_ENTRY) ||
    !existsSync(BUILD_INFO) ||
    statSync(BUILD_INFO).mtimeMs < newestSource(join(CORE, 'src'))
  if (stale) {
    try {
      execFileSync('pnpm', ['exec', 'tsc', '-b', join(CORE, 'tsconfig.build.json')], {
        cwd: CORE,
        stdio: 'pipe',
      })
    } catch {
      // tsc -b exits non-zero for type errors anywhere in core but still emits; checked below.
    }
  }
  expect(existsSync(DIST_ENTRY)).toBe(true)
}, 120_000)

interface ScriptResult {
  stdout: Buffer
  stderr: string
  code: number | null
}

/**
 * Run the fixture script with a CGI environment given as byte strings (one character per byte,
 * so invalid UTF-8 can be passed: Python sets the raw bytes and execs node). stdin gets `body`
 * and stays open, as a CGI server may keep it.
 */
function runScript(
  app: string,
  env: Record<string, string>,
  body = '',
  handler = 'CGIHandler',
): Promise<ScriptResult> {
  const launcher = [
    'import json, os, sys',
    'env = {k.encode("latin-1"): v.encode("latin-1") for k, v in json.loads(sys.argv[1]).items()}',
    'os.execve(sys.argv[2], sys.argv[2:], env)',
  ].join('\n')
  const fullEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env }
  const child = spawn(
    'python3',
    ['-c', launcher, JSON.stringify(fullEnv), process.execPath, MAIN, app, handler],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  )
  child.stdin.on('error', () => {
    // The script may exit before it read everything; that is the point of some tests.
  })
  child.stdin.write(Buffer.from(body, 'latin1'))
  const stdout: Buffer[] = []
  const stderr: Buffer[] = []
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      child.stdin.destroy()
      resolve({
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr).toString('utf8'),
        code,
      })
    })
  })
}

interface EchoReport {
  method: string | null
  scriptName: string | null
  pathInfo: string | null
  query: string | null
  contentType: string | null
  contentLength: string | null
  userAgent: string | null
  cookie: string | null
  custom: string | null
  home: string | null
  body: string
  bodyLength: number
  bodySha256: string
  inputTerminated: boolean | null
  runOnce: boolean
  multithread: boolean
  multiprocess: boolean
  urlScheme: string
}

/** The JSON body of the echo app, out of a raw CGI response. */
function echoReport(raw: Buffer): EchoReport {
  const text = raw.toString('utf8')
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as EchoReport
}

const BASE_ENV = { SERVER_PROTOCOL: 'HTTP/1.1', SERVER_NAME: 'localhost', SERVER_PORT: '80' }

describe('CGIHandler run as a CGI script', () => {
  it('writes a Status header, the headers and the streamed body to stdout', async () => {
    const { stdout, stderr, code } = await runScript('stream', {
      ...BASE_ENV,
      REQUEST_METHOD: 'GET',
    })
    expect(stdout.toString('latin1')).toBe(
      'Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nchunk 0\nchunk 1\nchunk 2\nchunk 3\n',
    )
    expect(stderr).toBe('')
    expect(code).toBe(0)
  })

  it('reads CONTENT_LENGTH bytes of stdin and exits although stdin stays open', async () => {
    const { stdout, code } = await runScript(
      'echo',
      { ...BASE_ENV, REQUEST_METHOD: 'POST', CONTENT_LENGTH: '5' },
      'helloEXTRA',
    )
    const report = echoReport(stdout)
    expect(report.body).toBe('hello')
    expect(report.inputTerminated).toBe(true)
    expect(code).toBe(0)
  })

  it('exits when the app reads only part of the body', async () => {
    const { stdout, code } = await runScript(
      'peek',
      { ...BASE_ENV, REQUEST_METHOD: 'POST', CONTENT_LENGTH: '10' },
      '0123456789',
    )
    expect(stdout.toString('latin1')).toBe(
      'Status: 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 2\r\n\r\n01',
    )
    expect(code).toBe(0)
  })

  it('gives an empty body at once when there is no CONTENT_LENGTH', async () => {
    const { stdout, code } = await runScript('echo', { ...BASE_ENV, REQUEST_METHOD: 'GET' }, 'junk')
    expect(echoReport(stdout)).toMatchObject({ body: '', bodyLength: 0, inputTerminated: true })
    expect(code).toBe(0)
  })

  it('sets run_once, multiprocess and no multithread, and the scheme from HTTPS', async () => {
    const { stdout } = await runScript('echo', { ...BASE_ENV, REQUEST_METHOD: 'GET', HTTPS: 'on' })
    expect(echoReport(stdout)).toMatchObject({
      runOnce: true,
      multithread: false,
      multiprocess: true,
      urlScheme: 'https',
    })
  })

  it('reads the request variables as bytes-as-latin-1, and other variables as text', async () => {
    const { stdout } = await runScript('echo', {
      ...BASE_ENV,
      REQUEST_METHOD: 'GET',
      PATH_INFO: '/caf\xc3\xa9',
      QUERY_STRING: 'q=\xc3\xa9',
      HTTP_USER_AGENT: 'agent \xe2\x82\xac',
      HOME: '/home/\xc3\xa9',
    })
    expect(echoReport(stdout)).toMatchObject({
      pathInfo: '/caf\xc3\xa9',
      query: 'q=\xc3\xa9',
      userAgent: 'agent \xe2\x82\xac',
      home: '/home/é',
    })
  })

  it('cannot recover bytes that are not UTF-8: Node turned them into U+FFFD', async () => {
    const { stdout } = await runScript('echo', {
      ...BASE_ENV,
      REQUEST_METHOD: 'GET',
      PATH_INFO: '/\xff',
    })
    expect(echoReport(stdout).pathInfo).toBe('/\xef\xbf\xbd')
  })

  it('answers an app error with Status: 500 and logs it to stderr only', async () => {
    const { stdout, stderr, code } = await runScript('fail', { ...BASE_ENV, REQUEST_METHOD: 'GET' })
    expect(stdout.toString('latin1')).toBe(
      'Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 59\r\n' +
        `\r\n${ERROR_BODY}`,
    )
    expect(stderr).toContain('Error: boom: secret detail')
    expect(stderr).toContain('    at ')
    expect(code).toBe(0)
  })
})

describe('IISCGIHandler run as a CGI script', () => {
  it.each([
    ['/app.cgi', '/app.cgi/x/y', '/x/y'],
    ['/app.cgi', '/app.cgi', ''],
    ['/app.cgi', '/app.cgix/y', '/app.cgix/y'],
    ['/app.cgi', '/x/y', '/x/y'],
    ['', '/x', '/x'],
  ])('SCRIPT_NAME %j and PATH_INFO %j give PATH_INFO %j', async (script, path, expected) => {
    const { stdout } = await runScript(
      'echo',
      { ...BASE_ENV, REQUEST_METHOD: 'GET', SCRIPT_NAME: script, PATH_INFO: path },
      '',
      'IISCGIHandler',
    )
    expect(echoReport(stdout)).toMatchObject({ scriptName: script, pathInfo: expected })
  })
})

describe("CGIHandler behind Python's http.server --cgi", () => {
  let cgi: PythonCgi | undefined
  let base = ''
  const serverLog = (): string => cgi?.log() ?? ''

  beforeAll(async () => {
    const scripts: Record<string, string> = {}
    for (const app of ['echo', 'fail', 'stream']) {
      scripts[`${app}.mjs`] =
        `#!${process.execPath}\n` +
        `import { main } from ${JSON.stringify(join(FIXTURES, 'cgi-apps.mjs'))}\n` +
        `await main(${JSON.stringify(app)})\n`
    }
    cgi = await startPythonCgi(scripts)
    base = cgi.base
  }, 30_000)

  afterAll(async () => {
    await cgi?.stop()
  })

  it('serves a GET: decoded path, raw query, the headers http.server passes', async () => {
    const res = await fetch(`${base}/echo.mjs/caf%C3%A9/a%20b?x=1&y=%C3%A9`, {
      headers: { 'User-Agent': 'wsgi-test/1', Cookie: 'k=v', 'X-Custom': 'dropped' },
    })
    // http.server sends its own "200 Script output follows" line; the script's status is a header.
    expect(res.status).toBe(200)
    expect(res.headers.get('status')).toBe('200 OK')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('x-echo-method')).toBe('GET')
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/'])
    const report = (await res.json()) as EchoReport
    expect(report).toMatchObject({
      method: 'GET',
      scriptName: '/cgi-bin/echo.mjs',
      // http.server percent-decodes PATH_INFO as UTF-8; readEnviron gives back its bytes.
      pathInfo: '/caf\xc3\xa9/a b',
      query: 'x=1&y=%C3%A9',
      userAgent: 'wsgi-test/1',
      cookie: 'k=v',
      // http.server passes only a few headers on (Accept, User-Agent, Cookie, Referer).
      custom: null,
      // It sets CONTENT_LENGTH to '' when the request has none.
      contentLength: '',
      body: '',
      inputTerminated: true,
      runOnce: true,
    })
  })

  it('serves a POST: the app reads the body to its end though the socket stays open', async () => {
    const sent = 'name=café&x=1'
    const res = await fetch(`${base}/echo.mjs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: sent,
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-echo-method')).toBe('POST')
    const report = (await res.json()) as EchoReport
    expect(report).toMatchObject({
      method: 'POST',
      contentType: 'application/x-www-form-urlencoded',
      contentLength: String(Buffer.byteLength(sent)),
      body: Buffer.from(sent, 'utf8').toString('latin1'),
    })
  })

  it('serves a POST of 256 KiB whole', async () => {
    const sent = Buffer.alloc(256 * 1024)
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 7) & 0xff
    const res = await fetch(`${base}/echo.mjs`, { method: 'POST', body: sent })
    const report = (await res.json()) as EchoReport
    expect(report.bodyLength).toBe(sent.length)
    expect(report.bodySha256).toBe(createHash('sha256').update(sent).digest('hex'))
  })

  it('streams a body without Content-Length', async () => {
    const res = await fetch(`${base}/stream.mjs`)
    expect(res.headers.get('status')).toBe('200 OK')
    expect(res.headers.has('content-length')).toBe(false)
    expect(await res.text()).toBe('chunk 0\nchunk 1\nchunk 2\nchunk 3\n')
  })

  it('answers an app error with Status: 500 and no stack trace in the body', async () => {
    const res = await fetch(`${base}/fail.mjs`)
    expect(res.headers.get('status')).toBe('500 Internal Server Error')
    expect(res.headers.get('content-type')).toBe('text/plain')
    const body = await res.text()
    expect(body).toBe(ERROR_BODY)
    expect(body).not.toContain('boom')
    // The script's stderr is the server's: the error and its stack are logged there.
    await expect.poll(serverLog).toContain('Error: boom: secret detail')
  })
})
