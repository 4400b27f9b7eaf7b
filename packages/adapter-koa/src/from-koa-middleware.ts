/**
 * Koa middleware as gateway middleware: `fromKoaMiddleware(koaMiddleware)`.
 *
 * The gateway app being wrapped becomes the last middleware of a small Koa chain (through
 * `toKoa`), after the Koa middleware given; the chain runs as a gateway app (through `fromKoa`).
 * So @koa/cors, koa-compress, koa-session, koa-helmet or koa-bodyparser work in a gateway
 * pipeline exactly as in a Koa app.
 *
 * @module
 */
import Koa from 'koa'

import { describe, invalidArgType } from '@wsgi/core/errors'
import type { Middleware } from '@wsgi/core/types'

import { environOf } from './environ-of.ts'
import { fromHost, isKoaApp } from './from-koa.ts'
import type { FromKoaOptions } from './from-koa.ts'
import { toKoa } from './to-koa.ts'
import type { ToKoaOptions } from './to-koa.ts'

/** Options of {@link fromKoaMiddleware}. */
export interface FromKoaMiddlewareOptions<
  TState = Koa.DefaultState,
  TContext = Koa.DefaultContext,
> extends FromKoaOptions {
  /**
   * The Koa application whose settings the middleware runs with: `keys` (signed cookies,
   * koa-session), `proxy`, `app.context` extensions, `'error'` listeners. Its own middleware is
   * not run, and it is not changed. Default: a new `Koa()`, whose errors (other than 4xx ones,
   * which Koa answers itself) are logged to `wsgi.errors`.
   */
  readonly app?: Koa<TState, TContext> | undefined
  /** Options for the `toKoa` that runs the wrapped gateway app. */
  readonly inner?: Omit<ToKoaOptions, 'fallthrough'> | undefined
}

/** Log an app error as Koa's default handler would, but to the request's `wsgi.errors`. */
function logToEnviron(
  this: Koa,
  error: Error & { status?: unknown; expose?: unknown },
  ctx?: Koa.Context,
): void {
  if (error.status === 404 || error.expose === true || this.silent) return
  const errors = ctx === undefined ? undefined : environOf(ctx)?.['wsgi.errors']
  const text = `${(error.stack ?? String(error)).replace(/^/gm, '  ')}\n`
  if (errors === undefined) console.error(text)
  else {
    errors.write(text)
    errors.flush()
  }
}

/**
 * Koa middleware (one, or a list run in order) as gateway middleware.
 *
 * `fromKoaMiddleware(mw)(app)` is a gateway app that runs `mw` on a Koa context made from the
 * environ (as `fromKoa` does), with `app` as the next middleware (as `toKoa` runs it). What
 * `mw` does to the request (a parsed body, `ctx.session`, `ctx.state`) reaches `app` through
 * `environ['wsgits.koa_context']`; a body a parser read is offered again as `wsgi.input`. What
 * `mw` does to the response (headers, compression, cookies) reaches the client. Keys of the outer
 * environ that the request does not carry (`REMOTE_USER`, extension keys) reach `app` unchanged.
 *
 * @example
 * ```ts
 * import cors from '@koa/cors'
 * import compress from 'koa-compress'
 * import { fromKoaMiddleware } from '@wsgi/adapter-koa'
 *
 * const withCors = fromKoaMiddleware([cors(), compress()])
 * export const app = withCors(gatewayApp)
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when a middleware is not a function or
 *   `options.app` is not a Koa application.
 */
export function fromKoaMiddleware<TState = Koa.DefaultState, TContext = Koa.DefaultContext>(
  middleware: Koa.Middleware<TState, TContext> | readonly Koa.Middleware<TState, TContext>[],
  options: FromKoaMiddlewareOptions<TState, TContext> = {},
): Middleware {
  const list: unknown[] = typeof middleware === 'function' ? [middleware] : [...middleware]
  for (const mw of list) {
    if (typeof mw !== 'function') {
      throw invalidArgType(`Koa middleware must be a function (got ${describe(mw)})`)
    }
  }
  const { app: given, inner, ...rest } = options
  if (given !== undefined && !isKoaApp(given)) {
    throw invalidArgType(`options.app must be a Koa application (got ${describe(given)})`)
  }
  let host = given as Koa | undefined
  return (app) => {
    if (host === undefined) {
      host = new Koa()
      host.on('error', logToEnviron)
    }
    const chain = [...(list as Koa.Middleware[]), toKoa(app, inner)]
    return fromHost(host, chain, rest)
  }
}
