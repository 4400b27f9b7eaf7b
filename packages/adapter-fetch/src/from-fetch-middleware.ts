/**
 * Fetch middleware (`(request, next) => Response`) wrapping a gateway application.
 *
 * @module
 */
import { describe, invalidArgType } from '@wsgi/core/errors'
import type { Middleware, WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'

import { normalizeScriptName } from './_internal/request-environ.ts'
import { FetchHandler } from './fetch-handler.ts'
import { fromFetch } from './from-fetch.ts'
import { FETCH_CTX_KEY, FETCH_ENV_KEY } from './types.ts'
import type { FetchMiddleware } from './types.ts'

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
