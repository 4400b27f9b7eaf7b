/**
 * The catalogue of malformed and borderline requests, sent as raw bytes to every server and
 * bridge by the reliability suites.
 *
 * - {@link REJECTED}: what Node's HTTP parser (llhttp) refuses. Every server built on `node:http`
 *   must answer with one of the listed statuses and close the connection, and the application
 *   must never run: a bridge must not re-open a hole the parser closed.
 * - {@link ACCEPTED}: what the parser lets through but a bridge could get wrong (absolute-form
 *   targets, dot segments, `_` in header names, a `Host` that is no host, pipelined requests).
 *   Each case says what the application on the far side may see, as an {@link EchoReport} of
 *   the echo apps below; refusing with a 4xx is allowed where the case says so.
 *
 * @module
 */
import { Buffer } from 'node:buffer'

import { exchange } from './raw-http.mjs'

const BIG = 'a'.repeat(20_000)

/**
 * @typedef {object} RejectedCase
 * @property {string} name
 * @property {string} request the bytes, as a latin-1 string
 * @property {number[]} statuses the answers allowed
 * @property {boolean} [bodyError] the head is valid and the body is not: the app may have run
 *   (and seen its `wsgi.input` fail) before the parser met the error
 */

/** @type {readonly RejectedCase[]} */
export const REJECTED = [
  {
    name: 'a request line with an extra token',
    request: 'GET / HTTP/1.1 x\r\nHost: a\r\n\r\n',
    statuses: [400],
  },
  {
    name: 'a method with a character no token has',
    request: 'G@T / HTTP/1.1\r\nHost: a\r\n\r\n',
    statuses: [400],
  },
  { name: 'version HTTP/1.2', request: 'GET / HTTP/1.2\r\nHost: a\r\n\r\n', statuses: [400, 505] },
  { name: 'version HTTP/9.9', request: 'GET / HTTP/9.9\r\nHost: a\r\n\r\n', statuses: [400, 505] },
  {
    name: 'a protocol that is not HTTP',
    request: 'GET / HTTX/1.1\r\nHost: a\r\n\r\n',
    statuses: [400],
  },
  {
    name: 'a request line of 20 KB',
    request: `GET /${BIG} HTTP/1.1\r\nHost: a\r\n\r\n`,
    statuses: [414, 431],
  },
  {
    name: 'a header of 20 KB',
    request: `GET / HTTP/1.1\r\nHost: a\r\nX-A: ${BIG}\r\n\r\n`,
    statuses: [431],
  },
  {
    name: '12,000 headers (72 KB in all)',
    request: `GET / HTTP/1.1\r\nHost: a\r\n${'a: b\r\n'.repeat(12_000)}\r\n`,
    statuses: [431],
  },
  {
    name: 'Content-Length: abc',
    request: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n',
    statuses: [400],
  },
  {
    name: 'Content-Length: -1',
    request: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n',
    statuses: [400],
  },
  {
    name: 'Content-Length: +1',
    request: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx',
    statuses: [400],
  },
  {
    name: 'Content-Length: 1, 2',
    request: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\nxy',
    statuses: [400],
  },
  {
    name: 'two Content-Length headers that agree',
    request: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nxy',
    statuses: [400],
  },
  {
    name: 'two Content-Length headers that differ',
    request: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy',
    statuses: [400],
  },
  {
    name: 'Content-Length and Transfer-Encoding together (CL.TE smuggling)',
    request:
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG',
    statuses: [400],
  },
  {
    name: 'Transfer-Encoding without chunked last',
    request: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nxx',
    statuses: [400],
    bodyError: true,
  },
  {
    name: 'Transfer-Encoding: chunked, gzip',
    request: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n',
    statuses: [400],
  },
  {
    name: 'Transfer-Encoding: chunked given twice',
    request:
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    statuses: [400],
  },
  {
    name: 'Transfer-Encoding: xchunked',
    request: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n',
    statuses: [400],
    bodyError: true,
  },
  {
    name: 'whitespace before the colon of Transfer-Encoding (TE.TE smuggling)',
    request: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n',
    statuses: [400],
  },
  {
    name: 'a chunk size that is not hex',
    request:
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxy\r\n0\r\n\r\n',
    statuses: [400],
    bodyError: true,
  },
  {
    name: 'chunk data longer than its size',
    request: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxyz0\r\n\r\n',
    statuses: [400],
    bodyError: true,
  },
  {
    name: 'a chunk extension ended by a bare LF',
    request: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2;a\nxy\r\n0\r\n\r\n',
    statuses: [400],
    bodyError: true,
  },
  {
    name: 'obs-fold (a header continued on the next line)',
    request: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n',
    statuses: [400],
  },
  {
    name: 'a non-ASCII byte in the target',
    request: 'GET /caf\xe9 HTTP/1.1\r\nHost: a\r\n\r\n',
    statuses: [400],
  },
  {
    name: 'a space in a header name',
    request: 'GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n',
    statuses: [400],
  },
  {
    name: 'a NUL in a header value',
    request: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x00c\r\n\r\n',
    statuses: [400],
  },
  {
    name: 'a bare CR in a header value',
    request: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n',
    statuses: [400],
  },
  { name: 'bare LF line ends', request: 'GET / HTTP/1.1\nHost: a\n\n', statuses: [400] },
  { name: 'HTTP/1.1 without Host', request: 'GET / HTTP/1.1\r\n\r\n', statuses: [400] },
]

