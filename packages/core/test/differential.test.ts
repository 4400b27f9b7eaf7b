/**
 * Differential test against Python: the same raw HTTP requests go to CPython's
 * `wsgiref.simple_server` and to our `makeServer()`, each serving an application that reports its
 * CGI keys, and the two environs must agree, except for the documented differences below.
 *
 * The table {@link DIFFERENCES} is the list the core README carries; every entry is shown by at
 * least one case, and every difference a case shows is named in the table.
 *
 * @module
 */

import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { REQUEST_CGI_KEYS } from '../../conformance/src/cgi-keys.ts'
import { makeServer } from '../src/simple-server/index.ts'
import type { WSGIServer } from '../src/simple-server/index.ts'
import type { WSGIApplication } from '../src/types.ts'

// ---------------------------------------------------------------------------------------------
// The documented differences (copied to the core README)
// ---------------------------------------------------------------------------------------------

/** One deliberate or inherited difference between our server and `wsgiref.simple_server`. */
interface Difference {
  /** What differs, in one line. */
  readonly what: string
  /** Why: our choice, or Node's HTTP parser (llhttp), and what the standards say. */
  readonly reason: string
  /**
   * For a difference that shows on every request of a kind, rather than in chosen cases: the key,
   * the requests it shows on, and the two values.
   */
  readonly every?: {
    readonly key: string
    readonly when: (request: string) => boolean
    readonly python: string | undefined
    readonly ours: string | undefined
  }
}

// The header block of a raw request, for `every.when` predicates.
function hasHeader(request: string, name: string): boolean {
  const head = request.slice(0, request.indexOf('\r\n\r\n'))
  return head.split('\r\n').some((line) => line.toLowerCase().startsWith(`${name}:`))
}

const DIFFERENCES = {
  contentTypeDefault: {
    what: 'CONTENT_TYPE is absent when the request has no Content-Type; wsgiref sets it to text/plain',
    reason:
      "wsgiref copies the default of Python's email parser (get_content_type()). PEP 3333 lets " +
      'CONTENT_TYPE be empty or absent, and an invented type hides that the client sent none.',
    every: {
      key: 'CONTENT_TYPE',
      when: (request) => !hasHeader(request, 'content-type'),
      python: 'text/plain',
      ours: undefined,
    },
  },
  underscoreHeaders: {
    what:
      'request headers whose name holds "_" are dropped; wsgiref maps X_Foo onto HTTP_X_FOO, the key ' +
      'of X-Foo, and joins their values',
    reason:
      'X_Foo and X-Foo would share one key, so a client could pass for a header that a proxy sets ' +
      '(CVE-2015-0219); nginx and Apache drop them too, as gunicorn and waitress now do.',
  },
  absoluteForm: {
    what: 'for an absolute-form target (GET http://host/path) PATH_INFO is the path; wsgiref puts the whole URL in PATH_INFO',
    reason:
      'RFC 9112 section 3.2.2: a server must accept the absolute form, whose path is the part after the authority.',
  },
  leadingSlashes: {
    what: 'PATH_INFO keeps leading "//"; wsgiref collapses them into one "/"',
    reason:
      "Python's http.server collapses them against open redirects in SimpleHTTPRequestHandler " +
      '(gh-87389); a gateway app should see the path the client sent.',
  },
  methodToken: {
    what: 'an unknown method (BREW) or a lower-case one (get) gets 400 Bad Request; wsgiref passes any token on',
    reason: "Node's parser, llhttp, accepts only the methods it knows, in upper case.",
  },
  http09: {
    what:
      'an HTTP/0.9 request line (GET /path, no version) gets an HTTP/1.1 status line and headers; ' +
      'wsgiref sends the bare body, as HTTP/0.9 did (the environ is the same, SERVER_PROTOCOL HTTP/0.9)',
    reason: "Node's http server always writes a status line; HTTP/0.9 clients are long gone.",
  },
  bareLF: {
    what: 'lines ended by LF alone get 400; wsgiref accepts them',
    reason:
      'llhttp requires CRLF (RFC 9112 section 2.2 allows a recipient to accept bare LF, but need not).',
  },
  rawBytesInTarget: {
    what: 'raw bytes 0x80-0xFF in the request target get 400; wsgiref takes them as latin-1 characters',
    reason:
      'llhttp rejects them (RFC 3986 allows only ASCII in a URI; clients send %XX). Percent-escaped ' +
      'bytes give the same PATH_INFO on both.',
  },
  obsFold: {
    what: 'a folded header line (obs-fold) gets 400; wsgiref keeps the CRLF and the spaces inside the value',
    reason: 'RFC 9112 section 5.2 lets a server reject obs-fold with 400; llhttp does.',
  },
  invalidContentLength: {
    what: 'a Content-Length that is not a number gets 400; wsgiref passes it on in CONTENT_LENGTH',
    reason:
      'RFC 9112 section 6.3: an invalid Content-Length is an unrecoverable framing error; llhttp rejects it.',
  },
  teWithContentLength: {
    what:
      'Transfer-Encoding together with Content-Length gets 400; wsgiref passes both on ' +
      "(CONTENT_LENGTH '3', HTTP_TRANSFER_ENCODING 'chunked')",
    reason:
      'RFC 9112 section 6.1 lets a server reject the pair, a request-smuggling vector; llhttp does.',
  },
  spaceBeforeColon: {
    what:
      'whitespace between a header name and its colon gets 400; wsgiref silently drops that line and ' +
      "every header after it (Python's email parser takes them for the body)",
    reason: 'RFC 9112 section 5.1: a server must reject such a request with 400; llhttp does.',
  },
} as const satisfies Record<string, Difference>

