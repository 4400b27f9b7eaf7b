/**
 * Gateway middleware (`(app) => app`) as fetch middleware (`(request, next) => Response`).
 *
 * @module
 */
import { describe, invalidArgType } from '@wsgi/core/errors'
import type { Middleware, WSGIApplication } from '@wsgi/core/types'

import { normalizeScriptName } from './_internal/request-environ.ts'
import { FetchHandler } from './fetch-handler.ts'
import { fromFetch } from './from-fetch.ts'
import type { ToFetchOptions } from './to-fetch.ts'
import type { FetchMiddleware, FetchNext } from './types.ts'

/**
 * Environ key of the `next` of the fetch chain while a gateway middleware runs inside
 * {@link toFetchMiddleware}; the innermost application calls it. Internal plumbing, listed so a
 * middleware that builds a fresh environ knows to carry it over.
 */
export const FETCH_NEXT_KEY = 'wsgits.fetch_next' as const

/** The innermost application of {@link toFetchMiddleware}: the fetch chain's `next`. */
const callNext: WSGIApplication = (environ, startResponse) => {
  const next = environ[FETCH_NEXT_KEY]
  if (typeof next !== 'function') {
    throw invalidArgType(
      `environ['${FETCH_NEXT_KEY}'] must be the fetch chain's next (got ${describe(next)})`,
    )
  }
  return fromFetch(next as FetchNext)(environ, startResponse)
}

/**
 * Turns gateway middleware into fetch middleware.
 *
 * The middleware is applied once, to an application that hands the request on to the fetch
 * chain's `next`. Per request, the `Request` becomes an environ (as in {@link toFetch}), the
 * middleware sees and may change it, and what reaches `next` is a `Request` rebuilt from the
 * environ it passes on: a rewritten `PATH_INFO` or an added `HTTP_*` header arrives as such. The
 * response of `next` goes back up through the middleware, streamed, and out as a `Response`.
 *
 * @example
 * ```ts
 * const fetchMw = toFetchMiddleware(myGatewayMiddleware)
 * export default { fetch: (request) => fetchMw(request, (r) => api(r ?? request)) }
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `mw` is not a function or does not return one.
 */
export function toFetchMiddleware(mw: Middleware, options: ToFetchOptions = {}): FetchMiddleware {
  if (typeof mw !== 'function') {
    throw invalidArgType(`The middleware must be a function (got ${describe(mw)})`)
  }
  const app = mw(callNext)
  if (typeof app !== 'function') {
    throw invalidArgType(`The middleware must return an application (got ${describe(app)})`)
  }
  const scriptName = normalizeScriptName(options.scriptName)
  const errors = options.errors
  return function gatewayMiddleware(request, next, env, ctx) {
    const baseEnviron = { [FETCH_NEXT_KEY]: (r?: Request) => next(r ?? request) }
    return new FetchHandler(request, { scriptName, errors, env, ctx, baseEnviron }).respond(app)
  }
}
