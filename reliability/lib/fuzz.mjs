/**
 * Property-based round trips (fast-check) through a server and its bridges: random methods,
 * paths with `%XX` escapes, bytes that are not UTF-8 and Unicode, random header sets with
 * repeated names, random bodies sent in random chunks; and random responses (status, repeated
 * headers, several `Set-Cookie`, a body in random chunks).
 *
 * The application on the far side (a gateway app, or a native one behind a `from*` bridge)
 * records what it saw under the request's `x-fuzz-id` and answers with the response the property
 * drew for that id. The property holds when the far side saw exactly what the client sent and
 * the client got exactly what the far side answered.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { request as httpRequest } from 'node:http'

import fc from 'fast-check'

import { unquoteLatin1 } from './malformed.mjs'

/**
 * @typedef {object} FuzzRequest
 * @property {string} method
 * @property {string} target the raw path and query, as sent
 * @property {string} path the path decoded to latin-1 (what PATH_INFO holds)
 * @property {string} query the raw query string
 * @property {Array<[string, string]>} headers lower-case `x-f-*` names, values latin-1
 * @property {Uint8Array[]} body the chunks the client writes
 * @property {boolean} chunked sent with `Transfer-Encoding: chunked` (else `Content-Length`)
 */

/**
 * @typedef {object} FuzzResponse
 * @property {number} status
 * @property {Array<[string, string]>} headers `x-r-*` names and `set-cookie`
 * @property {Uint8Array[]} body the chunks the far side yields
 */

/**
 * What the far side saw.
 *
 * @typedef {object} Seen
 * @property {string} method
 * @property {string} path decoded to latin-1
 * @property {string} query raw
 * @property {Array<[string, string]>} headers lower-case names
 * @property {Buffer} body
 */

/**
 * @typedef {object} FuzzRegistry
 * @property {Map<string, FuzzResponse>} responses what to answer, by id
 * @property {Map<string, Seen>} seen what the far side saw, by id
 */

/** @returns {FuzzRegistry} */
export function fuzzRegistry() {
  return { responses: new Map(), seen: new Map() }
}

const UNRESERVED = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~'
// Raw in a path segment everywhere (RFC 3986 pchar), and kept raw by WHATWG URLs.
const SUB_DELIMS = '!$&()*+,;=:@'
const hex = (/** @type {number} */ b) => b.toString(16).toUpperCase().padStart(2, '0')

/**
 * One path segment: bytes, each written raw when it may be, else as %XX (random case).
 *
 * @param {boolean} utf8 the bytes decode as UTF-8 (no lone bytes above 0x7F)
 */
const segmentArbitrary = (utf8) =>
  fc
    .array(
      fc.oneof(
        // ASCII that may stay raw
        fc
          .constantFrom(...UNRESERVED, ...SUB_DELIMS)
          .map((c) => ({ bytes: [c.charCodeAt(0)], raw: true })),
        // any byte escaped: non-UTF-8 sequences, NUL, '/', '?', '#', '%'…
        fc.integer({ min: 0, max: utf8 ? 0x7f : 0xff }).map((b) => ({ bytes: [b], raw: false })),
        // Unicode, escaped as UTF-8
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }).map((s) => ({
          bytes: [...Buffer.from(s, 'utf8')],
          raw: false,
        })),
      ),
      { minLength: 0, maxLength: 6 },
    )
    .chain((parts) =>
      fc.array(fc.boolean(), { minLength: parts.length, maxLength: parts.length }).map((lower) => {
        let raw = ''
        let decoded = ''
        parts.forEach((part, i) => {
          for (const b of part.bytes) {
            decoded += String.fromCharCode(b)
            const escaped = `%${hex(b)}`
            raw += part.raw
              ? String.fromCharCode(b)
              : lower[i] === true
                ? escaped.toLowerCase()
                : escaped
          }
        })
        return { raw, decoded }
      }),
    )
    // A segment that decodes to '.' or '..' is a dot segment: its own case in the catalogue.
    .filter((s) => s.decoded !== '.' && s.decoded !== '..')

const queryArb = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        ...UNRESERVED,
        '!',
        '$',
        '&',
        '(',
        ')',
        '*',
        '+',
        ',',
        ';',
        '=',
        ':',
        '@',
        '/',
        '?',
      ),
      fc.integer({ min: 0, max: 255 }).map((b) => `%${hex(b)}`),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''))