type DifferenceId = keyof typeof DIFFERENCES

// ---------------------------------------------------------------------------------------------
// The report application, the same on both sides
// ---------------------------------------------------------------------------------------------

// The keys report_app in fixtures/differential/wsgiref_server.py reports (besides HTTP_*).
const KEYS: ReadonlySet<string> = new Set(REQUEST_CGI_KEYS)

// Each character as two hex digits, so latin-1 strings cross HTTP unchanged; `{XXXX}` marks a
// code point above U+00FF (a breach of PEP 3333 the comparison would show).
function hexify(value: string): string {
  let out = ''
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    out +=
      c < 256
        ? c.toString(16).padStart(2, '0')
        : `{${c.toString(16).toUpperCase().padStart(4, '0')}}`
  }
  return out
}

function unhexify(hex: string): string {
  return hex.replace(
    /\{([0-9A-F]{4})\}|([0-9a-f]{2})/g,
    (_m, wide: string | undefined, byte: string | undefined) =>
      String.fromCharCode(parseInt(wide ?? byte ?? '', 16)),
  )
}

/** The TypeScript twin of `report_app` in fixtures/differential/wsgiref_server.py. */
const reportApp: WSGIApplication = (environ, startResponse) => {
  const keys = Object.keys(environ)
    .filter((key) => KEYS.has(key) || key.startsWith('HTTP_'))
    .sort()
  const report = keys
    .map((key) => {
      const value = environ[key]
      return `${key}:${typeof value === 'string' ? hexify(value) : `!${typeof value}`}`
    })
    .join(',')
  startResponse('200 OK', [
    ['Content-Type', 'text/plain'],
    ['X-Environ', report],
  ])
  return [new TextEncoder().encode(`${report}\n`)]
}

// ---------------------------------------------------------------------------------------------
// A raw HTTP client: one request per connection, the response read as bytes
// ---------------------------------------------------------------------------------------------

/** What a server answered: the status code (`'none'` for an HTTP/0.9 reply) and the report. */
type Outcome = Record<string, string | undefined>

interface RawResponse {
  status: string
  headers: Map<string, string>
  body: Buffer
}

const HEAD_END = Buffer.from('\r\n\r\n')

