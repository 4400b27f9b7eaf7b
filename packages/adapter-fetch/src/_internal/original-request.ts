/**
 * The runtime's own `Request`, handed through a `toFetch(fromFetch(handler))` round trip.
 *
 * `toFetch` puts the `Request` it was called with in `environ['wsgits.fetch_request']`, and
 * `fromFetch` hands that very object to its handler instead of building a new one, as long as the
 * environ still says what the `Request` says. What a runtime hangs on its own `Request` then
 * survives the gateway in between: Bun's `server.requestIP(request)` (which knows only its own
 * objects), Workers' `request.cf`, anything a framework or middleware attached.
 *
 * @module
 */
import type { WSGIEnvironment } from '@wsgi/core/types'

import { FETCH_REQUEST_KEY } from '../types.ts'

import { environHeaders } from './environ-request.ts'
import { connectionListed, isHopByHopHeader } from './hop-by-hop.ts'
import { environURL } from './request-url.ts'

// On the `wsgi.input` toFetch made of a Request's body: that Request. Only while that input is
// still the environ's is the Request's body the gateway request's body. (A property of our own
// input object rather than a WeakMap entry per request: cheaper to set, nothing for the
// garbage collector to trace.)
const OFFERED = Symbol('wsgits.offeredRequest')

/** Offer `request` to a `fromFetch` further in (toFetch's side). */
export function offerRequest(
  environ: Record<string, unknown>,
  request: Request,
  input: object,
): void {
  environ[FETCH_REQUEST_KEY] = request
  ;(input as Record<symbol, unknown>)[OFFERED] = request
}

/**
 * True when `headers` (the environ's, as `fromFetch` would send them) are the `Request`'s own,
 * apart from hop-by-hop fields, which neither side carries, and `Host`, which the URL carries.
 */
function sameHeaders(request: Request, headers: readonly (readonly [string, string])[]): boolean {
  const own = request.headers
  const listed = connectionListed(own.get('connection'))
  let count = 0
  for (const [name] of own) {
    if (name !== 'host' && !isHopByHopHeader(name, listed)) count++
  }
  let compared = 0
  for (const [name, value] of headers) {
    if (name === 'host') continue
    if (own.get(name) !== value) return false
    compared++
  }
  return compared === count
}

/**
 * The `Request` a `toFetch` further out was called with, when the environ still matches it: same
 * method, same URL (as `fromFetch` builds it from the environ), same headers, its body unread and
 * still the environ's `wsgi.input`. Otherwise undefined, and `fromFetch` builds a new `Request`
 * (a dispatcher shifted the path, a middleware changed a header or read the body).
 */
export function originalRequest(
  environ: WSGIEnvironment,
  stripScriptName: boolean,
): Request | undefined {
  const request = environ[FETCH_REQUEST_KEY]
  if (typeof request !== 'object' || request === null) return undefined
  const input: unknown = environ['wsgi.input']
  if (typeof input !== 'object' || input === null) return undefined
  if ((input as Record<symbol, unknown>)[OFFERED] !== request) return undefined
  const candidate = request as Request
  if (candidate.bodyUsed || candidate.method !== environ.REQUEST_METHOD) return undefined
  let url: string
  try {
    url = environURL(environ, stripScriptName)
  } catch {
    // An environ fetch cannot carry: the new-Request path refuses it with its reason.
    return undefined
  }
  if (candidate.url !== url) return undefined
  return sameHeaders(candidate, environHeaders(environ)) ? candidate : undefined
}
