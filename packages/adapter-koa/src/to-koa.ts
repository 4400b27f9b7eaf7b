/**
 * A gateway application as Koa middleware: `toKoa(app)`.
 *
 * The app's response goes through Koa (`ctx.status`, `ctx.set`, a streamed `ctx.body`), so Koa
 * middleware upstream sees it and may change it. Runs on Koa 2 and Koa 3.
 *
 * @module
 */
import type Koa from 'koa'

import { describe, invalidArgType } from '@wsgi/core/errors'
import type { WSGIApplication } from '@wsgi/core/types'

import { KoaHandler } from './koa-handler.ts'
import type { KoaHandlerOptions } from './koa-handler.ts'

/** Options of {@link toKoa}. */
export interface ToKoaOptions extends Omit<KoaHandlerOptions, 'replaceHeaders' | 'onError'> {
  /** The handler class, to customise a hook (`logException`, `errorOutput`…). */
  readonly handlerClass?: typeof KoaHandler | undefined
}

/**
 * A gateway application as Koa middleware.
 *
 * - **Mounting.** Under koa-mount, `SCRIPT_NAME` is the mount path and `PATH_INFO` the rest; under
 *   a @koa/router wildcard route (`router.all('/legacy{/*rest}', toKoa(app))`), `SCRIPT_NAME` is
 *   what precedes the wildcard. `options.scriptName` sets it by hand.
 * - **Response.** The status, headers and body go to `ctx.status`, `ctx.set()` (each
 *   `Set-Cookie` kept, appended to any set before) and `ctx.body` (a `Readable` fed with
 *   backpressure). The middleware resolves as soon as the head is known, so Koa (and upstream
 *   middleware such as koa-compress) responds while the body streams. HEAD, 204 and 304 get no
 *   body.
 * - **Errors.** An error before the response head makes the middleware reject, so Koa's error
 *   handling answers it; after that, the body stream errors and the connection is cut.
 * - **Body already read.** After koa-bodyparser, `wsgi.input` serves `ctx.request.rawBody`; a
 *   body read and not kept makes every read fail with `ERR_WSGI_BODY_ALREADY_READ`.
 * - **Fall-through.** With `fallthrough: true`, a `404` from the app is dropped and `next()` runs.
 *
 * `environ['wsgits.koa_context']` is the Koa context, for apps that want `ctx.state` or
 * `ctx.session`.
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import mount from 'koa-mount'
 * import { toKoa } from '@wsgi/adapter-koa'
 *
 * const koa = new Koa()
 * koa.use(mount('/legacy', toKoa(gatewayApp))) // SCRIPT_NAME '/legacy'
 * koa.listen(3000)
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `app` is not a function.
 */
export function toKoa(app: WSGIApplication, options: ToKoaOptions = {}): Koa.Middleware {
  if (typeof app !== 'function') {
    throw invalidArgType(`app must be a function (got ${describe(app)})`)
  }
  const { handlerClass: Handler = KoaHandler, ...rest } = options
  let scriptName = rest.scriptName ?? ''
  while (scriptName.endsWith('/')) scriptName = scriptName.slice(0, -1)
  const resolved: KoaHandlerOptions = { ...rest, scriptName }
  // Not an async function: for a head sent at once (SENT) Koa gets the handler's shared promise's
  // outcome through one then(), with no promise and await of the middleware's own.
  return function gatewayMiddleware(ctx, next): Promise<void> {
    return new Handler(ctx, resolved).start(app).then((outcome) => {
      if (outcome === 'fallthrough') return next()
      return undefined
    })
  }
}
