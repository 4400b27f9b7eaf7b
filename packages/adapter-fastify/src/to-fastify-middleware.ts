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
import type { IncomingMessage } from 'node:http'
import { Readable as NodeReadable } from 'node:stream'
import type { Readable } from 'node:stream'

import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

import { WSGIError, describe, invalidArgType, toError } from '@wsgi/core/errors'
import { bodyAlreadyRead, bodySource } from '@wsgi/core/node'
import { InputReader } from '@wsgi/core/streams'
import type {
  InputStream,
  Middleware,
  ResponseBody,
  StartResponse,
  WSGIApplication,
  WSGIEnvironment,
} from '@wsgi/core/types'
import { headerName } from '@wsgi/core/util'

import { captureResponse } from './_internal/capture.ts'
import type { CapturedResponse } from './_internal/capture.ts'
import { parentEnvironOf, setParentEnviron } from './_internal/environ.ts'
import { setReplyHead } from './_internal/reply-head.ts'
import { CLIENT_GONE, FASTIFY_ADVICE, FastifyHandler } from './fastify-handler.ts'
import type { FastifyHandlerOptions, GatewayPayload } from './fastify-handler.ts'

/**
 * Environ key of the per-request link back into Fastify while a gateway middleware runs inside
 * {@link toFastifyMiddleware}; the innermost application reads it. Internal plumbing, listed so
 * that a middleware that builds a fresh environ knows to carry it over.
 */
export const FASTIFY_NEXT_KEY = 'wsgits.fastify_next' as const

/** Options of {@link toFastifyMiddleware}: those of `FastifyHandler`. */
export type ToFastifyMiddlewareOptions = FastifyHandlerOptions

// The environ each request handed on to Fastify, for environOf().
const handedOn = new WeakMap<FastifyRequest, WSGIEnvironment>()

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
  return handedOn.get(request)
}

/** Header keys of an environ (`HTTP_*`, CONTENT_TYPE, CONTENT_LENGTH) and their values. */
function headerKeys(environ: Readonly<Record<string, unknown>>): Map<string, string> {
  const keys = new Map<string, string>()
  for (const key of Object.keys(environ)) {
    const value = environ[key]
    if (typeof value !== 'string') continue
    if (headerName(key) !== undefined) keys.set(key, value)
  }
  return keys
}

/**
 * Set (or, for `undefined`, remove) request headers in both `req.headers` (what Fastify reads)
 * and `req.rawHeaders` (what an environ is built from).
 */
function setRequestHeaders(
  req: IncomingMessage,
  changed: ReadonlyMap<string, string | undefined>,
): void {
  const headers = req.headers
  const raw: string[] = []
  const old = req.rawHeaders
  for (let i = 0; i + 1 < old.length; i += 2) {
    const name = old[i]
    const value = old[i + 1]
    if (name === undefined || value === undefined) continue
    if (!changed.has(name.toLowerCase())) raw.push(name, value)
  }
  for (const [name, value] of changed) {
    if (value === undefined) {
      Reflect.deleteProperty(headers, name)
    } else {
      headers[name] = value
      raw.push(name, value)
    }
  }
  req.rawHeaders = raw
}

/** A gateway `InputStream` as a Node stream, for Fastify's parser. */
function inputStream(input: InputStream): Readable {
  return NodeReadable.from(
    (async function* () {
      for (;;) {
        const chunk = await input.read(65536)
        if (chunk.length === 0) return
        yield chunk
      }
    })(),
    { objectMode: false },
  )
}

/**
 * What to send when the middleware's response has no body. Fastify's automatic HEAD routes
 * measure the payload in an `onSend` hook and fail on `null`; an empty stream keeps the
 * Content-Length the middleware gave.
 */
