/**
 * A Koa application as a gateway application: `fromKoa(koaApp)`.
 *
 * The app runs through its own `app.callback()` on core's `fromNodeListener`, so it gets real
 * `IncomingMessage`/`ServerResponse` objects on a synthetic socket, and everything Koa reads
 * from them (`ctx.ip`, `ctx.protocol`, cookies, streamed bodies) behaves as under Koa's own
 * server. Runs on Koa 2 and Koa 3.
 *
 * @module
 */
import type Koa from 'koa'

import { describe, invalidArgType } from '@wsgi/core/errors'
import { fromNodeListener } from '@wsgi/core/node'
import type { FromNodeListenerOptions } from '@wsgi/core/node'
import type { WSGIApplication } from '@wsgi/core/types'

import { linkEnviron } from './_internal/environ-link.ts'
import { hostListener } from './_internal/host.ts'

/** Options of {@link fromKoa}: those of core's `fromNodeListener`. */
export type FromKoaOptions = FromNodeListenerOptions

/** True for something with the two members of a Koa application used here. */
export function isKoaApp(value: unknown): boolean {
  const app = value as Partial<Koa> | null
  return (
    typeof app === 'object' &&
    app !== null &&
    typeof app.callback === 'function' &&
    typeof app.createContext === 'function'
  )
}

/**
 * A Koa application as a gateway application.
 *
 * Koa sees the path below the gateway mount point, as under koa-mount: `ctx.path` is PATH_INFO,
 * `ctx.mountPath` the (URL-encoded) SCRIPT_NAME when there is one, and `ctx.originalUrl` (so
 * `ctx.href`) the full path. With `{ fullPath: true }` Koa sees the full path in `ctx.path`
 * instead. `environOf(ctx)` gives the environ itself.
 *
 * - `ctx.ip` is REMOTE_ADDR (or `X-Forwarded-For` with `app.proxy`), `ctx.protocol`/`ctx.secure`
 *   follow `wsgi.url_scheme` (or `X-Forwarded-Proto` with `app.proxy`), `ctx.host` the Host
 *   header (rebuilt from SERVER_NAME/SERVER_PORT when missing).
 * - The request body streams from `wsgi.input`; a streamed `ctx.body` streams to the gateway
 *   server with backpressure; several `Set-Cookie` stay apart.
 * - Errors go through Koa's own handling (`ctx.onerror`, `app.on('error')`), which answers them;
 *   an error after the response started cuts the connection.
 *
 * `ctx.app` is a stand-in whose prototype is `koaApp` (see the README), and the middleware list
 * is read at the first request.
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import { makeServer } from '@wsgi/core/simple-server'
 * import { fromKoa } from '@wsgi/adapter-koa'
 *
 * const koa = new Koa()
 * koa.use((ctx) => {
 *   ctx.body = { path: ctx.path, ip: ctx.ip }
 * })
 * makeServer('', 8000, fromKoa(koa)).serveForever()
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `koaApp` is not a Koa application or an
 *   option has the wrong type.
 */
export function fromKoa<TState, TContext>(
  koaApp: Koa<TState, TContext>,
  options: FromKoaOptions = {},
): WSGIApplication {
  if (!isKoaApp(koaApp)) {
    throw invalidArgType(`koaApp must be a Koa application (got ${describe(koaApp)})`)
  }
  return fromHost(koaApp as unknown as Koa, undefined, options)
}

/** `fromKoa` of `app`, or of `middleware` run on `app`'s settings. */
export function fromHost(
  app: Koa,
  middleware: readonly Koa.Middleware[] | undefined,
  options: FromKoaOptions,
): WSGIApplication {
  const { prepare } = options
  const listener = hostListener(app, { fullPath: options.fullPath === true, middleware })
  return fromNodeListener(listener, {
    ...options,
    prepare(req, res, environ) {
      linkEnviron(req, environ)
      prepare?.(req, res, environ)
    },
  })
}