// Header values: latin-1 without controls or ',', never starting or ending with blanks (servers
// strip those, as PEP 3333 servers strip values).
const VALUE_EDGE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
const valueCharArb = fc
  .integer({ min: 0x20, max: 0xff })
  .filter((c) => c !== 0x7f && c !== 0x2c && !(c >= 0x80 && c < 0xa0))
  .map((c) => String.fromCharCode(c))
/**
 * @param {boolean} latin1 values may hold bytes above 0x7F
 * @returns {fc.Arbitrary<string>}
 */
const valueArbitrary = (latin1) =>
  fc
    .tuple(
      fc.constantFrom(...VALUE_EDGE),
      fc.string({
        unit: latin1 ? valueCharArb : valueCharArb.filter((c) => c < '\x7f'),
        maxLength: 16,
      }),
      fc.constantFrom(...VALUE_EDGE),
    )
    .map(([a, middle, b]) => a + middle + b)
const valueArb = valueArbitrary(true)
const nameArb = (/** @type {string} */ prefix) =>
  fc
    .string({
      unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'),
      minLength: 1,
      maxLength: 6,
    })
    .map((s) => `${prefix}${s}`)

/**
 * A header list with repeated names, in an order where each name's values are together.
 *
 * @param {string} prefix
 * @param {fc.Arbitrary<string>} [values]
 * @returns {fc.Arbitrary<Array<[string, string]>>}
 */
const headersArb = (prefix, values = valueArb) =>
  fc
    .uniqueArray(fc.tuple(nameArb(prefix), fc.array(values, { minLength: 1, maxLength: 3 })), {
      selector: ([name]) => name,
      maxLength: 4,
    })
    .map((entries) =>
      entries.flatMap(([name, values]) =>
        values.map((v) => /** @type {[string, string]} */ ([name, v])),
      ),
    )

const chunksArb = fc.array(fc.uint8Array({ minLength: 1, maxLength: 3000 }), { maxLength: 5 })

/**
 * Requests; `utf8`: the paths decode as UTF-8.
 *
 * @param {boolean} utf8
 * @returns {fc.Arbitrary<FuzzRequest>}
 */
const requestArbitrary = (utf8) =>
  fc
    .record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
      segments: fc.array(segmentArbitrary(utf8), { minLength: 1, maxLength: 4 }),
      query: queryArb,
      headers: headersArb('x-f-'),
      body: chunksArb,
      chunked: fc.boolean(),
    })
    .map(({ method, segments, query, headers, body, chunked }) => {
      const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH'
      return {
        method,
        target: `/${segments.map((s) => s.raw).join('/')}${query === '' ? '' : `?${query}`}`,
        path: `/${segments.map((s) => s.decoded).join('/')}`,
        query,
        headers,
        body: hasBody ? body : [],
        chunked,
      }
    })

/** @type {fc.Arbitrary<FuzzRequest>} */
export const requestArb = requestArbitrary(false)
/** Requests whose paths decode as UTF-8. @type {fc.Arbitrary<FuzzRequest>} */
export const utf8RequestArb = requestArbitrary(true)

const COOKIE_DATES = ['Wed, 21 Oct 2037 07:28:00 GMT', 'Thu, 01 Jan 1970 00:00:00 GMT']

const setCookieArb = fc
  .tuple(nameArb('c'), valueArb, fc.constantFrom(...COOKIE_DATES), fc.boolean())
  .map(
    ([name, value, date, httpOnly]) =>
      `${name}=${encodeURIComponent(value)}; Path=/; Expires=${date}${httpOnly ? '; HttpOnly' : ''}`,
  )

/**
 * Responses; `latin1`: header values may hold bytes above 0x7F.
 *
 * @param {boolean} latin1
 * @returns {fc.Arbitrary<FuzzResponse>}
 */
const responseArbitrary = (latin1) =>
  fc
    .record({
      status: fc.constantFrom(
        200,
        201,
        202,
        203,
        204,
        206,
        226,
        304,
        400,
        403,
        404,
        409,
        418,
        422,
        451,
        500,
        503,
      ),
      headers: headersArb('x-r-', valueArbitrary(latin1)),
      cookies: fc.array(setCookieArb, { maxLength: 3 }),
      body: chunksArb,
    })
    .map(({ status, headers, cookies, body }) => ({
      status,
      headers: [
        ...headers,
        ...cookies.map((c) => /** @type {[string, string]} */ (['set-cookie', c])),
      ],
      // 204 and 304 never have a body (RFC 9110 sections 15.3.5 and 15.4.5).
      body: status === 204 || status === 304 ? [] : body,
    }))

