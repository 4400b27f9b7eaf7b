/**
 * Express middleware (helmet, cors, compression, cookie-parser, express-session, body parsers…)
 * as gateway middleware, `(app) => app`.
 *
 * Each wrapped app runs a small internal Express app, `express().use(middleware).use(<the
 * gateway app>)`, through `fromNodeListener`: the middleware gets Express's own `req`/`res`
 * prototypes on real Node objects, and the gateway app is served at the end of the chain on the
 * same (possibly patched) `req`/`res`.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'

import express from 'express'
import type { ErrorRequestHandler, Express, RequestHandler } from 'express'

import { describe, invalidArgType } from '@wsgi/core/errors'
import { fromNodeListener, toNodeListener } from '@wsgi/core/node'
import type { Middleware, WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'

import { ExpressHandler } from './express-handler.ts'
import type { ExpressHandlerOptions } from './express-handler.ts'
import { runChain } from './_internal/final-handler.ts'
import type { ConnectHandler } from './_internal/final-handler.ts'
import { environWithChanges, snapshotRequest } from './_internal/request-sync.ts'
import type { RequestSnapshot } from './_internal/request-sync.ts'
import { setBaseUrl } from './from-express.ts'
import { handlerOptionsOf } from './to-express.ts'

/** One Express middleware, or several in order (as `app.use()` takes them). */
export type ExpressMiddleware =
  RequestHandler | ErrorRequestHandler | readonly (RequestHandler | ErrorRequestHandler)[]

/** Options of {@link fromExpressMiddleware}. */
export interface FromExpressMiddlewareOptions {
  /**
   * Makes the internal Express app. Default: `express()` of the `express` package installed
   * (Express 5); pass `() => express4()` to run the middleware under Express 4.
   */
  readonly express?: () => Express
  /** Settings of the internal app, as `app.set()` takes them (`{ 'trust proxy': true }`). */
  readonly settings?: Readonly<Record<string, unknown>>
}

/** Per request: the gateway environ, and the request as it was before the middleware ran. */
interface Entry {
  readonly environ: WSGIEnvironment
  readonly snapshot: RequestSnapshot
}

/** A request carrying its entry under the symbol of one `fromExpressMiddleware` app. */
type EntryLinked = Record<symbol, Entry | undefined>

/**
 * Turn Express middleware into gateway middleware.
 *
 * The middleware runs on real Node objects with Express's prototypes (`req.get()`,
 * `res.cookie()`, `res.locals`…), built from the gateway environ (mount point as `req.baseUrl`).
 * What it sets on the response (headers, cookies, compression) lands on the wrapped app's
 * response; what it answers by itself (a CORS preflight, a 413 from a body parser) is the
 * response, and the app is not called.
 *
 * The wrapped app gets the gateway environ it would have got, plus:
 * - what the middleware changed on the request: `req.method`, `req.url` (as `PATH_INFO`/
 *   `QUERY_STRING`), `req.headers`;
 * - `environ['wsgits.express_request']` and `['wsgits.express_response']`, Express's `req` and
 *   `res`, where middleware leaves its results: `req.body`, `req.cookies`, `req.signedCookies`,
 *   `req.session`, `req.file`/`req.files`, `res.locals`;
 * - `wsgi.input`: the body, unless a parser read it; then the bytes it kept (`express.raw()`,
 *   `express.text()`, `req.rawBody`), or a stream that fails with `ERR_WSGI_BODY_ALREADY_READ`.
 *
 * `next(err)` from the middleware with a 4xx status (a body parser's 400/413/415) answers that
 * status with its reason phrase; any other error, and any error of the wrapped app before its
 * response started, is thrown to the gateway server (a 500, logged there).
 *
 * @example
 * ```ts
 * import cookieParser from 'cookie-parser'
 * import helmet from 'helmet'
 *
 * const app = fromExpressMiddleware([helmet(), cookieParser()])((environ, startResponse) => {
 *   const req = environ['wsgits.express_request'] as express.Request
 *   startResponse('200 OK', [['Content-Type', 'text/plain']])
 *   return [Buffer.from(`theme=${req.cookies.theme}`)]
 * })
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `middleware` is not a function or an array
 *   of functions.
 */
export function fromExpressMiddleware(
  middleware: ExpressMiddleware,
  options: FromExpressMiddlewareOptions = {},
): Middleware {
  const list: readonly unknown[] = Array.isArray(middleware) ? middleware : [middleware]
  if (list.length === 0 || list.some((fn) => typeof fn !== 'function')) {
    throw invalidArgType(
      `middleware must be a function or an array of functions (got ${describe(middleware)})`,
    )
  }
  const factory = options.express ?? express
  return (app: WSGIApplication): WSGIApplication => {
    if (typeof app !== 'function') {
      throw invalidArgType(`app must be a function (got ${describe(app)})`)
    }
    // Each request's entry is a property of its `req`, under a symbol of this app (two wrapped
    // apps may see the same `req`), not in a WeakMap: V8's scavenger treats an old-space
    // WeakMap's entries as roots and the environ reaches `req` again, so every request's objects
    // were promoted and freed only by a mark-compact. Express does not enumerate `req`.
    const kEntry = Symbol('wsgits.expressMiddlewareEntry')
    const entryOf = (req: IncomingMessage): EntryLinked => req as IncomingMessage & EntryLinked
    const internal = factory()
    // The internal app is plumbing: it must add nothing the middleware did not ask for.
    internal.disable('x-powered-by')
    for (const [name, value] of Object.entries(options.settings ?? {})) internal.set(name, value)
    internal.use(list as RequestHandler[])
    const handlerOptions: ExpressHandlerOptions = {
      ...handlerOptionsOf({}),
      baseEnviron: (req: IncomingMessage) => {
        const entry = entryOf(req)[kEntry]
        if (entry === undefined) return undefined
        return environWithChanges(entry.environ, req, entry.snapshot)
      },
    }
    const serveApp = toNodeListener(app, {
      ...handlerOptions,
      handlerClass: ExpressHandler,
    })
    // Errors of the wrapped app are the gateway server's to answer, whatever status they carry.
    const appErrors = new WeakSet<object>()
    const isAppError = (error: unknown): boolean =>
      typeof error === 'object' && error !== null && appErrors.has(error)
    internal.use((req, res, next) => {
      serveApp(req, res, (error?: unknown) => {
        if (typeof error === 'object' && error !== null) appErrors.add(error)
        next(error)
      })
    })
    const handle = internal as unknown as ConnectHandler
    return fromNodeListener((req, res) => runChain(handle, req, res, isAppError), {
      prepare: (req, res, environ) => {
        setBaseUrl(req, res, environ)
        entryOf(req)[kEntry] = { environ, snapshot: snapshotRequest(req) }
      },
    })
  }
}
