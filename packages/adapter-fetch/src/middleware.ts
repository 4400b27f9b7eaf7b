/**
 * Middleware across the border: gateway middleware (`(app) => app`) as fetch middleware
 * (`(request, next) => Response`), and fetch middleware wrapping a gateway application.
 *
 * @module
 */
import { describe, invalidArgType } from '@wsgi/core/errors'
import type { Middleware, WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'

import { normalizeScriptName } from './_internal/request-environ.ts'
import { FetchHandler } from './fetch-handler.ts'
import { fromFetch } from './from-fetch.ts'
import type { ToFetchOptions } from './to-fetch.ts'
import { FETCH_CTX_KEY, FETCH_ENV_KEY } from './types.ts'

/** What a fetch middleware calls to run the rest of the chain; the request defaults to its own. */
export type FetchNext = (request?: Request) => Promise<Response>

/**
 * A fetch middleware: gets the request and `next`, gives a response. The shape of itty-router,
 * HatTip and most `Request`/`Response` pipelines; `env` and `ctx` are the runtime's extras.
 */
export type FetchMiddleware = (
  request: Request,
  next: FetchNext,
  env?: unknown,
  ctx?: unknown,
) => Response | Promise<Response>

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

/**
 * Turns fetch middleware into gateway middleware: `fromFetchMiddleware(fetchMw)(app)` is an
 * application that runs `fetchMw` with `next` leading to `app`.
 *
 * The request reaches `fetchMw` as in {@link fromFetch} (full URL, body streaming from
 * `wsgi.input`). Whatever request it gives to `next` becomes `app`'s environ: the request line
 * and headers from that `Request`, everything else (`REMOTE_ADDR`, `SERVER_PROTOCOL`, the
 * `SCRIPT_NAME` split, extension keys) from the original environ.
 *
 * @example
 * ```ts
 * const withTiming = fromFetchMiddleware(async (request, next) => {
 *   const started = Date.now()
 *   const response = await next()
 *   response.headers.set('server-timing', `app;dur=${Date.now() - started}`)
 *   return response
 * })
 * makeServer('', 8000, withTiming(gatewayApp)).serveForever()
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `fetchMw` or `app` is not a function.
 */
export function fromFetchMiddleware(fetchMw: FetchMiddleware): Middleware {
  if (typeof fetchMw !== 'function') {
    throw invalidArgType(`The fetch middleware must be a function (got ${describe(fetchMw)})`)
  }
  return (app) => {
    if (typeof app !== 'function') {
      throw invalidArgType(`The application must be a function (got ${describe(app)})`)
    }
    return (environ, startResponse) => {
      const next = (request: Request): Promise<Response> => innerRequest(app, environ, request)
      const handler = (request: Request, env: unknown, ctx: unknown): Promise<Response> =>
        Promise.resolve(fetchMw(request, (r) => next(r ?? request), env, ctx))
      return fromFetch(handler)(environ, startResponse)
    }
  }
}

/** Runs `app` for a `Request` made inside an enclosing gateway request. */
function innerRequest(
  app: WSGIApplication,
  outer: WSGIEnvironment,
  request: Request,
): Promise<Response> {
  return new FetchHandler(request, {
    scriptName: normalizeScriptName(outer.SCRIPT_NAME),
    errors: outer['wsgi.errors'],
    env: outer[FETCH_ENV_KEY],
    ctx: outer[FETCH_CTX_KEY],
    baseEnviron: outer,
  }).respond(app)
}
