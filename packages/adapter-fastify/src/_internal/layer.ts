/**
 * One gateway middleware around one request in `toFastifyMiddleware`: the application it wraps
 * ("the rest of Fastify's lifecycle"), and the hand-back of the route's response in `onSend`.
 *
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify'

import { WSGIError } from '@wsgi/core/errors'
import { passBodyOn } from '@wsgi/core/node'
import type { InputStream, ResponseBody, StartResponse, WSGIEnvironment } from '@wsgi/core/types'

import { CLIENT_GONE } from '../fastify-handler.ts'
import type { FastifyHandler, GatewayPayload } from '../fastify-handler.ts'
import { captureResponse } from './capture.ts'
import type { CapturedResponse } from './capture.ts'
import { ParentEnviron, parentEnvironOf, setParentEnviron } from './environ.ts'
import { noBody } from './parsed-body.ts'
import { applyHeaderChanges } from './request-headers.ts'

/** The handler a layer runs: a `FastifyHandler` that keeps its head until it is known where it goes. */
export type LayerHandler = FastifyHandler & {
  /** Put the head on the reply: merged with hook headers, or (`replace`) as the whole response. */
  commit(replace: boolean): void
}

// The environ each request handed on to Fastify, for environOf(): on the request itself, not in
// a module-level WeakMap, since V8's scavenger treats an old-space WeakMap's entries as roots and
// the environ reaches its request again, so every request's objects were promoted and freed only
// by a mark-compact. Fastify does not enumerate its request object.
const kHandedOn = Symbol('wsgits.fastifyHandedOn')

interface HandedOnLinked {
  [kHandedOn]?: WSGIEnvironment
}

/** The environ the innermost layer handed on to Fastify for `request`, if one did. */
export function handedOnEnviron(request: FastifyRequest): WSGIEnvironment | undefined {
  return (request as FastifyRequest & HandedOnLinked)[kHandedOn]
}

/** One middleware around one request. */
export class Layer {
  readonly request: FastifyRequest
  readonly handler: LayerHandler
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

  constructor(request: FastifyRequest, handler: LayerHandler, resume: (error?: Error) => void) {
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
    // The request and its body go on to Fastify's lifecycle: no handler here drains it.
    passBodyOn(environ)
    passBodyOn(this.handler.environ)
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
    setParentEnviron(
      raw,
      new ParentEnviron(
        environ,
        parent?.base ?? '',
        input === this.handler.getStdin() ? parent?.input : (input as InputStream),
      ),
    )
    ;(this.request as FastifyRequest & HandedOnLinked)[kHandedOn] = environ
    applyHeaderChanges(raw, this.original ?? new Map<string, string>(), environ)
  }
}
