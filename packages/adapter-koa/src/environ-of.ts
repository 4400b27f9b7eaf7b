/**
 * `environOf(ctx)`: the gateway environ behind a Koa request, for Koa middleware of an app that
 * runs as a gateway app (`fromKoa`, `fromKoaMiddleware`) or inside `toKoaMiddleware`.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'

import type { WSGIEnvironment } from '@wsgi/core/types'

import { linkedEnviron } from './_internal/environ-link.ts'

/**
 * The gateway environ behind a Koa request: the one a request of `fromKoa` (or
 * `fromKoaMiddleware`) was made from, or, downstream of `toKoaMiddleware`, the one the gateway
 * middleware handed to its inner app. `undefined` otherwise.
 *
 * @example
 * ```ts
 * app.use(async (ctx, next) => {
 *   const environ = environOf(ctx)
 *   ctx.state.user = environ?.['REMOTE_USER']
 *   await next()
 * })
 * ```
 */
export function environOf(ctx: { readonly req: IncomingMessage }): WSGIEnvironment | undefined {
  return linkedEnviron(ctx.req)
}
