/**
 * Gateway middleware in a Koa chain: `toKoaMiddleware(mw)`.
 *
 * Gateway middleware is `(app) => app`. Here its inner app is the rest of the Koa chain: calling
 * it runs `await next()`, and what the downstream middleware left on `ctx` (status, headers,
 * body) is its response. What the gateway middleware answers in the end is written back to
 * `ctx`, where Koa (and the middleware upstream) take it from.
 *
 * @module
 */
import type Koa from 'koa'

import { WSGIError, describe, invalidArgType } from '@wsgi/core/errors'
import { passBodyOn } from '@wsgi/core/node'
import type { Middleware, WSGIApplication } from '@wsgi/core/types'

import { linkEnviron } from './_internal/environ-link.ts'
import { environOf } from './environ-of.ts'
import { applyEnviron, snapshotOf } from './_internal/environ-sync.ts'
import type { RequestSnapshot } from './_internal/environ-sync.ts'
import { respondFromContext } from './_internal/koa-response.ts'
import { KOA_CONTEXT_KEY, KoaHandler } from './koa-handler.ts'
import type { KoaHandlerOptions } from './koa-handler.ts'

/** Options of {@link toKoaMiddleware}: those of `toKoa` that apply. */
export type ToKoaMiddlewareOptions = Omit<
  KoaHandlerOptions,
  'fallthrough' | 'replaceHeaders' | 'onError'
>

type Context = Koa.ParameterizedContext

// Per request: Koa's `next` (called once, by the inner app), and the environ as first made.
// Properties of the context, not entries of module-level WeakMaps: V8's scavenger treats an
// old-space WeakMap's entries as roots, so what they lead to was promoted and freed only by a
// mark-compact. Koa does not enumerate its context.
const kNext = Symbol('wsgits.koaMiddlewareNext')
const kSnapshot = Symbol('wsgits.koaMiddlewareSnapshot')

interface Linked {
  [kNext]?: Koa.Next | undefined
  [kSnapshot]?: RequestSnapshot
}

function linked(ctx: Context): Context & Linked {
  return ctx
}

/** `KoaHandler`, remembering the environ as it was before the gateway middleware ran. */
class MiddlewareHandler extends KoaHandler {
  override setupEnviron(): void {
    super.setupEnviron()
    if (this.environ !== undefined) linked(this.context)[kSnapshot] = snapshotOf(this.environ)
  }
}

function contextOf(environ: Readonly<Record<string, unknown>>): Context {
  const ctx = environ[KOA_CONTEXT_KEY]
  if (typeof ctx !== 'object' || ctx === null) {
    throw invalidArgType(
      `The inner app of toKoaMiddleware needs environ['${KOA_CONTEXT_KEY}'] of the request ` +
        `(got ${describe(ctx)}); pass the environ, or a copy of it, to the inner app`,
    )
  }
  return ctx as Context
}

/** The rest of the Koa chain as a gateway app. */
const restOfChain: WSGIApplication = async (environ, startResponse) => {
  const ctx = contextOf(environ)
  const next = linked(ctx)[kNext]
  // koa-compose allows one call of `next`, so the rest of the chain runs once per request.
  if (next === undefined) {
    throw new WSGIError(
      'ERR_WSGI_CHAIN_ALREADY_RUN',
      'The rest of the Koa chain already ran for this request; call the app once',
    )
  }
  // Cleared rather than deleted: the same for every lookup here, and a `delete` of a property
  // that is not the newest would turn the context into a slow dictionary-mode object.
  linked(ctx)[kNext] = undefined
  const restore = applyEnviron(ctx, environ, linked(ctx)[kSnapshot] ?? snapshotOf(environ))
  const outer = environOf(ctx)
  // `ctx.req` and its body go on to the rest of the chain: no handler here drains it.
  passBodyOn(environ)
  passBodyOn(outer)
  linkEnviron(ctx.req, environ)
  try {
    await next()
  } finally {
    linkEnviron(ctx.req, outer)
    restore()
  }
  return respondFromContext(ctx, startResponse)
}

/**
 * Gateway middleware as Koa middleware.
 *
 * The gateway middleware's inner app runs the rest of the Koa chain (`await next()`) and returns
 * what it left on `ctx`: `ctx.status` and `ctx.message`, every response header (hop-by-hop ones
 * dropped), and `ctx.body` as bytes, the way Koa would send it (strings, Buffers, streams pulled
 * with backpressure, JSON, Koa's status text for an empty body). Changes the gateway middleware
 * made to the environ before calling its inner app show downstream: the method, `PATH_INFO` as
 * `ctx.path`, the query string, `REMOTE_ADDR` as `ctx.ip` and the request headers; the whole
 * environ is `environOf(ctx)`. They are undone when the inner app returns.
 *
 * The gateway middleware's response replaces what is on `ctx`: status, all headers, and the
 * body, as a stream (`ctx.body` is then a `Readable`), except for HEAD, 204 and 304. A gateway
 * middleware that answers without calling its inner app ends the chain there. Errors, from the
 * middleware or from downstream, reach Koa's error handling as with `toKoa`.
 *
 * The gateway middleware is applied once, when `toKoaMiddleware` is called.
 *
 * @example
 * ```ts
 * // A gateway middleware that adds a header to every response.
 * const poweredBy: Middleware = (app) => (environ, startResponse) =>
 *   app(environ, (status, headers, excInfo) =>
 *     startResponse(status, [...headers, ['X-Powered-By', 'wsgi-ts']], excInfo))
 *
 * koa.use(toKoaMiddleware(poweredBy))
 * koa.use((ctx) => { ctx.body = 'hello' })
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `middleware` is not a function or does
 *   not return one. The inner app throws `ERR_WSGI_CHAIN_ALREADY_RUN` when called a second time
 *   for one request, and `ERR_WSGI_INVALID_ARG_TYPE` when its environ lost
 *   `wsgits.koa_context`.
 */
export function toKoaMiddleware(
  middleware: Middleware,
  options: ToKoaMiddlewareOptions = {},
): Koa.Middleware {
  if (typeof middleware !== 'function') {
    throw invalidArgType(`middleware must be a function (got ${describe(middleware)})`)
  }
  const app: unknown = middleware(restOfChain)
  if (typeof app !== 'function') {
    throw invalidArgType(`middleware must return an application (got ${describe(app)})`)
  }
  let scriptName = options.scriptName ?? ''
  while (scriptName.endsWith('/')) scriptName = scriptName.slice(0, -1)
  const resolved: KoaHandlerOptions = { ...options, scriptName, replaceHeaders: true }
  return async function gatewayMiddleware(ctx, next): Promise<void> {
    linked(ctx)[kNext] = next
    await new MiddlewareHandler(ctx, resolved).start(app as WSGIApplication)
  }
}
