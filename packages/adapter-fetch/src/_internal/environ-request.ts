/**
 * Environ → fetch `Request`: the request half of `fromFetch`.
 *
 * @module
 */
import type { WSGIEnvironment } from '@wsgi/core/types'
import { headerName } from '@wsgi/core/util'

import { connectionListed, isHopByHopHeader } from './hop-by-hop.ts'
import { inputStream } from './input-body.ts'
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

/**
 * The fetch `Request` for an environ.
 *
 * @throws TypeError from the `Request` constructor when the environ cannot make a valid request
 *   (a malformed `Host`, a method fetch forbids such as `CONNECT`, a header value with control
 *   characters); `fromFetch` answers those with a 4xx/5xx response.
 * @throws WSGIError `ERR_WSGI_NOT_LATIN1` when a path or query string is not a native (latin-1)
 *   string; `ERR_WSGI_BAD_REQUEST` when the URL would not carry the request unchanged (see
 *   `environURL`), which `fromFetch` answers with a 400.
 */
export function environRequest(environ: WSGIEnvironment, options: EnvironRequestOptions): Request {
  // As sent: fetch itself upper-cases the six standard methods and keeps others (PATCH) as given.
  const method = environ.REQUEST_METHOD
  const url = environURL(environ, options.stripScriptName)
  const headers = environHeaders(environ)
  const init: RequestInit = { method, headers }
  const limit = bodyLimit(environ)
  const upper = method.toUpperCase()
  if (upper !== 'GET' && upper !== 'HEAD' && limit > 0) {
    init.body = inputStream(environ['wsgi.input'], limit, options.blockSize)
    // A stream body is only allowed with half duplex: the response may start before the request
    // body is consumed, but the request body is never read after the response ended.
    // https://fetch.spec.whatwg.org/#dom-requestinit-duplex
    init.duplex = 'half'
  }
  const signal = environ['wsgits.signal']
  if (signal !== undefined) init.signal = signal
  return new Request(url, init)
}
