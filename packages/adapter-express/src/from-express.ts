/**
 * An Express app (or router, or any Connect-style `(req, res, next?)` handler) as a gateway
 * application, on `@wsgi/core/node`'s `fromNodeListener`.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import type { Express, RequestHandler, Router } from 'express'

import { describe, invalidArgType } from '@wsgi/core/errors'
import { fromNodeListener } from '@wsgi/core/node'
import type { NodeListener } from '@wsgi/core/node'
import type { WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'

import { runChain } from './_internal/final-handler.ts'
import type { ConnectHandler } from './_internal/final-handler.ts'
import { pathOf } from './_internal/url.ts'

/**
 * What `fromExpress` accepts: an Express 4 or 5 app, an `express.Router()`, Connect middleware
 * `(req, res, next)`, or a plain Node listener.
 */
export type ExpressListener =
  | Express
  | Router
  | RequestHandler
  | ConnectHandler
  | ((req: IncomingMessage, res: ServerResponse) => unknown)

/** Options of {@link fromExpress}. */
export interface FromExpressOptions {
  /** Bytes asked of `wsgi.input` per read of the request body. Default 65536. */
  readonly readSize?: number
  /** Response bytes that may wait for the gateway server before `res.write()` returns `false`. Default 65536. */
  readonly highWaterMark?: number
}

/**
 * Run an Express app as a gateway application.
 *
 * Express gets real `IncomingMessage`/`ServerResponse` objects on a socket built from the environ,
 * so `req.ip` (`REMOTE_ADDR`), `req.protocol`/`req.secure` (`wsgi.url_scheme`), `req.hostname`
 * (`HTTP_HOST`) and the forwarded headers under `trust proxy` behave as under Express's own
 * server, as do `res.sendFile`, `express.static` (ranges, ETag, 304), streaming `res.write()`
 * with backpressure, and `'close'` when the client goes away. Behind a mount (a dispatcher that
 * moved `/api` into `SCRIPT_NAME`) the app sees what an Express sub-app mounted at `/api` sees:
 * `req.url` below the mount, `req.baseUrl` = `/api` (Express's router starts from
 * `req.baseUrl`), and `req.originalUrl` = the full path.
 *
 * Errors are Express's to answer (its final handler, or yours); a failure after the head was
 * written cuts the response.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { makeServer } from '@wsgi/core/simple-server'
 * import { fromExpress } from '@wsgi/adapter-express'
 *
 * const api = express()
 * api.get('/hello', (req, res) => res.json({ hello: req.ip }))
 * const server = await makeServer('127.0.0.1', 8000, fromExpress(api))
 * await server.serveForever()
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `expressApp` is not a function or an option
 *   has the wrong type.
 */
export function fromExpress(
  expressApp: ExpressListener,
  options: FromExpressOptions = {},
): WSGIApplication {
  if (typeof expressApp !== 'function') {
    throw invalidArgType(`expressApp must be a function (got ${describe(expressApp)})`)
  }
  // An Express app ends its own chain (finalhandler), exactly as under its own server; a Router
  // or bare middleware needs a `next` to end at.
  // Express's own types want its Request/Response; the objects become those once the app's
  // handle() set their prototypes, as under Express's own server.
  const handle = expressApp as ConnectHandler
  const listener: NodeListener = isExpressApp(expressApp)
    ? (req, res) => {
        handle(req, res, undefined as unknown as (error?: unknown) => void)
      }
    : (req, res) => runChain(handle, req, res)
  return fromNodeListener(listener, { ...options, prepare: setBaseUrl })
}

/** True for what `express()` returns (4 or 5): a function with `handle`, `set` and `settings`. */
function isExpressApp(value: ExpressListener): boolean {
  const app = value as unknown as { handle?: unknown; set?: unknown; settings?: unknown }
  return (
    typeof app.handle === 'function' &&
    typeof app.set === 'function' &&
    typeof app.settings === 'object'
  )
}

/**
 * `req.baseUrl` from SCRIPT_NAME, in the quoted form of `req.originalUrl`: the part of its path
 * in front of `req.url`'s (all of it when PATH_INFO is empty and `req.url` is only Express's `/`).
 */
export function setBaseUrl(
  req: IncomingMessage,
  _res: ServerResponse,
  environ: WSGIEnvironment,
): void {
  const scriptName = environ.SCRIPT_NAME
  if (scriptName === undefined || scriptName === '') return
  const original = pathOf((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? '')
  const path = pathOf(req.url ?? '/')
  let base =
    environ.PATH_INFO === '' || environ.PATH_INFO === undefined
      ? original
      : original.endsWith(path)
        ? original.slice(0, original.length - path.length)
        : ''
  // Express's own baseUrl never ends with '/'.
  while (base.endsWith('/')) base = base.slice(0, -1)
  ;(req as IncomingMessage & { baseUrl?: string }).baseUrl = base
}