/** @type {fc.Arbitrary<FuzzResponse>} */
export const responseArb = responseArbitrary(true)
/** Responses whose header values are ASCII only. @type {fc.Arbitrary<FuzzResponse>} */
export const asciiResponseArb = responseArbitrary(false)

/** Standard reason phrases for the statuses drawn above. */
const REASONS = /** @type {Record<number, string>} */ ({
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  206: 'Partial Content',
  226: 'IM Used',
  304: 'Not Modified',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  418: "I'm a teapot",
  422: 'Unprocessable Content',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
})

/**
 * The far side as a gateway app: records what it saw, answers with the drawn response.
 *
 * @param {FuzzRegistry} registry
 * @returns {(environ: Record<string, any>, startResponse: (status: any, headers: any) => unknown) => Promise<any>}
 */
export function fuzzGatewayApp(registry) {
  return async (environ, startResponse) => {
    const id = String(environ['HTTP_X_FUZZ_ID'] ?? '')
    const input = environ['wsgi.input']
    /** @type {Buffer[]} */
    const chunks = []
    for (;;) {
      const chunk = await input.read(8192)
      if (chunk.length === 0) break
      chunks.push(Buffer.from(chunk))
    }
    /** @type {Array<[string, string]>} */
    const headers = []
    for (const [key, value] of Object.entries(environ)) {
      if (typeof value === 'string' && key.startsWith('HTTP_')) {
        headers.push([key.slice(5).toLowerCase().replaceAll('_', '-'), value])
      }
    }
    registry.seen.set(id, {
      method: String(environ['REQUEST_METHOD']),
      path: String(environ['SCRIPT_NAME'] ?? '') + String(environ['PATH_INFO'] ?? ''),
      query: String(environ['QUERY_STRING'] ?? ''),
      headers,
      body: Buffer.concat(chunks),
    })
    const response = registry.responses.get(id) ?? { status: 404, headers: [], body: [] }
    // A copy: a server may append to the list it is given (wsgiref's Content-Length does).
    startResponse(`${response.status} ${REASONS[response.status] ?? 'Unknown'}`, [
      ...response.headers,
    ])
    return (async function* () {
      for (const chunk of response.body) {
        yield chunk
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
  }
}

/**
 * Record what a native far side saw: its method, raw URL (the full path: `originalUrl` where the
 * framework has one), raw header pairs and body.
 *
 * @param {FuzzRegistry} registry
 * @param {{ method: string, url: string, rawHeaders: string[], body: Buffer }} seen
 * @returns {FuzzResponse} what to answer
 */
export function recordNative(registry, seen) {
  /** @type {Array<[string, string]>} */
  const headers = []
  let id = ''
  for (let i = 0; i + 1 < seen.rawHeaders.length; i += 2) {
    const name = String(seen.rawHeaders[i]).toLowerCase()
    const value = String(seen.rawHeaders[i + 1])
    if (name === 'x-fuzz-id') id = value
    headers.push([name, value])
  }
  const q = seen.url.indexOf('?')
  registry.seen.set(id, {
    method: seen.method,
    path: unquoteLatin1(q < 0 ? seen.url : seen.url.slice(0, q)),
    query: q < 0 ? '' : seen.url.slice(q + 1),
    headers,
    body: seen.body,
  })
  return registry.responses.get(id) ?? { status: 404, headers: [], body: [] }
}

/**
 * The far side as a Node listener, for `fromNodeListener` and the frameworks that hand over
 * `req`/`res` (Koa with `ctx.respond = false`, Fastify's `request.raw`/`reply.raw`, Express).
 *
 * @param {FuzzRegistry} registry
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void>}
 */
export function fuzzListener(registry) {
  return async (req, res) => {
    /** @type {Buffer[]} */
    const chunks = []
    for await (const chunk of req) chunks.push(/** @type {Buffer} */ (chunk))
    const url = /** @type {{ originalUrl?: string }} */ (req).originalUrl ?? req.url ?? '/'
    const response = recordNative(registry, {
      method: req.method ?? '',
      url,
      rawHeaders: req.rawHeaders,
      body: Buffer.concat(chunks),
    })
    // setHeader() with every value of a name: a framework may have set headers already
    // (Express's X-Powered-By), and writeHead() then merges a raw list through setHeader(),
    // keeping only the last value of each name (Node's documented merge).
    /** @type {Map<string, string[]>} */
    const grouped = new Map()
    for (const [name, value] of response.headers)
      grouped.set(name, [...(grouped.get(name) ?? []), value])
    for (const [name, values] of grouped) res.setHeader(name, values)
    res.writeHead(response.status, REASONS[response.status] ?? 'Unknown')
    for (const chunk of response.body) {
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve))
      await new Promise((resolve) => setImmediate(resolve))
    }
    res.end()
  }
}

/**
 * The far side as a fetch handler (for `fromFetch`).
 *
 * @param {FuzzRegistry} registry
 * @returns {(request: Request) => Promise<Response>}
 */
export function fuzzFetchHandler(registry) {
  return async (request) => {
    const body = Buffer.from(await request.arrayBuffer())
    const url = new URL(request.url)
    /** @type {string[]} */
    const rawHeaders = []
    for (const [name, value] of request.headers) rawHeaders.push(name, value)
    const response = recordNative(registry, {
      method: request.method,
      url: url.pathname + url.search,
      rawHeaders,
      body,
    })
    const headers = new Headers()
    for (const [name, value] of response.headers) headers.append(name, value)
    // A copy: the stream consumes it.
    const chunks = [...response.body]
    const stream =
      chunks.length === 0 || response.status === 204 || response.status === 304
        ? null
        : new ReadableStream({
            async pull(controller) {
              const next = chunks.shift()
              if (next === undefined) controller.close()
              else controller.enqueue(new Uint8Array(next))
            },
          })
    return new Response(stream, { status: response.status, headers })
  }
}

/**
 * @typedef {object} Received
 * @property {number} status
 * @property {Array<[string, string]>} headers lower-case names, raw order and repeats
 * @property {Buffer} body
 */

/**
 * Send `req` (with `x-fuzz-id: id`) to `127.0.0.1:port` with `node:http`, over a fresh connection.
 *
 * @param {number} port
 * @param {FuzzRequest} req
 * @param {string} id
 * @param {string} [prefix] a mount prefix put before the target
 * @returns {Promise<Received>}
 */
export function sendFuzz(port, req, id, prefix = '') {
  return new Promise((resolve, reject) => {
    const length = req.body.reduce((n, c) => n + c.length, 0)
    const hasBody =
      req.body.length > 0 || req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH'
    const client = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: req.method,
        path: prefix + req.target,
        agent: false,
        setHost: true,
      },
      (res) => {
        /** @type {Buffer[]} */
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => {
          /** @type {Array<[string, string]>} */
          const headers = []
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            headers.push([String(res.rawHeaders[i]).toLowerCase(), String(res.rawHeaders[i + 1])])
          }
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) })
        })
        res.on('error', reject)
      },
    )
    client.on('error', reject)
    client.setHeader('x-fuzz-id', id)
    /** @type {Map<string, string[]>} */
    const grouped = new Map()
    for (const [name, value] of req.headers)
      grouped.set(name, [...(grouped.get(name) ?? []), value])
    for (const [name, values] of grouped) client.setHeader(name, values)
    if (hasBody) {
      client.setHeader('content-type', 'application/octet-stream')
      if (!req.chunked) client.setHeader('content-length', String(length))
    }
    for (const chunk of req.body) client.write(chunk)
    client.end()
  })
}