/**
 * What the application on the far side of a bridge saw of one request. Paths are percent-decoded
 * to latin-1 (PEP 3333's native strings), whatever the far side is.
 *
 * @typedef {object} EchoReport
 * @property {string} method
 * @property {string} path SCRIPT_NAME + PATH_INFO (or the native request's decoded path)
 * @property {string} query the raw query string
 * @property {Array<[string, string]>} headers lower-case names; a repeated header may arrive
 *   joined with `,` (CGI, Node) or `, ` (fetch)
 * @property {string} body latin-1
 */

/**
 * @typedef {object} Outcome
 * @property {Array<{ status: number, complete: boolean }>} responses
 * @property {Array<EchoReport | undefined>} reports the report of each 2xx response
 * @property {boolean} closed
 */

/**
 * @typedef {object} AcceptedCase
 * @property {string} name
 * @property {string} request the bytes, as a latin-1 string
 * @property {number} [expected] how many responses to wait for (default 1)
 * @property {(outcome: Outcome, host: HostTraits) => string[]} check the problems found (none:
 *   all is well)
 */

/**
 * What the server in front of the bridge does by itself, which the far side then sees too.
 *
 * @typedef {object} HostTraits
 * @property {boolean} [resolvesDotSegments] the host server builds a WHATWG URL from the target
 *   (fetch servers such as `@hono/node-server` do), so `.`/`..` segments are resolved before any
 *   bridge runs: the host and the far side agree on the resolved path
 */

/**
 * Every value of header `name` in a report, repeats split apart again.
 *
 * @param {EchoReport} report
 * @param {string} name lower case
 * @returns {string[]}
 */
export function headerValues(report, name) {
  return report.headers
    .filter(([n]) => n === name)
    .flatMap(([, v]) => v.split(','))
    .map((v) => v.trim())
}

/**
 * A check that the only response is a 2xx whose report passes `test`, or (when `refusals` lists
 * statuses) one refusing the request outright.
 *
 * @param {(report: EchoReport, host: HostTraits) => string[]} test
 * @param {number[]} [refusals]
 * @returns {(outcome: Outcome, host: HostTraits) => string[]}
 */
function served(test, refusals = []) {
  return (outcome, host) => {
    const first = outcome.responses[0]
    if (first === undefined) return ['no response at all']
    if (refusals.includes(first.status)) return []
    if (first.status < 200 || first.status > 299) return [`status ${first.status}`]
    const report = outcome.reports[0]
    if (report === undefined) return ['the 2xx response carries no echo report']
    return test(report, host)
  }
}

/**
 * The check of a path with dot segments: the far side sees `raw` as sent, or (behind a host that
 * resolves them itself) the resolved path, never anything else.
 *
 * @param {string} raw
 * @param {string} resolved
 * @returns {(report: EchoReport, host: HostTraits) => string[]}
 */