// Parses as much of `data` as forms a final response, or returns undefined to wait for more.
// 1xx interim responses are skipped; `ended` says the server closed the connection.
function parseResponse(data: Buffer, method: string, ended: boolean): RawResponse | undefined {
  if (!data.subarray(0, 5).equals(Buffer.from('HTTP/'))) {
    // HTTP/0.9: no status line, no headers, the body runs to the end of the connection.
    return ended ? { status: 'none', headers: new Map(), body: data } : undefined
  }
  const end = data.indexOf(HEAD_END)
  if (end === -1) return undefined
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n')
  const status = statusLine.split(' ')[1] ?? ''
  const headers = new Map<string, string>()
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim())
  }
  const rest = data.subarray(end + HEAD_END.length)
  if (status.startsWith('1')) return parseResponse(rest, method, ended)
  if (method === 'HEAD' || status === '204' || status === '304') {
    return { status, headers, body: Buffer.alloc(0) }
  }
  const length = headers.get('content-length')
  if (length !== undefined) {
    return rest.length >= Number(length)
      ? { status, headers, body: rest.subarray(0, Number(length)) }
      : undefined
  }
  if (headers.get('transfer-encoding') === 'chunked') {
    if (!rest.subarray(-5).equals(Buffer.from('0\r\n\r\n'))) return undefined
    const chunks: Buffer[] = []
    for (let at = 0; ;) {
      const lineEnd = rest.indexOf('\r\n', at)
      const size = parseInt(rest.subarray(at, lineEnd).toString('latin1'), 16)
      if (size === 0) break
      chunks.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size))
      at = lineEnd + 2 + size + 2
    }
    return { status, headers, body: Buffer.concat(chunks) }
  }
  return ended ? { status, headers, body: rest } : undefined
}

function exchange(port: number, request: Buffer): Promise<RawResponse> {
  const method = request.subarray(0, request.indexOf(' ')).toString('latin1')
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let data = Buffer.alloc(0)
    const timer = setTimeout(() => {
      socket.destroy()
      reject(
        new Error(`no complete response after 5 s; got ${JSON.stringify(data.toString('latin1'))}`),
      )
    }, 5000)
    const settle = (ended: boolean): void => {
      const response = parseResponse(data, method, ended)
      if (response === undefined && !ended) return
      clearTimeout(timer)
      socket.destroy()
      if (response) resolve(response)
      else reject(new Error(`incomplete response: ${JSON.stringify(data.toString('latin1'))}`))
    }
    socket.on('connect', () => socket.write(request))
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
      settle(false)
    })
    // A server may reset the connection after answering a request it did not read fully.
    socket.on('error', () => {
      settle(true)
    })
    socket.on('close', () => {
      settle(true)
    })
  })
}

// The report of a 200 answer, from the X-Environ header or else (HTTP/0.9) from the body.
function outcomeOf(response: RawResponse): Outcome {
  const outcome: Outcome = { status: response.status }
  if (!reported(outcome)) return outcome
  const report = response.headers.get('x-environ') ?? response.body.toString('latin1').trim()
  for (const item of report.split(',')) {
    if (item === '') continue
    const colon = item.indexOf(':')
    outcome[item.slice(0, colon)] = unhexify(item.slice(colon + 1))
  }
  return outcome
}

/** Keys whose values differ: `[python, ours]`, `undefined` meaning the key is absent. */
type Diff = Record<string, [python: string | undefined, ours: string | undefined]>

// True when the app ran and its report came back (a 200, or HTTP/0.9's bare body).
function reported(outcome: Outcome): boolean {
  return outcome['status'] === '200' || outcome['status'] === 'none'
}