/**
 * Values of `name` in a header list, repeats split apart (a hop may join them with `,` or `, `).
 *
 * @param {Array<[string, string]>} headers
 * @param {string} name
 * @returns {string[]}
 */
function valuesOf(headers, name) {
  return headers
    .filter(([n]) => n === name)
    .flatMap(([, v]) => v.split(','))
    .map((v) => v.trim())
}

/**
 * What the far side got wrong about the request.
 *
 * @param {FuzzRequest} sent
 * @param {Seen | undefined} seen
 * @param {string} [prefix] the mount prefix the far side sees in front of the path
 * @returns {string[]}
 */
export function requestProblems(sent, seen, prefix = '') {
  if (seen === undefined) return ['the far side never saw the request']
  /** @type {string[]} */
  const problems = []
  const expect = (
    /** @type {string} */ what,
    /** @type {unknown} */ got,
    /** @type {unknown} */ want,
  ) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      problems.push(`${what}: saw ${JSON.stringify(got)}, sent ${JSON.stringify(want)}`)
    }
  }
  expect('method', seen.method, sent.method)
  expect('path', seen.path, unquoteLatin1(prefix) + sent.path)
  expect('query', seen.query, sent.query)
  for (const name of new Set(sent.headers.map(([n]) => n))) {
    expect(`header ${name}`, valuesOf(seen.headers, name), valuesOf(sent.headers, name))
  }
  const extra = seen.headers.filter(
    ([n]) => n.startsWith('x-f-') && !sent.headers.some(([m]) => m === n),
  )
  if (extra.length > 0) problems.push(`headers never sent: ${JSON.stringify(extra)}`)
  const body = Buffer.concat(sent.body)
  if (!seen.body.equals(body))
    problems.push(`body: saw ${seen.body.length} bytes, sent ${body.length}`)
  return problems
}