function dotPath(raw, resolved) {
  return (r, host) =>
    host.resolvesDotSegments === true && r.path === resolved ? [] : same('path', r.path, raw)
}

/**
 * @param {string} what
 * @param {unknown} got
 * @param {unknown} want
 * @returns {string[]}
 */
function same(what, got, want) {
  return got === want ? [] : [`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`]
}

/** @type {readonly AcceptedCase[]} */
export const ACCEPTED = [
  {
    name: 'an absolute-form target is reduced to its path and query',
    request: 'GET http://example.com/p%20q?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n',
    check: served((r) => [...same('path', r.path, '/p q'), ...same('query', r.query, 'x=1')]),
  },
  {
    name: 'dot segments reach the app as sent (or are refused), never resolved',
    request: 'GET /public/../admin HTTP/1.1\r\nHost: a\r\n\r\n',
    check: served(dotPath('/public/../admin', '/admin'), [400]),
  },
  {
    name: 'percent-encoded dot segments reach the app decoded (or are refused), never resolved',
    request: 'GET /public/%2e%2e/admin HTTP/1.1\r\nHost: a\r\n\r\n',
    check: served(dotPath('/public/../admin', '/admin'), [400]),
  },
  {
    name: 'dot segments of an absolute-form target are not resolved either',
    request: 'GET http://example.com/public/../admin HTTP/1.1\r\nHost: example.com\r\n\r\n',
    check: served(dotPath('/public/../admin', '/admin'), [400]),
  },
  {
    name: 'a header name with _ cannot spoof the one with - (X_Forwarded_For)',
    request:
      'GET / HTTP/1.1\r\nHost: a\r\nX_Forwarded_For: 6.6.6.6\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n',
    check: served((r) => [
      ...same('x-forwarded-for', headerValues(r, 'x-forwarded-for').join(','), '1.2.3.4'),
      ...(JSON.stringify(r.headers).includes('6.6.6.6') ? ['the _ header reached the app'] : []),
    ]),
  },
  {
    name: 'a header name with _ alone is dropped (X_Auth_User)',
    request: 'GET / HTTP/1.1\r\nHost: a\r\nX_Auth_User: admin\r\n\r\n',
    check: served((r) =>
      JSON.stringify(r.headers).includes('admin') ? ['the _ header reached the app'] : [],
    ),
  },
  {
    name: 'a Host holding a path cannot move the path the app sees',
    request: 'GET /public HTTP/1.1\r\nHost: x/admin?\r\n\r\n',
    check: served(
      (r) => [...same('path', r.path, '/public'), ...same('query', r.query, '')],
      [400],
    ),
  },
  {
    name: 'a Host holding # cannot hide the path',
    request: 'GET /secret HTTP/1.1\r\nHost: x#\r\n\r\n',
    check: served((r) => same('path', r.path, '/secret'), [400]),
  },
  {
    name: 'a Host with user info cannot move the path',
    request: 'GET /p HTTP/1.1\r\nHost: user@evil\r\n\r\n',
    check: served((r) => same('path', r.path, '/p'), [400]),
  },
  {
    name: 'two Host headers do not change the path',
    request: 'GET /p HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
    check: served((r) => same('path', r.path, '/p'), [400]),
  },
  {
    name: '%00 in the path is decoded to NUL, not cut there',
    request: 'GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n',
    check: served((r) => same('path', r.path, '/a\x00b'), [400]),
  },
  {
    name: 'OPTIONS * reaches the app as * (or is refused)',
    request: 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n',
    check: served(
      (r) => [...same('method', r.method, 'OPTIONS'), ...same('path', r.path, '*')],
      [400, 404, 501],
    ),
  },
  {
    name: 'Transfer-Encoding: gzip, chunked is de-chunked (the coding is the app’s)',
    request:
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n',
    check: served((r) => same('body', r.body, 'xy')),
  },
  {
    name: 'chunked trailers do not leak into the body',
    request:
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\nX-T: 1\r\n\r\n',
    check: served((r) => same('body', r.body, 'xy')),
  },
  {
    name: 'a body is read to its Content-Length and no further (pipelined request after it)',
    request:
      'POST /first HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' +
      'GET /second HTTP/1.1\r\nHost: a\r\n\r\n',
    expected: 2,
    check: (outcome) => {
      const [a, b] = outcome.reports
      if (outcome.responses.length !== 2) return [`${outcome.responses.length} responses, want 2`]
      if (a === undefined || b === undefined) return ['a response carries no echo report']
      return [...same('first body', a.body, 'hello'), ...same('second path', b.path, '/second')]
    },
  },
  {
    name: 'bytes after a Content-Length body are parsed as a new request, not smuggled in',
    request:
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
    expected: 2,
    check: (outcome) => {
      // Node's server may drop the POST's own response when the parser fails on what follows
      // (its clientError handling answers 400 and closes); what must never happen is a request
      // made of the body's tail.
      const problems = []
      const report = outcome.reports[0]
      if (report !== undefined) problems.push(...same('POST body', report.body, 'GET /'))
      const statuses = outcome.responses.map((r) => r.status)
      if (statuses.at(-1) !== 400 && !outcome.closed)
        problems.push(`answered ${JSON.stringify(statuses)}`)
      if (outcome.reports.some((r) => r?.path === '/smuggled'))
        problems.push('smuggled request ran')
      return problems
    },
  },
  {
    name: 'latin-1 bytes of a header value arrive unchanged',
    request: 'GET / HTTP/1.1\r\nHost: a\r\nX-Latin: caf\xe9 \xff\r\n\r\n',
    check: served((r) => same('x-latin', headerValues(r, 'x-latin').join(','), 'caf\xe9 \xff')),
  },
  {
    name: 'Expect: 100-continue gets the body once the app reads it',
    request: 'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody',
    check: served((r) => same('body', r.body, 'body')),
  },
]

