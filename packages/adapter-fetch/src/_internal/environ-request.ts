/**
 * Environ → fetch `Request`: the request half of `fromFetch`.
 *
 * @module
 */
import type { WSGIEnvironment } from '@wsgi/core/types'
import { headerName } from '@wsgi/core/util'

import { connectionListed, isHopByHopHeader } from './hop-by-hop.ts'
import { inputStream, readWholeInput } from './input-body.ts'
import { lazyRequest } from './lazy-request.ts'
import { environURL } from './request-url.ts'

/** How {@link environRequest} builds the request. */
export interface EnvironRequestOptions {
  stripScriptName: boolean
  blockSize: number | undefined
}

/**
 * The request headers of an environ: every `HTTP_*` key plus `CONTENT_TYPE` and `CONTENT_LENGTH`,
 * without hop-by-hop headers. Values stay latin-1 strings, which is what a fetch `Headers` holds
 * (a WebIDL ByteString), so no byte changes.
 *
 * A list of pairs, not a `Headers`: the `Request` constructor copies whatever it is given into
 * its own header list, so a `Headers` built here would be validated and copied twice.
 */
export function environHeaders(environ: WSGIEnvironment): [string, string][] {
  const pairs: [string, string][] = []
  const type = environ.CONTENT_TYPE
  const length = environ.CONTENT_LENGTH
  const typed = typeof type === 'string' && type !== ''
  const sized = typeof length === 'string' && length !== ''
  const listed = connectionListed(environ['HTTP_CONNECTION'])
  for (const key of Object.keys(environ)) {
    // CGI carries these two without the prefix; a stray HTTP_ copy would duplicate them.
    if (!key.startsWith('HTTP_') || key === 'HTTP_CONTENT_TYPE' || key === 'HTTP_CONTENT_LENGTH') {
      continue
    }
    const value = environ[key]
    if (typeof value !== 'string') continue
    const name = headerName(key)
    if (name === undefined || isHopByHopHeader(name, listed)) continue
    // The CGI keys below replace these, as `Headers#set` would.
    if ((typed && name === 'content-type') || (sized && name === 'content-length')) continue
    pairs.push([name, value])
  }
  if (typed) pairs.push(['content-type', type])
  if (sized) pairs.push(['content-length', length])
  return pairs
}

/**
 * How many body bytes may be read: `CONTENT_LENGTH`, or unbounded when the server says the input
 * ends by itself (`wsgi.input_terminated`, chunked uploads), or 0 when neither is known (PEP 3333:
 * without a length the application must not read).
 */
export function bodyLimit(environ: WSGIEnvironment): number {
  const length = environ.CONTENT_LENGTH
  if (typeof length === 'string' && /^\d+$/.test(length.trim())) {
    return Number(length.trim())
  }
  return environ['wsgi.input_terminated'] === true ? Infinity : 0
}

/** How many body bytes the `Request` carries: {@link bodyLimit}, 0 for a null body. */
function requestBodyLimit(environ: WSGIEnvironment): number {
  const upper = environ.REQUEST_METHOD.toUpperCase()
  return upper === 'GET' || upper === 'HEAD' ? 0 : bodyLimit(environ)
}

/** A body that was read already (from its source, by the stand-in): empty, soon disturbed. */
function usedBody(): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.close()
    },
  })
}

function requestInit(
  environ: WSGIEnvironment,
  options: EnvironRequestOptions,
  headers: [string, string][],
  limit: number,
  used = false,
): RequestInit {
  // As sent: fetch itself upper-cases the six standard methods and keeps others (PATCH) as given.
  const method = environ.REQUEST_METHOD
  const init: RequestInit = { method, headers }
  if (limit > 0) {
    init.body = used ? usedBody() : inputStream(environ['wsgi.input'], limit, options.blockSize)
    // A stream body is only allowed with half duplex: the response may start before the request
    // body is consumed, but the request body is never read after the response ended.
    // https://fetch.spec.whatwg.org/#dom-requestinit-duplex
    init.duplex = 'half'
  }
  const signal = environ['wsgits.signal']
  if (signal !== undefined) init.signal = signal
  return init
}

// What the `Request` constructor may refuse in a header (a name that is not a token, a value with
// NUL, CR or LF): such an environ goes the eager way, which decides, up front.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const BAD_VALUE = /[\0\r\n]/

function plainHeaders(headers: readonly (readonly [string, string])[]): boolean {
  for (const [name, value] of headers) {
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) return false
  }
  return true
}

/** A `wsgits.signal` the constructor would refuse (an accessor, core's lazy one, is trusted). */
function oddSignal(environ: WSGIEnvironment): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(environ, 'wsgits.signal')
  if (descriptor === undefined || descriptor.get !== undefined) return false
  const signal: unknown = descriptor.value
  if (signal === undefined) return false
  if (typeof signal !== 'object' || signal === null) return true
  const { aborted, addEventListener } = signal as Record<string, unknown>
  return typeof aborted !== 'boolean' || typeof addEventListener !== 'function'
}

/**
 * The fetch `Request` for an environ.
 *
 * Where the runtime allows it (Node), a stand-in that builds the `Request` when something
 * beyond `method` and `url` is first read (see `lazy-request.ts`); only environs the
 * constructor is sure to accept get one, so what it refuses is still refused here.
 *
 * @throws TypeError from the `Request` constructor when the environ cannot make a valid request
 *   (a malformed `Host`, a method fetch forbids such as `CONNECT`, a header value with control
 *   characters); `fromFetch` answers those with a 4xx/5xx response.
 * @throws WSGIError `ERR_WSGI_NOT_LATIN1` when a path or query string is not a native (latin-1)
 *   string; `ERR_WSGI_BAD_REQUEST` when the URL would not carry the request unchanged (see
 *   `environURL`), which `fromFetch` answers with a 400.
 */
export function environRequest(environ: WSGIEnvironment, options: EnvironRequestOptions): Request {
  const url = environURL(environ, options.stripScriptName)
  const headers = environHeaders(environ)
  const limit = requestBodyLimit(environ)
  if (plainHeaders(headers) && !oddSignal(environ)) {
    const build = (used: boolean): Request => {
      const request = new Request(url, requestInit(environ, options, headers, limit, used))
      // Reading starts: the body is disturbed, so the Request says bodyUsed and refuses a read.
      if (used) void request.body?.getReader().read()
      return request
    }
    const readBody = limit > 0 ? () => readWholeInput(environ['wsgi.input'], limit) : undefined
    const lazy = lazyRequest(environ.REQUEST_METHOD, url, build, readBody)
    if (lazy !== undefined) return lazy
  }
  return new Request(url, requestInit(environ, options, headers, limit))
}