function diff(python: Outcome, ours: Outcome): Diff {
  // When one side refused the request, its environ is not there to compare.
  if (!reported(python) || !reported(ours)) {
    return python['status'] === ours['status'] ? {} : { status: [python['status'], ours['status']] }
  }
  const out: Diff = {}
  for (const key of new Set([...Object.keys(python), ...Object.keys(ours)])) {
    if (python[key] !== ours[key]) out[key] = [python[key], ours[key]]
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// The requests
// ---------------------------------------------------------------------------------------------

interface Case {
  readonly name: string
  /** The raw request; a string is taken as latin-1, so '\x80' is the byte 0x80. */
  readonly request: string
  /** The expected differences, exactly; none when the environs must be equal. */
  readonly diff?: Diff
  /** The entries of DIFFERENCES that explain `diff`. */
  readonly because?: readonly DifferenceId[]
  /** Both servers refuse the request with this status (each for its own reason, in `note`). */
  readonly refused?: string
  readonly note?: string
}

const H = 'Host: differential.test\r\n'

const CASES: readonly Case[] = [
  // Request line: versions and methods
  { name: 'plain GET, HTTP/1.0', request: `GET / HTTP/1.0\r\n${H}\r\n` },
  {
    name: 'HTTP/1.1 with Connection: close',
    request: `GET /v11 HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
  },
  { name: 'HTTP/1.1 keep-alive', request: `GET /keep HTTP/1.1\r\n${H}\r\n` },
  {
    name: 'HTTP/1.0 with Connection: keep-alive',
    request: `GET / HTTP/1.0\r\n${H}Connection: keep-alive\r\n\r\n`,
  },
  { name: 'HEAD', request: `HEAD /h?x=1 HTTP/1.0\r\n${H}\r\n` },
  { name: 'OPTIONS *', request: `OPTIONS * HTTP/1.1\r\n${H}Connection: close\r\n\r\n` },
  { name: 'DELETE', request: `DELETE /item/7 HTTP/1.0\r\n${H}\r\n` },
  {
    name: 'unknown method',
    request: `BREW /pot HTTP/1.0\r\n${H}\r\n`,
    diff: { status: ['200', '400'] },
    because: ['methodToken'],
  },
  {
    name: 'lower-case method',
    request: `get /lower HTTP/1.0\r\n${H}\r\n`,
    diff: { status: ['200', '400'] },
    because: ['methodToken'],
  },
  // wsgiref reads header lines even after an HTTP/0.9 request line, so the blank line is needed.
  {
    name: 'HTTP/0.9 request line',
    request: 'GET /nine\r\n\r\n',
    diff: { status: ['none', '200'] },
    because: ['http09'],
  },
  {
    name: 'absolute-form target',
    request: `GET http://example.com/abs?y=1 HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
    diff: { PATH_INFO: ['http://example.com/abs', '/abs'] },
    because: ['absoluteForm'],
  },
  {
    name: 'bare LF line endings',
    request: `GET /lf HTTP/1.0\nHost: differential.test\n\n`,
    diff: { status: ['200', '400'] },
    because: ['bareLF'],
  },

  // Paths
  { name: 'percent escapes', request: `GET /p%61th/%7Euser/a%20b HTTP/1.0\r\n${H}\r\n` },
  { name: 'escaped slash and question mark', request: `GET /a%2Fb%3Fc?x=%2F HTTP/1.0\r\n${H}\r\n` },
  { name: 'UTF-8 percent escapes', request: `GET /%E2%82%AC/caf%C3%A9 HTTP/1.0\r\n${H}\r\n` },
  { name: 'non-UTF-8 percent escapes', request: `GET /%80%FF%C3%28%e9 HTTP/1.0\r\n${H}\r\n` },
  { name: 'invalid percent escapes', request: `GET /%zz/%4/100% HTTP/1.0\r\n${H}\r\n` },
  {
    name: 'raw bytes 0x80-0xFF in the path',
    request: `GET /\x80\xe9\xff HTTP/1.0\r\n${H}\r\n`,
    diff: { status: ['200', '400'] },
    because: ['rawBytesInTarget'],
  },
  {
    name: 'raw bytes 0x80-0xFF in the query',
    request: `GET /q?caf\xe9=\xff HTTP/1.0\r\n${H}\r\n`,
    diff: { status: ['200', '400'] },
    because: ['rawBytesInTarget'],
  },
  {
    name: 'no-break space (0xA0) in the target',
    request: `GET /a\xa0b HTTP/1.0\r\n${H}\r\n`,
    refused: '400',
    note:
      'wsgiref splits the request line with str.split(), which also splits at U+0085 and U+00A0, so ' +
      'it sees four words; llhttp rejects the raw byte',
  },
  { name: 'dot segments and double slashes', request: `GET /a/./b/../c//d HTTP/1.0\r\n${H}\r\n` },
  {
    name: 'leading double slash',
    request: `GET //double HTTP/1.0\r\n${H}\r\n`,
    diff: { PATH_INFO: ['/double', '//double'] },
    because: ['leadingSlashes'],
  },
  { name: 'path parameters', request: `GET /a;b=c/d;e HTTP/1.0\r\n${H}\r\n` },
  { name: 'fragment in the target', request: `GET /x?y#frag HTTP/1.0\r\n${H}\r\n` },

  // Query strings
  {
    name: 'query string kept raw',
    request: `GET /s?q=a+b&x=%20&x=2&empty=&flag HTTP/1.0\r\n${H}\r\n`,
  },
  { name: 'empty query after ?', request: `GET /q? HTTP/1.0\r\n${H}\r\n` },
  { name: 'second ? belongs to the query', request: `GET /a?b?c=%3F HTTP/1.0\r\n${H}\r\n` },

  // Headers
  {
    name: 'repeated headers',
    request: `GET / HTTP/1.0\r\n${H}X-Test: one\r\nX-Test: two\r\nAccept: a/b\r\nAccept: c/d\r\n\r\n`,
  },
  {
    name: 'repeated Cookie headers',
    request: `GET / HTTP/1.0\r\n${H}Cookie: a=1\r\nCookie: b=2\r\n\r\n`,
  },
  {
    name: 'header names in any case',
    request: `GET / HTTP/1.0\r\nHOST: upper.test\r\nx-LoWeR-cAsE: v\r\n\r\n`,
  },
  {
    name: 'header value whitespace',
    request: `GET / HTTP/1.0\r\n${H}X-Pad:  \t padded  value \t \r\n\r\n`,
  },
  { name: 'empty header value', request: `GET / HTTP/1.0\r\n${H}X-Empty:\r\n\r\n` },
  {
    name: 'latin-1 header value',
    request: `GET / HTTP/1.0\r\n${H}X-Latin: caf\xe9 \xa0\xff\r\n\r\n`,
  },
  {
    name: 'header name with an underscore',
    request: `GET / HTTP/1.0\r\n${H}X_Custom: under\r\n\r\n`,
    diff: { HTTP_X_CUSTOM: ['under', undefined] },
    because: ['underscoreHeaders'],
  },
  {
    name: 'underscore and dash spellings of one header',
    request: `GET / HTTP/1.0\r\n${H}X-Auth: dash\r\nX_Auth: under\r\n\r\n`,
    diff: { HTTP_X_AUTH: ['dash,under', 'dash'] },
    because: ['underscoreHeaders'],
  },
  {
    name: 'header name that maps onto a CGI key',
    request: `GET / HTTP/1.0\r\n${H}Request-Method: FAKE\r\nPath-Info: /fake\r\n\r\n`,
  },
  { name: 'header name with a dot', request: `GET / HTTP/1.0\r\n${H}X.Dot: v\r\n\r\n` },
  { name: 'Proxy header', request: `GET / HTTP/1.0\r\n${H}Proxy: http://evil.test\r\n\r\n` },
  {
    name: 'Authorization header',
    request: `GET / HTTP/1.0\r\n${H}Authorization: Basic dTpw\r\n\r\n`,
  },
  { name: 'repeated Host', request: `GET / HTTP/1.0\r\nHost: one.test\r\nHost: two.test\r\n\r\n` },
  { name: 'no Host header', request: 'GET /nohost HTTP/1.0\r\n\r\n' },
  {
    name: 'obs-fold continuation line',
    request: `GET / HTTP/1.0\r\n${H}X-Fold: first\r\n  second\r\n\r\n`,
    diff: { status: ['200', '400'] },
    because: ['obsFold'],
  },

  // Content-Type and Content-Length
  {
    name: 'Content-Type and Content-Length present',
    request: `POST /form HTTP/1.0\r\n${H}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=1`,
  },
  {
    name: 'Content-Length without Content-Type',
    request: `PUT /raw HTTP/1.0\r\n${H}Content-Length: 4\r\n\r\nbody`,
  },
  {
    name: 'Content-Type without Content-Length',
    request: `GET / HTTP/1.0\r\n${H}Content-Type: text/html; charset=utf-8\r\n\r\n`,
  },
  { name: 'neither Content-Type nor Content-Length', request: `GET / HTTP/1.0\r\n${H}\r\n` },
  { name: 'Content-Length: 0', request: `POST /empty HTTP/1.0\r\n${H}Content-Length: 0\r\n\r\n` },
  { name: 'empty Content-Type', request: `GET / HTTP/1.0\r\n${H}Content-Type:\r\n\r\n` },
  {
    name: 'repeated Content-Type',
    request: `GET / HTTP/1.0\r\n${H}Content-Type: a/b\r\nContent-Type: c/d\r\n\r\n`,
  },
  {
    name: 'Transfer-Encoding and Content-Length together',
    request: `POST /both HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\nConnection: close\r\n\r\n0\r\n\r\n`,
    diff: { status: ['200', '400'] },
    because: ['teWithContentLength'],
  },
  {
    name: 'space before the colon',
    request: `GET / HTTP/1.0\r\n${H}X-Before: u\r\nX-Bad : v\r\nX-After: w\r\n\r\n`,
    diff: { status: ['200', '400'] },
    because: ['spaceBeforeColon'],
  },
  {
    name: 'invalid Content-Length',
    request: `POST / HTTP/1.0\r\n${H}Content-Length: abc\r\n\r\n`,
    diff: { status: ['200', '400'] },
    because: ['invalidContentLength'],
  },
  {
    name: 'chunked request body',
    request: `POST /chunked HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
  },
  {
    name: 'Expect: 100-continue',
    request: `POST /expect HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi`,
  },
]

// ---------------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------------

const fixture = fileURLToPath(new URL('fixtures/differential/wsgiref_server.py', import.meta.url))
let python: ChildProcess | undefined
let pythonPort = 0
let ours: WSGIServer | undefined

async function startPython(): Promise<number> {
  const child = spawn('python3', [fixture], { stdio: ['ignore', 'pipe', 'inherit'] })
  python = child
  const lines = createInterface({ input: child.stdout })
  const port = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve)
    child.once('error', reject)
    child.once('exit', (code) => {
      reject(new Error(`wsgiref_server.py exited with code ${code}`))
    })
  })
  return Number(port)
}

beforeAll(async () => {
  pythonPort = await startPython()
  ours = await makeServer('127.0.0.1', 0, reportApp)
  void ours.serveForever()
})

afterAll(async () => {
  python?.kill()
  await ours?.shutdown()
})

describe('differential: our simple server against CPython wsgiref.simple_server', () => {
  it.each(CASES)('$name', async ({ request, diff: expected = {}, because = [], refused }) => {
    const raw = Buffer.from(request, 'latin1')
    const fromPython = outcomeOf(await exchange(pythonPort, raw))
    const fromOurs = outcomeOf(await exchange(ours!.serverPort, raw))
    if (refused !== undefined) {
      expect([fromPython['status'], fromOurs['status']]).toEqual([refused, refused])
      return
    }
    expect(reported(fromPython)).toBe(true)
    const found = diff(fromPython, fromOurs)
    // The systematic differences first: each must show exactly as the table says.
    const systematic = new Set<string>()
    for (const { every } of Object.values(DIFFERENCES) as Difference[]) {
      if (every === undefined || !reported(fromOurs) || !every.when(request)) continue
      expect(found[every.key]).toEqual([every.python, every.ours])
      systematic.add(every.key)
    }
    const rest = Object.fromEntries(Object.entries(found).filter(([key]) => !systematic.has(key)))
    expect(rest).toEqual(expected)
    // A difference is either documented or a bug: every case that differs names its reason.
    expect(because.length > 0).toBe(Object.keys(expected).length > 0)
  })

  it('shows every documented difference in at least one case', () => {
    const cited = new Set<string>(CASES.flatMap((c) => c.because ?? []))
    // A systematic difference shows on every case its `when` selects (the cases check it).
    for (const [id, { every }] of Object.entries(DIFFERENCES as Record<string, Difference>)) {
      if (every && CASES.some((c) => c.refused === undefined && every.when(c.request)))
        cited.add(id)
    }
    expect(Object.keys(DIFFERENCES).filter((id) => !cited.has(id))).toEqual([])
  })
})