/**
 * What the client got wrong about the response.
 *
 * @param {FuzzResponse} answered
 * @param {Received} got
 * @returns {string[]}
 */
export function responseProblems(answered, got) {
  /** @type {string[]} */
  const problems = []
  if (got.status !== answered.status)
    problems.push(`status ${got.status}, answered ${answered.status}`)
  for (const name of new Set(answered.headers.map(([n]) => n))) {
    if (name === 'set-cookie') {
      // Each cookie must arrive as a header of its own, unchanged (never joined).
      const want = answered.headers.filter(([n]) => n === name).map(([, v]) => v)
      const have = got.headers.filter(([n]) => n === name).map(([, v]) => v)
      if (JSON.stringify(have) !== JSON.stringify(want)) {
        problems.push(`set-cookie: got ${JSON.stringify(have)}, answered ${JSON.stringify(want)}`)
      }
      continue
    }
    const want = valuesOf(answered.headers, name)
    const have = valuesOf(got.headers, name)
    if (JSON.stringify(have) !== JSON.stringify(want)) {
      problems.push(`${name}: got ${JSON.stringify(have)}, answered ${JSON.stringify(want)}`)
    }
  }
  const body = Buffer.concat(answered.body)
  if (!got.body.equals(body))
    problems.push(`body: got ${got.body.length} bytes, answered ${body.length}`)
  return problems
}

let nextId = 0

/**
 * The round-trip property for one served stack: draw a request and a response, send, compare
 * both sides. Use with `fc.assert(roundTrip(...), { numRuns })`.
 *
 * @param {() => number} port
 * @param {FuzzRegistry} registry
 * @param {{ prefix?: string, asciiResponseHeaders?: boolean, utf8Paths?: boolean }} [options]
 *   `prefix`: where the stack mounts the far side; `asciiResponseHeaders`: draw ASCII response
 *   header values only; `utf8Paths`: draw paths that decode as UTF-8 only
 * @returns {fc.IAsyncPropertyWithHooks<[FuzzRequest, FuzzResponse]>}
 */
export function roundTrip(port, registry, options = {}) {
  const prefix = options.prefix ?? ''
  const responses = options.asciiResponseHeaders === true ? asciiResponseArb : responseArb
  const requests = options.utf8Paths === true ? utf8RequestArb : requestArb
  return fc.asyncProperty(requests, responses, async (req, res) => {
    const id = `fz${++nextId}`
    registry.responses.set(id, { ...res, body: [...res.body] })
    try {
      const got = await sendFuzz(port(), req, id, prefix)
      const problems = [
        ...requestProblems(req, registry.seen.get(id), prefix).map((p) => `request ${p}`),
        ...responseProblems(res, got).map((p) => `response ${p}`),
      ]
      if (problems.length > 0) throw new Error(problems.join('\n'))
    } finally {
      registry.responses.delete(id)
      registry.seen.delete(id)
    }
  })
}

/** How many runs a fuzz property makes: `RELIABILITY_FUZZ_RUNS`, else `fallback`. */
export function fuzzRuns(/** @type {number} */ fallback) {
  const env = Number(process.env['RELIABILITY_FUZZ_RUNS'])
  return Number.isSafeInteger(env) && env > 0 ? env : fallback
}
