/**
 * The CGI and extension keys `FetchHandler` puts in its environ: a base environ's keys, the
 * request's, `REMOTE_ADDR`, and the lazily made `wsgits.signal` and `wsgits.fetch_ctx`.
 *
 * @module
 */
import type { InputStream } from '@wsgi/core/types'

import type { FetchHandlerOptions } from '../fetch-handler.ts'
import { FETCH_CTX_KEY, FETCH_ENV_KEY } from '../types.ts'
import { offerRequest } from './original-request.ts'
import { addRequestCgiVars } from './request-environ.ts'

/** Keys the `Request` itself decides; a base environ's copies of them are left behind. */
function fromRequest(key: string): boolean {
  return key.startsWith('HTTP_') || key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH'
}

/** A setter that replaces an accessor key with a plain value (middleware may replace it). */
function setOwnValue(key: string): (this: Record<string, unknown>, value: unknown) => void {
  return function set(this: Record<string, unknown>, value: unknown): void {
    Object.defineProperty(this, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    })
  }
}

const SET_SIGNAL = setOwnValue('wsgits.signal')
const SET_CTX = setOwnValue(FETCH_CTX_KEY)

/**
 * Add the CGI variables of `request` to `environ`, and the fetch extension keys; `signal` makes
 * `wsgits.signal` when it is first read.
 */
export function addFetchCgiVars(
  environ: Record<string, unknown>,
  request: Request,
  options: FetchHandlerOptions,
  stdin: InputStream,
  signal: () => AbortSignal,
): void {
  const base = options.baseEnviron
  if (base !== undefined) {
    for (const [key, value] of Object.entries(base)) if (!fromRequest(key)) environ[key] = value
  }
  addRequestCgiVars(environ, request, options.scriptName, options.url)
  const address = options.remoteAddress?.(request, options.env)
  if (address !== undefined) environ['REMOTE_ADDR'] = address
  // A fetch Request does not know its HTTP version; an enclosing gateway request does.
  if (typeof base?.['SERVER_PROTOCOL'] === 'string')
    environ['SERVER_PROTOCOL'] = base['SERVER_PROTOCOL']
  // The body ends by itself (fetch de-chunks it), so reading to EOF is safe without a length.
  environ['wsgi.input_terminated'] = true
  Object.defineProperty(environ, 'wsgits.signal', {
    get: signal,
    set: SET_SIGNAL,
    enumerable: true,
    configurable: true,
  })
  if (options.env !== undefined) environ[FETCH_ENV_KEY] = options.env
  offerRequest(environ, request, stdin)
  const lazyCtx = options.lazyCtx
  if (lazyCtx !== undefined) {
    Object.defineProperty(environ, FETCH_CTX_KEY, {
      get(this: Record<string, unknown>): unknown {
        const ctx = lazyCtx()
        SET_CTX.call(this, ctx)
        return ctx
      },
      set: SET_CTX,
      enumerable: true,
      configurable: true,
    })
  } else if (options.ctx !== undefined) {
    environ[FETCH_CTX_KEY] = options.ctx
  }
}
