/**
 * Gateway middleware, `(app) => app`, wrapped around the routes of a Fastify scope.
 *
 * Fastify has no middleware that wraps a handler; it has a lifecycle of hooks. So the middleware
 * runs as a plugin of three hooks: `onRequest` starts it, and the application it wraps is "the
 * rest of Fastify's lifecycle" — calling it lets the request go on to parsing, validation and the
 * route; `onSend` catches the route's response and hands it back to the middleware, whose
 * response replaces it; `preParsing` gives the route a body the middleware replaced.
 *
 * @module
 */
import type { Readable } from 'node:stream'

import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

import { describe, invalidArgType, toError } from '@wsgi/core/errors'
import type { Middleware, WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'

import { Layer, handedOnEnviron } from './_internal/layer.ts'
import { noBody, parsedBody } from './_internal/parsed-body.ts'
import { setReplyHead } from './_internal/reply-head.ts'
import { headerKeys } from './_internal/request-headers.ts'
import { CLIENT_GONE, FastifyHandler } from './fastify-handler.ts'
import type { FastifyHandlerOptions } from './fastify-handler.ts'

/**
 * Environ key of the per-request link back into Fastify while a gateway middleware runs inside
 * {@link toFastifyMiddleware}; the innermost application reads it. Internal plumbing, listed so
 * that a middleware that builds a fresh environ knows to carry it over.
 */
export const FASTIFY_NEXT_KEY = 'wsgits.fastify_next' as const

/** Options of {@link toFastifyMiddleware}: those of `FastifyHandler`. */
export type ToFastifyMiddlewareOptions = FastifyHandlerOptions

/**
 * The environ that the innermost gateway middleware of the scope handed on to Fastify for
 * `request` (so a route can read what the middleware set, such as `REMOTE_USER`), or `undefined`
 * when no middleware of this package let the request through.
 *
 * @example
 * ```ts
 * fastify.get('/me', async (request) => ({ user: environOf(request)?.['REMOTE_USER'] }))
 * ```
 */
export function environOf(request: FastifyRequest): WSGIEnvironment | undefined {
  return handedOnEnviron(request)
}

/** A `FastifyHandler` that keeps its head until it is known where it goes. */
class MiddlewareHandler extends FastifyHandler {
  /** The layer this handler runs; set before `start()`. */
  layer: Layer | undefined = undefined
  #head: [code: number, reason: string, headers: Map<string, string[]>] | undefined

  /** Also the link back into Fastify, and a note of the request headers as they came. */
  override addCgiVars(): void {
    super.addCgiVars()
    const env = this.environ as Record<string, unknown>
    env[FASTIFY_NEXT_KEY] = this.layer
    if (this.layer !== undefined) this.layer.original = headerKeys(env)
  }

  protected override applyHead(code: number, reason: string, headers: Map<string, string[]>): void {
    this.#head = [code, reason, headers]
  }

  /** Put the head on the reply: merged with hook headers, or (`replace`) as the whole response. */
  commit(replace: boolean): void {
    const head = this.#head
    if (head !== undefined) setReplyHead(this.reply, head[0], head[1], head[2], replace)
  }
}

/** The layers of one request, outermost first (the onRequest order). */
type Layers = Layer[] & { parsed?: boolean; sent?: boolean }

// The layers of a request are a property of it, not entries of a module-level WeakMap: V8's
// scavenger treats an old-space WeakMap's entries as roots and a layer reaches its request again,
// so every request's objects were promoted and freed only by a mark-compact. Fastify does not
// enumerate its request object.
const kLayers = Symbol('wsgits.fastifyLayers')

interface LayersLinked {
  [kLayers]?: Layers
}

function layersOf(request: FastifyRequest): Layers | undefined {
  return (request as FastifyRequest & LayersLinked)[kLayers]
}

/** The innermost application of every middleware here: back into Fastify. */
const callNext: WSGIApplication = (environ, startResponse) => {
  const layer = environ[FASTIFY_NEXT_KEY]
  if (!(layer instanceof Layer)) {
    throw invalidArgType(
      `environ['${FASTIFY_NEXT_KEY}'] must be the link back into Fastify (got ${describe(layer)})`,
    )
  }
  return layer.enter(environ, startResponse)
}

/** Start the middleware for a request (the `onRequest` hook). */
function startLayer(
  app: WSGIApplication,
  options: FastifyHandlerOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  done: (error?: Error) => void,
): void {
  const handler = new MiddlewareHandler(request, reply, options)
  const layer = new Layer(request, handler, done)
  handler.layer = layer
  const layers: Layers = layersOf(request) ?? []
  layers.push(layer)
  ;(request as FastifyRequest & LayersLinked)[kLayers] = layers
  handler.start(app).then(
    (payload) => {
      if (layer.handedOn !== undefined) return
      // The middleware answered by itself: send that, and the lifecycle stops here.
      layer.direct = true
      if (payload === CLIENT_GONE) {
        reply.hijack()
        return
      }
      handler.commit(false)
      reply.send(payload ?? noBody(request) ?? undefined)
    },
    (error: unknown) => {
      if (layer.handedOn !== undefined) return
      layer.direct = true
      done(toError(error))
    },
  )
}

/**
 * The body the route should parse, once per request (the `preParsing` hook of each plugin asks):
 * the innermost middleware that handed on a replaced `wsgi.input` decides.
 */
function parsedBodyOnce(request: FastifyRequest, payload: Readable): Readable | Error | undefined {
  const layers = layersOf(request)
  if (layers === undefined || layers.parsed === true) return undefined
  layers.parsed = true
  return parsedBody(request, payload, layers)
}

/** Run every layer of the request over the response, innermost first (the `onSend` hook). */
async function wrapResponse(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<unknown> {
  const layers = layersOf(request)
  if (layers === undefined || layers.sent === true) return payload
  layers.sent = true
  let current = payload
  for (const layer of layers.toReversed()) {
    if (!layer.direct) current = await layer.wrap(reply, current)
  }
  return current
}

/**
 * Turns gateway middleware into a Fastify plugin that wraps the routes of the scope it is
 * registered in (it is a `fastify-plugin`, so its hooks land in that scope, not in a child).
 *
 * The middleware is applied once, to an application that stands for "the rest of Fastify". Per
 * request:
 *
 * 1. `onRequest` builds the environ (SCRIPT_NAME is the scope's prefix) and runs the middleware.
 * 2. When it calls the application it wraps, the request goes on through Fastify, carrying the
 *    middleware's changes: `HTTP_*`, CONTENT_TYPE and CONTENT_LENGTH changes become request
 *    headers, a replaced `wsgi.input` becomes the body Fastify parses, and the whole environ is
 *    readable with {@link environOf}. Routing already happened: a changed PATH_INFO or query does
 *    not route the request elsewhere.
 * 3. `onSend` hands the route's response (status, headers, payload — also error responses) to
 *    the middleware and sends the middleware's response instead, streamed.
 * 4. A middleware that answers without calling on (an auth check's 401) answers from `onRequest`;
 *    the route does not run. An error before its response started goes to Fastify's error
 *    handler.
 *
 * Register it first in the scope: hooks registered before it run outside it, and `onSend` hooks
 * registered after it see its response. Several of them nest in registration order (the first
 * is outermost), as gateway middleware composes.
 *
 * @example
 * ```ts
 * fastify.register(async (api) => {
 *   await api.register(toFastifyMiddleware(requireUser))
 *   api.get('/me', async (request) => ({ user: environOf(request)?.['REMOTE_USER'] }))
 * }, { prefix: '/api' })
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `mw` is not a function or does not return one.
 */
export function toFastifyMiddleware(
  mw: Middleware,
  options: ToFastifyMiddlewareOptions = {},
): FastifyPluginCallback {
  if (typeof mw !== 'function') {
    throw invalidArgType(`The middleware must be a function (got ${describe(mw)})`)
  }
  const app = mw(callNext)
  if (typeof app !== 'function') {
    throw invalidArgType(`The middleware must return an application (got ${describe(app)})`)
  }
  const plugin: FastifyPluginCallback = (instance, _opts, done) => {
    const handlerOptions: FastifyHandlerOptions = {
      ...options,
      scriptName: options.scriptName ?? instance.prefix,
    }
    instance.addHook('onRequest', (request, reply, next) => {
      startLayer(app, handlerOptions, request, reply, next)
    })
    instance.addHook('preParsing', (request, _reply, payload, next) => {
      const replaced = parsedBodyOnce(request, payload)
      if (replaced instanceof Error) next(replaced)
      else next(null, replaced ?? payload)
    })
    instance.addHook('onSend', (request, reply, payload, next) => {
      wrapResponse(request, reply, payload).then(
        (result) => {
          next(null, result)
        },
        (error: unknown) => {
          next(toError(error))
        },
      )
    })
    done()
  }
  return fp(plugin, { name: '@wsgi/adapter-fastify:toFastifyMiddleware', fastify: '5.x' })
}
