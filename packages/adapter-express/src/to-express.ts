/**
 * A gateway application as Express middleware: `expressApp.use('/legacy', toExpress(app))`.
 *
 * Built on `@wsgi/core/node`'s `NodeHandler`; the Express specifics (mount point, bodies already
 * read by a parser, `next(err)`, fall-through) live in `ExpressHandler`.
 *
 * @module
 */

import type { RequestHandler } from 'express'

import { describe, invalidArgType } from '@wsgi/core/errors'
import { toNodeListener } from '@wsgi/core/node'
import type { ErrorStream, WSGIApplication } from '@wsgi/core/types'

import { ExpressHandler } from './express-handler.ts'
import type { ExpressHandlerOptions } from './express-handler.ts'

/** Options of {@link toExpress}. */
export interface ToExpressOptions {
  /**
   * Let a `404` from the app fall through to the next Express handler: nothing is written, the
   * app's body is closed (once), and `next()` is called. Default `false`: the app's 404 is sent.
   */
  readonly fallthrough?: boolean
  /** `SERVER_NAME`. Default: from the `Host` header, else the socket's local address. */
  readonly serverName?: string
  /** The `Server` response header and `SERVER_SOFTWARE`. Default: none. */
  readonly serverSoftware?: string
  /** Most request body bytes `wsgi.input` delivers; more fails with `ERR_WSGI_BODY_TOO_LARGE`. */
  readonly inputLimit?: number
  /** Unread request body bytes drained after the response before the connection is closed. Default 1 MiB. */
  readonly drainLimit?: number
  /** Most milliseconds an unread request body is drained after the response. Default 5000. */
  readonly drainTimeout?: number
  /** `wsgi.multiprocess` (set it under `node:cluster`). Default `false`. */
  readonly multiprocess?: boolean
  /** `wsgi.errors`, where errors after the response started are logged. Default `process.stderr`. */
  readonly errors?: ErrorStream
}

/**
 * Wrap a gateway application as Express middleware (Express 5 and 4).
 *
 * Mounted with `app.use('/prefix', toExpress(gatewayApp))`, the app sees `SCRIPT_NAME` =
 * `req.baseUrl` and `PATH_INFO` = the path below it (percent-decoded, bytes as latin-1), so
 * `requestURI(environ)` rebuilds the URL the client asked for. A body parser mounted before it
 * is handled: bytes it kept (`express.raw()`, `express.text()`, `req.rawBody`) are replayed as
 * `wsgi.input`, otherwise reading `wsgi.input` fails at once with `ERR_WSGI_BODY_ALREADY_READ`
 * (never a hang). An error before the response started goes to `next(err)`; after it started,
 * the connection is cut. `environ['wsgits.express_request']`/`['wsgits.express_response']` are
 * Express's `req` and `res`.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { toExpress } from '@wsgi/adapter-express'
 *
 * const hello: WSGIApplication = (environ, startResponse) => {
 *   startResponse('200 OK', [['Content-Type', 'text/plain']])
 *   return [Buffer.from(`Hello from ${environ.SCRIPT_NAME}${environ.PATH_INFO}`)]
 * }
 * const app = express()
 * app.use('/legacy', toExpress(hello))
 * app.listen(3000)
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `app` is not a function.
 */
export function toExpress(app: WSGIApplication, options: ToExpressOptions = {}): RequestHandler {
  if (typeof app !== 'function') {
    throw invalidArgType(`app must be a function (got ${describe(app)})`)
  }
  const listener = toNodeListener(app, {
    ...handlerOptionsOf(options),
    handlerClass: ExpressHandler,
  })
  return function gatewayMiddleware(req, res, next): void {
    listener(req, res, next)
  }
}

/** The handler options for Express: errors before the response go to `next(err)`. */
export function handlerOptionsOf(options: ToExpressOptions): ExpressHandlerOptions {
  return {
    fallthrough: options.fallthrough === true,
    serverName: options.serverName,
    serverSoftware: options.serverSoftware,
    inputLimit: options.inputLimit,
    drainLimit: options.drainLimit,
    drainTimeout: options.drainTimeout,
    multiprocess: options.multiprocess,
    errors: options.errors,
    errorsToNext: () => true,
  }
}