/**
 * The gateway echo application: answers 200 with the {@link EchoReport} of the request as JSON
 * (the body read whole from `wsgi.input`).
 *
 * @param {Record<string, unknown>} environ
 * @param {(status: string, headers: Array<[string, string]>) => unknown} startResponse
 * @returns {Promise<Uint8Array[]>}
 */
export async function echoApp(environ, startResponse) {
  const input = /** @type {{ read(size?: number): Promise<Uint8Array> }} */ (environ['wsgi.input'])
  let body = ''
  for (;;) {
    const chunk = await input.read(65536)
    if (chunk.length === 0) break
    body += Buffer.from(chunk).toString('latin1')
  }
  /** @type {Array<[string, string]>} */
  const headers = []
  for (const [key, value] of Object.entries(environ)) {
    if (typeof value !== 'string') continue
    if (key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH') {
      if (value !== '') headers.push([key.toLowerCase().replace('_', '-'), value])
    } else if (key.startsWith('HTTP_')) {
      headers.push([key.slice(5).toLowerCase().replaceAll('_', '-'), value])
    }
  }
  /** @type {EchoReport} */
  const report = {
    method: String(environ['REQUEST_METHOD']),
    path: String(environ['SCRIPT_NAME'] ?? '') + String(environ['PATH_INFO'] ?? ''),
    query: String(environ['QUERY_STRING'] ?? ''),
    headers,
    body,
  }
  const bytes = Buffer.from(JSON.stringify(report))
  startResponse('200 OK', [
    ['Content-Type', 'application/json'],
    ['Content-Length', String(bytes.length)],
  ])
  return [bytes]
}

/**
 * A percent-encoded path decoded to latin-1, as PATH_INFO holds it.
 *
 * @param {string} path
 * @returns {string}
 */
export function unquoteLatin1(path) {
  return path.replace(/%([0-9a-fA-F]{2})/g, (_m, hex) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  )
}

/**
 * The echo application as a Node listener (for the `from*` bridges): the same report, from
 * `req.method`, `req.url` (decoded to latin-1), `req.rawHeaders` and the body.
 *
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @returns {Promise<void>}
 */
