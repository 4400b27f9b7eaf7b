/**
 * A Fastify plugin that works through hooks (`@fastify/cors`, `@fastify/helmet`,
 * `@fastify/compress`…) as gateway middleware: `fromFastifyMiddleware(cors, { origin: true })`.
 *
 * @module
 */
import Fastify from 'fastify'
import type {
  FastifyPluginAsync,
  FastifyPluginCallback,
  FastifyPluginOptions,
  FastifyServerOptions,
} from 'fastify'

import { describe, invalidArgType } from '@wsgi/core/errors'
import type { Middleware } from '@wsgi/core/types'

import { fromFastify } from './from-fastify.ts'
import type { FromFastifyOptions } from './from-fastify.ts'
import { toFastify } from './to-fastify.ts'
import type { ToFastifyOptions } from './to-fastify.ts'

/** A Fastify plugin, callback or async style, taking options `TOptions`. */
export type AnyFastifyPlugin<TOptions extends FastifyPluginOptions> =
  FastifyPluginCallback<TOptions> | FastifyPluginAsync<TOptions>

/** Options of {@link fromFastifyMiddleware}. */
export interface FromFastifyMiddlewareOptions {
  /** Options of the Fastify instance the plugin lives in. Default: `{}` (no logger). */
  readonly server?: FastifyServerOptions | undefined
  /** Options of the `fromFastify` side (the gateway request entering Fastify). */
  readonly from?: FromFastifyOptions | undefined
  /** Options of the `toFastify` side (the wrapped application); `scriptName` is ignored. */
  readonly to?: ToFastifyOptions | undefined
}

/**
 * Turns a Fastify plugin into gateway middleware.
 *
 * Applied to an application, it builds a Fastify instance of its own, registers the plugin (with
 * `pluginOptions`) at its root, then a catch-all `toFastify(app)` behind it, and returns that
 * instance as a gateway application (`fromFastify`). So each request passes the plugin's hooks on
 * its way in (`onRequest`, `preHandler`: CORS preflights answered, headers checked) and on its way
 * out (`onSend`: headers added, the body compressed), as it would in front of a native route.
 * The wrapped app keeps the request's SCRIPT_NAME and every environ key set further out.
 *
 * Plugins that add routes or decorators do their work inside that private instance, where only
 * the catch-all route uses them.
 *
 * @example
 * ```ts
 * import cors from '@fastify/cors'
 * import helmet from '@fastify/helmet'
 *
 * const app = fromFastifyMiddleware(helmet)(fromFastifyMiddleware(cors, { origin: true })(legacyApp))
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `plugin` is not a function.
 */
export function fromFastifyMiddleware<TOptions extends FastifyPluginOptions>(
  plugin: AnyFastifyPlugin<TOptions>,
  pluginOptions?: TOptions,
  options: FromFastifyMiddlewareOptions = {},
): Middleware {
  if (typeof plugin !== 'function') {
    throw invalidArgType(`The plugin must be a function (got ${describe(plugin)})`)
  }
  return function fastifyMiddleware(app) {
    const instance = Fastify(options.server ?? {})
    void instance.register(
      plugin as FastifyPluginCallback<FastifyPluginOptions>,
      pluginOptions ?? {},
    )
    void instance.register(toFastify(app, { ...options.to, scriptName: '' }))
    return fromFastify(instance, options.from)
  }
}
