/**
 * Hono forms of the bridge: a gateway application as a Hono handler that finds its own mount
 * prefix, gateway middleware as Hono middleware, and Hono middleware (`hono/cors`, `hono/etag`,
 * `hono/compress`, `hono/secure-headers` …) wrapping a gateway application.
 *
 * The only module of the package that imports `hono`; the rest works with any fetch host.
 *
 * @module
 */
import { Hono } from 'hono'
import type { Context, Handler, MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'

import { describe, invalidArgType } from '@wsgi/core/errors'
import type { ErrorStream, Middleware, WSGIApplication } from '@wsgi/core/types'
import { unquoteLatin1 } from '@wsgi/core/util'

import { remoteAddressOption } from './remote-address.ts'
import type { RemoteAddressFn } from './remote-address.ts'
import { requestURLParts } from './_internal/request-url-parts.ts'
import { FetchHandler, respondNow } from './fetch-handler.ts'
import { fromFetchMiddleware } from './from-fetch-middleware.ts'
import { toFetchMiddleware } from './to-fetch-middleware.ts'
import type { FetchNext } from './types.ts'
import type { ToFetchOptions } from './to-fetch.ts'

/** Options of {@link toHono}. */
export interface ToHonoOptions {
  /** `wsgi.errors`. @defaultValue a stream over `console.error` */
  errors?: ErrorStream
  /**
   * Finds `REMOTE_ADDR` from `c.req.raw` and `c.env`, as `toFetch`'s option of that name (the
   * same default: Bun's `requestIP`, Deno's `remoteAddr`, `@hono/node-server`'s socket).
   */
  remoteAddress?: RemoteAddressFn
}

/** The execution context of `c`, or undefined where the host gives none (Node, `app.request`). */
function executionContext(c: Context): unknown {
  // Hono throws when the runtime passed no context (always on Node); the error is dropped, so
  // it is made without a stack trace, which is most of what it costs.
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return c.executionCtx
  } catch {
    // The gateway side then provides its own.
    return undefined
  } finally {
    Error.stackTraceLimit = limit
  }
}

// Route pattern → how many path segments come before its final wildcard (-1: no wildcard).
// A Hono app has few patterns; bounded all the same.
const DEPTHS = new Map<string, number>()
const DEPTHS_MAX = 256

function wildcardDepth(pattern: string): number {
  const known = DEPTHS.get(pattern)
  if (known !== undefined) return known
  const depth = pattern.endsWith('*')
    ? pattern
        .replace(/\/?\*$/, '')
        .split('/')
        .filter((segment) => segment !== '').length
    : -1
  if (DEPTHS.size < DEPTHS_MAX) DEPTHS.set(pattern, depth)
  return depth
}

/**
 * The mount prefix of a request, raw path segments decoded: as many leading segments of the
 * path as the route pattern has before its final wildcard (`/legacy/*` → `/legacy`,
 * `/t/:tenant/*` → `/t/acme`); `''` for a route without a wildcard.
 */
export function mountPrefix(pattern: string, rawPath: string): string {
  const depth = wildcardDepth(pattern)
  if (depth <= 0) return ''
  // The end of the depth-th segment: the next `/` after it, or the end of the path.
  let end = 0
  for (let seen = 0; seen <= depth; seen++) {
    const slash = rawPath.indexOf('/', end + (seen === 0 ? 0 : 1))
    if (slash === -1) {
      end = rawPath.length
      break
    }
    end = slash
  }
  return unquoteLatin1(rawPath.slice(0, end))
}

/**
 * Turns a gateway application into a Hono handler that knows where it is mounted.
 *
 * Register it on a wildcard route: the part of the path the route pattern matched before `*`
 * becomes `SCRIPT_NAME` and the rest `PATH_INFO`, read from the unmodified `c.req.raw`, so
 * `requestURI(environ)` is the URL the client asked for with no option to keep in step.
 * `c.env` and `c.executionCtx` go to `environ['wsgits.fetch_env']` / `['wsgits.fetch_ctx']`.
 *
 * @example
 * ```ts
 * const app = new Hono()
 * app.all('/legacy/*', toHono(gatewayApp)) // SCRIPT_NAME '/legacy'
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `app` is not a function, or
 *   `options.remoteAddress` not a function.
 */