function noBody(request: FastifyRequest): Readable | null {
  if (request.method !== 'HEAD') return null
  return new NodeReadable({
    read() {
      this.push(null)
    },
  })
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

/** One middleware around one request. */
class Layer {
  readonly request: FastifyRequest
  readonly handler: MiddlewareHandler
  /** The header keys of the environ as built, before the middleware changed them. */
  original: Map<string, string> | undefined = undefined
  /** What the middleware handed on, once it called the application it wraps. */
  handedOn: WSGIEnvironment | undefined = undefined
  /** True when the middleware answered (or failed) without calling the application it wraps. */
  direct = false
  #resume: (error?: Error) => void
  #resolve!: (response: CapturedResponse) => void
  #reject!: (error: unknown) => void
  readonly #captured: Promise<CapturedResponse>

  constructor(
    request: FastifyRequest,
    handler: MiddlewareHandler,
    resume: (error?: Error) => void,
  ) {
    this.request = request
    this.handler = handler
    this.#resume = resume
    this.#captured = new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    // Swallowed here, seen by enter(): a route that hijacked the reply never reaches onSend.
    this.#captured.catch(() => undefined)
    handler.reply.raw.once('close', () => {
      const gone = Object.assign(new Error('The response ended without passing onSend'), {
        code: 'ERR_STREAM_PREMATURE_CLOSE',
      })
      this.#reject(gone)
    })
  }

  /** The application the middleware wraps: let Fastify go on, then answer with the route. */
  async enter(environ: WSGIEnvironment, startResponse: StartResponse): Promise<ResponseBody> {
    if (this.handedOn !== undefined) {
      throw new WSGIError(
        'ERR_WSGI_CHAIN_ALREADY_RUN',
        'The rest of the Fastify lifecycle already ran for this request; call the app once',
      )
    }
    this.handedOn = environ
    this.#applyRequestChanges(environ)
    this.#resume()
    const response = await this.#captured
    startResponse(response.status, response.headers)
    return response.body
  }

  /** The `wsgi.input` the middleware handed on in place of the one it got, if it did. */
  replacedInput(): InputStream | undefined {
    const input = this.handedOn?.['wsgi.input']
    return input === undefined || input === this.handler.getStdin() ? undefined : input
  }

  /** `onSend`: hand the response to the middleware, return what it answered. */
  async wrap(reply: FastifyReply, payload: unknown): Promise<unknown> {
    this.#resolve(captureResponse(reply, payload))
    const outcome: GatewayPayload | typeof CLIENT_GONE = await this.handler.head
    if (outcome === CLIENT_GONE) return payload
    this.handler.commit(true)
    return outcome ?? noBody(this.request)
  }

  #applyRequestChanges(environ: WSGIEnvironment): void {
    const raw = this.request.raw
    const parent = parentEnvironOf(raw)
    const input = environ['wsgi.input'] as unknown
    setParentEnviron(raw, {
      environ,
      base: parent?.base ?? '',
      input: input === this.handler.getStdin() ? parent?.input : (input as InputStream),
    })
    handedOn.set(this.request, environ)
    const before = this.original ?? new Map<string, string>()
    const after = headerKeys(environ)
    const changed = new Map<string, string | undefined>()
    for (const [key, value] of after) {
      const name = headerName(key)
      if (name !== undefined && before.get(key) !== value) changed.set(name, value)
    }
    for (const key of before.keys()) {
      const name = headerName(key)
      if (name !== undefined && !after.has(key)) changed.set(name, undefined)
    }
    if (changed.size > 0) setRequestHeaders(raw, changed)
  }
}

/** The layers of one request, outermost first (the onRequest order). */
type Layers = Layer[] & { parsed?: boolean; sent?: boolean }

const layersOf = new WeakMap<FastifyRequest, Layers>()

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
  const layers: Layers = layersOf.get(request) ?? []
  layers.push(layer)
  layersOf.set(request, layers)
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
function parsedBody(request: FastifyRequest, payload: Readable): Readable | Error | undefined {
  const layers = layersOf.get(request)
  if (layers === undefined || layers.parsed === true) return undefined
  layers.parsed = true
  for (const layer of layers.toReversed()) {
    const input = layer.replacedInput()
    if (input !== undefined) return inputStream(input)
  }
  const req = request.raw
  if (payload !== req) return undefined
  // Waiting on a body a middleware drained would hang forever (bridge-pitfalls A1).
  const source = bodySource(req)
  if (source.kind === 'consumed') return bodyAlreadyRead(FASTIFY_ADVICE)
  if (source.kind === 'replay' && source.bytes.length > 0) {
    return inputStream(InputReader.fromBytes(source.bytes))
  }
  return undefined
}

/** Run every layer of the request over the response, innermost first (the `onSend` hook). */
async function wrapResponse(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<unknown> {
  const layers = layersOf.get(request)
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
      const replaced = parsedBody(request, payload)
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