export async function echoListener(req, res) {
  /** @type {Buffer[]} */
  const chunks = []
  for await (const chunk of req) chunks.push(/** @type {Buffer} */ (chunk))
  const url = /** @type {{ originalUrl?: string }} */ (req).originalUrl ?? req.url ?? '/'
  const q = url.indexOf('?')
  /** @type {Array<[string, string]>} */
  const headers = []
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.push([String(req.rawHeaders[i]).toLowerCase(), String(req.rawHeaders[i + 1])])
  }
  /** @type {EchoReport} */
  const report = {
    method: req.method ?? '',
    path: unquoteLatin1(q < 0 ? url : url.slice(0, q)),
    query: q < 0 ? '' : url.slice(q + 1),
    headers,
    body: Buffer.concat(chunks).toString('latin1'),
  }
  const bytes = Buffer.from(JSON.stringify(report))
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': bytes.length })
  res.end(bytes)
}

/**
 * Send every case of {@link ACCEPTED} through `exchange` and collect the problems of each.
 *
 * @param {(request: string, expected: number) => Promise<import('./raw-http.mjs').Exchange>} send
 * @param {HostTraits} [host] what the server in front does by itself
 * @param {readonly AcceptedCase[]} [cases]
 * @returns {Promise<Map<string, string[]>>} case name -> problems (only cases with problems)
 */
export async function checkAccepted(send, host = {}, cases = ACCEPTED) {
  /** @type {Map<string, string[]>} */
  const failures = new Map()
  for (const c of cases) {
    const exchanged = await send(c.request, c.expected ?? 1)
    /** @type {Outcome} */
    const outcome = {
      responses: exchanged.responses,
      reports: exchanged.responses.map((r) => {
        if (r.status < 200 || r.status > 299) return undefined
        try {
          return /** @type {EchoReport} */ (JSON.parse(r.body.toString('utf8')))
        } catch {
          return undefined
        }
      }),
      closed: exchanged.closed,
    }
    const problems = c.check(outcome, host)
    if (problems.length > 0) failures.set(c.name, problems)
  }
  return failures
}

/**
 * Send every case of {@link REJECTED} to `port`: each must get one of its statuses and a closed
 * connection, and `calls()` (how often the application ran) must not move.
 *
 * @param {number} port
 * @param {() => number} calls
 * @param {readonly RejectedCase[]} [cases]
 * @returns {Promise<Map<string, string>>} case name -> what went wrong (only failing cases)
 */
export async function checkRejected(port, calls, cases = REJECTED) {
  /** @type {Map<string, string>} */
  const failures = new Map()
  for (const c of cases) {
    const before = calls()
    // The close must come, not come within 30 ms of the answer: a busy machine may take longer
    // between writing the 4xx and closing, and a server that keeps the connection is still
    // caught once the wait is over (the close ends the wait early when it comes).
    const result = await exchange(port, c.request, { timeoutMs: 5000, idleMs: 3000 })
    const statuses = result.responses.map((r) => r.status)
    const problems = []
    if (statuses.length !== 1 || !c.statuses.includes(statuses[0] ?? 0)) {
      problems.push(
        `answered ${JSON.stringify(statuses)}, want one of ${JSON.stringify(c.statuses)}`,
      )
    }
    if (!result.closed) problems.push('the connection stayed open')
    if (c.bodyError !== true && calls() !== before) problems.push('the application ran')
    if (problems.length > 0) failures.set(c.name, problems.join('; '))
  }
  return failures
}

/**
 * The echo application as a fetch handler (for `fromFetch`): the same report, from the
 * `Request` (its URL's path decoded to latin-1, its headers as fetch combines them).
 *
 * @param {Request} request
 * @returns {Promise<Response>}
 */
export async function echoFetch(request) {
  const url = new URL(request.url)
  /** @type {EchoReport} */
  const report = {
    method: request.method,
    path: unquoteLatin1(url.pathname),
    query: url.search.slice(1),
    headers: [...request.headers],
    body: Buffer.from(await request.arrayBuffer()).toString('latin1'),
  }
  return new Response(JSON.stringify(report), { headers: { 'content-type': 'application/json' } })
}
