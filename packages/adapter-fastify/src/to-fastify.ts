/**
 * A gateway application as a Fastify plugin: `fastify.register(toFastify(app), { prefix })`.
 *
 * The plugin is encapsulated (it is wrapped with `fastify-plugin` only for its name and version
 * check, `encapsulate: true`), so `prefix` applies and its content-type parser stays inside.
 *
 * @module
 */
import type { Readable } from 'node:stream'

import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  RouteHandlerMethod,
} from 'fastify'
import fp from 'fastify-plugin'

import { describe, invalidArgType } from '@wsgi/core/errors'
import type { WSGIApplication } from '@wsgi/core/types'

import { CLIENT_GONE, FastifyHandler } from './fastify-handler.ts'
import type { FastifyHandlerOptions, GatewayPayload } from './fastify-handler.ts'

/** A class that can stand in for {@link FastifyHandler} (`toFastify`'s `handlerClass`). */
export type FastifyHandlerClass = new (
  request: FastifyRequest,
  reply: FastifyReply,
  options?: FastifyHandlerOptions,
  payload?: Readable,
) => FastifyHandler

/** Options of {@link toFastify}. */
export interface ToFastifyOptions extends FastifyHandlerOptions {
  /**
   * SCRIPT_NAME: the mount point. Default: the prefix the plugin was registered with (all
   * enclosing prefixes included). A prefix with parameters (`/tenants/:id`) works too: SCRIPT_NAME
   * is then the part of each request path it matched.
   */
  readonly scriptName?: string | undefined
  /** The handler class, to customise a hook (`applyHead`, `handleError`, `logException`…). */
  readonly handlerClass?: FastifyHandlerClass | undefined
}

// The payload stream Fastify's content-type parser got: request.raw, or what a preParsing hook
// put in its place.
const kPayload = Symbol('kPayload')

interface WithPayload {
  [kPayload]?: Readable
}

/** The catch-all parser of the plugin's scope: parses nothing, keeps the stream for wsgi.input. */
function keepPayload(
  request: FastifyRequest,
  payload: Readable,
  done: (error: Error | null, body?: unknown) => void,
): void {
  ;(request as FastifyRequest & WithPayload)[kPayload] = payload
  done(null)
}

/**
 * Answer one Fastify request once the handler knows what to send: `reply.send()` of it, the app's
 * early error thrown for Fastify's error handler, nothing at all when the client is gone.
 */
async function replyWith(
  outcome: Promise<GatewayPayload | typeof CLIENT_GONE>,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const payload = await outcome
  if (payload === CLIENT_GONE) return reply.hijack()
  // `return reply` tells Fastify the async handler sent the response itself.
  return reply.send(payload ?? undefined)
}

/** The payload stream the plugin's parser kept for `request`, if it ran. */
function payloadOf(request: FastifyRequest): Readable | undefined {
  return (request as FastifyRequest & WithPayload)[kPayload]
}

/**
 * Turns a gateway application into a Fastify plugin that serves every method and every path
 * under the prefix it is registered with.
 *
 * - Routes: the bare prefix and `prefix/*`, for every method of `fastify.supportedMethods`
 *   (methods added with `fastify.addHttpMethod()` before registering included).
 * - Body: the plugin removes every content-type parser in its scope and adds a catch-all one that
 *   parses nothing, so the body streams to `wsgi.input` untouched (body parsers registered outside,
 *   such as `@fastify/formbody`, do not apply). Fastify still refuses what it refuses before any
 *   parser runs: a malformed `Content-Type` (415) and `QUERY` without one (400).
 * - Mount: SCRIPT_NAME is the prefix, PATH_INFO the rest of the path.
 * - Response: through `reply`, so `onRequest`, `onSend` and `onResponse` hooks, the logger and
 *   the error handler run as for a native route (see {@link FastifyHandler}).
 * - Errors: an app error before its response started is thrown to Fastify's error handler (a 500
 *   by default); after it, the connection is cut.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { toFastify } from '@wsgi/adapter-fastify'
 *
 * const fastify = Fastify({ logger: true })
 * fastify.get('/health', async () => ({ ok: true }))
 * await fastify.register(toFastify(legacyApp), { prefix: '/legacy' })
 * await fastify.listen({ port: 3000 })
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `app` is not a function.
 */
export function toFastify(
  app: WSGIApplication,
  options: ToFastifyOptions = {},
): FastifyPluginCallback {
  if (typeof app !== 'function') {
    throw invalidArgType(`The application must be a function (got ${describe(app)})`)
  }
  const Handler = options.handlerClass ?? FastifyHandler
  const plugin: FastifyPluginCallback = (instance: FastifyInstance, _opts, done) => {
    instance.removeAllContentTypeParsers()
    instance.addContentTypeParser('*', keepPayload)
    const handlerOptions: FastifyHandlerOptions = {
      ...options,
      scriptName: options.scriptName ?? instance.prefix,
    }
    const handler: RouteHandlerMethod = function gatewayRoute(request, reply) {
      const gateway = new Handler(request, reply, handlerOptions, payloadOf(request))
      // A handler class that overrides start() keeps being called through it.
      const outcome =
        gateway.start === FastifyHandler.prototype.start
          ? gateway.startNow(app)
          : gateway.start(app)
      if (outcome instanceof Promise) return replyWith(outcome, reply)
      // Known at once (a synchronous app, a one-chunk body): answered as a synchronous Fastify
      // route answers, with `reply.send()` and nothing returned.
      if (outcome === CLIENT_GONE) reply.hijack()
      else reply.send(outcome ?? undefined)
      return undefined
    }
    try {
      for (const url of ['/', '/*']) {
        // A method another plugin already routed here stays its own: @fastify/cors, for one,
        // answers preflights with its own `OPTIONS *` route.
        const full = url === '/' && instance.prefix !== '' ? instance.prefix : instance.prefix + url
        const method = instance.supportedMethods.filter(
          (m) => !instance.hasRoute({ method: m, url: full }),
        )
        if (method.length > 0) instance.route({ method, url, handler })
      }
    } catch (error) {
      done(error as Error)
      return
    }
    done()
  }
  // encapsulate: true keeps the plugin its own scope: `prefix` applies, the parser stays inside.
  return fp(plugin, { name: '@wsgi/adapter-fastify:toFastify', fastify: '5.x', encapsulate: true })
}