export function toHono(app: WSGIApplication, options: ToHonoOptions = {}): Handler {
  if (typeof app !== 'function') {
    throw invalidArgType(`The application must be a function (got ${describe(app)})`)
  }
  const errors = options.errors
  const remoteAddress = remoteAddressOption(options.remoteAddress)
  return (c) => {
    const request = c.req.raw
    const url = requestURLParts(request.url)
    const scriptName = mountPrefix(routePath(c), url.pathname)
    // Read only when the app asks for `wsgits.fetch_ctx`.
    const lazyCtx = (): unknown => executionContext(c)
    const handler = new FetchHandler(request, {
      scriptName,
      errors,
      env: c.env,
      ctx: undefined,
      lazyCtx,
      url,
      remoteAddress,
    })
    // Hono takes a Response or a promise of one; a Response it has at once it hands its host at
    // once (on @hono/node-server, without the promise path's close listener and await).
    return respondNow(handler, app)
  }
}

/**
 * Turns gateway middleware into Hono middleware.
 *
 * The middleware sees the request as an environ and may answer it itself or let it through to
 * the rest of the Hono chain; on the way back it sees Hono's response (status, headers, streamed
 * body) and what it returns replaces `c.res` entirely. Changes it makes to the environ before
 * calling the inner application do not reach Hono's later handlers, which keep reading `c.req`;
 * and a middleware that reads `wsgi.input` consumes the body they would read.
 *
 * @example
 * ```ts
 * app.use('*', toHonoMiddleware(gatewayMiddleware))
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `mw` is not a function.
 */
export function toHonoMiddleware(mw: Middleware, options: ToFetchOptions = {}): MiddlewareHandler {
  const fetchMw = toFetchMiddleware(mw, options)
  return async (c, next) => {
    const response = await fetchMw(
      c.req.raw,
      async () => {
        await next()
        return c.res
      },
      c.env,
      executionContext(c),
    )
    // Assigning over an existing c.res makes Hono copy the old headers onto the new response,
    // which would undo headers the middleware removed or changed; clearing it first prevents that.
    c.res = undefined
    c.res = response
  }
}

/**
 * Turns Hono middleware into gateway middleware: `fromHonoMiddleware(cors(), etag())(app)` is an
 * application that runs the Hono middleware chain around `app`.
 *
 * The chain runs in a private Hono instance whose only route hands the request on to `app`
 * (built as in `fromFetchMiddleware`, so `REMOTE_ADDR`, the `SCRIPT_NAME` split and extension
 * keys survive). Hono middleware that buffers (`etag` hashes the whole body) still does.
 *
 * @example
 * ```ts
 * import { cors } from 'hono/cors'
 * import { secureHeaders } from 'hono/secure-headers'
 *
 * const hardened = fromHonoMiddleware(cors({ origin: 'https://example.com' }), secureHeaders())
 * makeServer('', 8000, hardened(gatewayApp)).serveForever()
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when a handler is not a function.
 */
export function fromHonoMiddleware(...handlers: MiddlewareHandler[]): Middleware {
  for (const handler of handlers) {
    if (typeof handler !== 'function') {
      throw invalidArgType(`Hono middleware must be a function (got ${describe(handler)})`)
    }
  }
  // The chain is built once; each request's `next` is found through its Request object, which
  // Hono keeps as c.req.raw from the first middleware to the last.
  const nexts = new WeakMap<Request, FetchNext>()
  const hono = new Hono()
  if (handlers.length > 0) hono.use(...handlers)
  hono.all('*', (c) => {
    const next = nexts.get(c.req.raw)
    if (next === undefined) throw new Error('fromHonoMiddleware: the request object was replaced')
    return next(c.req.raw)
  })
  return fromFetchMiddleware((request, next, env, ctx) => {
    nexts.set(request, next)
    // ctx is whatever the host handed over (a Workers ExecutionContext, or none); Hono only calls
    // its methods when a middleware asks for c.executionCtx.
    return hono.fetch(request, env, ctx as Parameters<typeof hono.fetch>[2])
  })
}
