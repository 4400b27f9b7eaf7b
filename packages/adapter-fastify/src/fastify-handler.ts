/**
 * `FastifyHandler`: the `BaseHandler` that answers a Fastify request with a gateway application
 * *through* Fastify's reply. The status and headers go to `reply.code()`/`reply.header()`, and the
 * body to `reply.send(stream)`, so that `onSend` hooks (compression, cookies, helmet), the logger
 * and the error handler all run as for a native route.
 *
 * It extends core's `NodeHandler`, which supplies the environ, `wsgi.input` with
 * `100-continue` and input limits, and the client-abort signal; only the output side differs.
 *
 * @module
 */
import { validateHeaderName, validateHeaderValue } from 'node:http'
import type { Readable } from 'node:stream'

import type { FastifyReply, FastifyRequest } from 'fastify'

import { WSGIError, toError } from '@wsgi/core/errors'
import { RESOLVED, statusCode } from '@wsgi/core/handlers'
import { BodyFeed, NodeHandler, bodySource, inputOf } from '@wsgi/core/node'
import type { NodeHandlerOptions } from '@wsgi/core/node'
import { InputReader } from '@wsgi/core/streams'
import type { ErrorStream, InputStream, WSGIApplication } from '@wsgi/core/types'

import { compileMount, inheritEnviron, parentEnvironOf, splitMount } from './_internal/environ.ts'
import type { Mount, ParentEnviron } from './_internal/environ.ts'
import { LogErrorStream, logAppError } from './_internal/log-errors.ts'
import { setReplyHead } from './_internal/reply-head.ts'

/** How to keep a request body, ending the `ERR_WSGI_BODY_ALREADY_READ` message. */
export const FASTIFY_ADVICE: string =
  'let no hook read request.raw first, or hand the bytes on as a new wsgi.input'

/**
 * Options of {@link FastifyHandler}: those of core's `NodeHandler`, without `onError` (errors go
 * to Fastify's error handler). `scriptName` is the mount prefix, a Fastify prefix pattern such as
 * `'/legacy'` or `'/tenants/:id'`: SCRIPT_NAME is the part of the request path it matches.
 */
export interface FastifyHandlerOptions extends Omit<NodeHandlerOptions, 'onError'> {
  /**
   * Hand the app's own error to Fastify's error handler when it fails before its response.
   * Default `false`: the app's error is logged through `request.log` (its message, stack and
   * `code`), and the handler gets a generic `500` error (wsgiref's message, the app error's
   * `code`, no `cause`), because Fastify's default handler sends `error.message` to the client,
   * and a gateway app's error must not reach it (PEP 3333 servers answer a bare 500).
   */
  readonly exposeErrors?: boolean | undefined
}

/**
 * What the handler gives Fastify to send: a stream, a whole body, or nothing (HEAD, 204, 304,
 * an empty body).
 */
export type GatewayPayload = Readable | Uint8Array | null

/** Environ key of the Fastify request a gateway app runs for (`toFastify`, `toFastifyMiddleware`). */
export const FASTIFY_REQUEST_KEY = 'wsgits.fastify_request' as const
/** Environ key of the Fastify reply a gateway app answers through. */
export const FASTIFY_REPLY_KEY = 'wsgits.fastify_reply' as const

/** The outcome of {@link FastifyHandler.start} when the client went away before the head. */
export const CLIENT_GONE: unique symbol = Symbol('CLIENT_GONE')

// wsgiref's error_body text (two spaces included), as core's BaseHandler sends it.
const GENERIC_ERROR = 'A server error occurred.  Please contact the administrator.'

/**
 * The error Fastify's error handler gets for an app failure, unless `exposeErrors` is set. It
 * carries the app error's `code` (`ERR_WSGI_…`), and nothing of its message, which Fastify's
 * default handler would send to the client: no `cause` either, which pino would append to the
 * logged message ("…administrator.: <app message>"). The app's error is logged on its own.
 */
function hiddenError(error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code
  const hidden = Object.assign(new Error(GENERIC_ERROR), { statusCode: 500 })
  return typeof code === 'string' ? Object.assign(hidden, { code }) : hidden
}

/**
 * Runs a gateway application for one Fastify request and hands the response to Fastify.
 *
 * - `environ`: as core's `NodeHandler` builds it from `request.raw`, with SCRIPT_NAME the part of
 *   the path the mount prefix matches. `wsgi.input` reads `request.raw`, or the stream a
 *   `preParsing` hook put in its place (then CONTENT_LENGTH is `''`, the decoded length being
 *   unknown, and `wsgi.input_terminated` is true). `wsgi.errors` logs through `request.log`.
 * - Status and headers go to `reply.code()` and `reply.header()`; a non-standard reason phrase to
 *   `reply.raw.statusMessage`; several `Set-Cookie` as one array; a `Vary` merged with one set by
 *   a hook (CORS adds `Origin`). Other headers the app sets replace those hooks set.
 * - {@link start} settles with what to pass to `reply.send()`: a `Readable` fed with
 *   backpressure, a whole `Uint8Array` for a one-chunk body with a Content-Type, or `null` when
 *   there is no body (HEAD, 1xx/204/304, empty).
 * - An empty first chunk makes the headers go out as soon as Fastify starts sending
 *   (server-sent events).
 * - An error before the head rejects {@link start} (Fastify's error handler answers); after it,
 *   the stream is destroyed with the error (Fastify logs it and cuts the connection).
 * - After the response, a request body the app left unread is drained or the connection closed,
 *   by core's `NodeHandler` (`drainLimit`, `drainTimeout`): a whole response says
 *   `Connection: close` when more than `drainLimit` bytes are still announced, and a closing
 *   connection reads and drops the rest of the upload until the client is done or the deadline
 *   passes, so the client reads the answer rather than a reset. A body that a `preParsing` hook
 *   replaced is left to that hook's pipeline.
 *
 * Subclass it to change a hook (`applyHead`, `handleError`, `logException`…) and pass the class
 * as `handlerClass` to `toFastify`.
 */
export class FastifyHandler extends NodeHandler {
  /** The Fastify request. */
  readonly fastifyRequest: FastifyRequest
  /** The Fastify reply. */
  readonly reply: FastifyReply
  readonly #mount: Mount
  readonly #exposeErrors: boolean
  readonly #payload: Readable | undefined
  readonly #parent: ParentEnviron | undefined
  // The head's promise, made only when asked for; until then the outcome waits in #outcome.
  #head: Promise<GatewayPayload | typeof CLIENT_GONE> | undefined = undefined
  #resolveHead: ((payload: GatewayPayload | typeof CLIENT_GONE) => void) | undefined = undefined
  #rejectHead: ((error: unknown) => void) | undefined = undefined
  #outcome: { payload: GatewayPayload | typeof CLIENT_GONE } | { error: unknown } | undefined =
    undefined
  #settled = false
  #stream: BodyFeed | undefined = undefined
  #input: InputStream | undefined = undefined
  #errors: ErrorStream | undefined = undefined

  /**
   * @param request - the Fastify request
   * @param reply - its reply
   * @param options - see {@link FastifyHandlerOptions}
   * @param payload - the body stream Fastify's content-type parser got (when a `preParsing`
   *   hook replaced `request.raw`)
   */
  constructor(
    request: FastifyRequest,
    reply: FastifyReply,
    options: FastifyHandlerOptions = {},
    payload?: Readable,
  ) {
    super(request.raw, reply.raw, options)
    this.fastifyRequest = request
    this.reply = reply
    this.#mount = compileMount(options.scriptName ?? '')
    this.#exposeErrors = options.exposeErrors === true
    this.#payload = payload === request.raw ? undefined : payload
    this.#parent = parentEnvironOf(request.raw)
  }

  /** Settles when the handler knows what to send (see {@link start}). */
  get head(): Promise<GatewayPayload | typeof CLIENT_GONE> {
    if (this.#head !== undefined) return this.#head
    const head = new Promise<GatewayPayload | typeof CLIENT_GONE>((resolve, reject) => {
      this.#resolveHead = resolve
      this.#rejectHead = reject
    })
    this.#head = head
    // Settled before anyone asked: settle the promise the same way now.
    const outcome = this.#outcome
    this.#outcome = undefined
    if (outcome !== undefined) {
      if ('error' in outcome) this.#rejectWith(outcome.error)
      else this.#resolveHead?.(outcome.payload)
    }
    return head
  }

  /**
   * Run `app` in the background; resolves with the payload for `reply.send()` once the head is
   * applied to the reply, with {@link CLIENT_GONE} when the client left first, and rejects with
   * the app's error when it failed before the head.
   */
  start(app: WSGIApplication): Promise<GatewayPayload | typeof CLIENT_GONE> {
    this.#serve(app)
    return this.head
  }

  /**
   * {@link start}, with the outcome itself when it is known before `start` returns (a
   * synchronous app with a one-chunk body): then the route can call `reply.send()` at
   * once, as a synchronous Fastify route does, without a promise for Fastify to wait on.
   */
  startNow(
    app: WSGIApplication,
  ): GatewayPayload | typeof CLIENT_GONE | Promise<GatewayPayload | typeof CLIENT_GONE> {
    this.#serve(app)
    const outcome = this.#outcome
    if (outcome === undefined || 'error' in outcome) return this.head
    return outcome.payload
  }

  /**
   * The CGI variables of `request.raw` (core's `addRequestVars`), SCRIPT_NAME/PATH_INFO split
   * at the mount, the `wsgits.*` keys, and what an enclosing gateway request passed down.
   */
  override addCgiVars(): void {
    const env = this.environ as Record<string, unknown>
    this.addRequestVars({ serverName: this.options.serverName })
    const parent = this.#parent
    const [scriptName, pathInfo] = splitMount(this.#mount, env['PATH_INFO'] as string)
    env['SCRIPT_NAME'] = (parent?.base ?? '') + scriptName
    env['PATH_INFO'] = pathInfo
    this.addExtensionVars()
    if (parent !== undefined) inheritEnviron(env, parent.environ)
    if (this.#payload !== undefined) {
      env['CONTENT_LENGTH'] = ''
      env['wsgi.input_terminated'] = true
    }
  }

  /**
   * `wsgi.input`: core's reader over `request.raw`; or over the stream a `preParsing` hook put in
   * its place; or the body an enclosing gateway middleware replaced it with; or, when a hook read
   * `request.raw` first, a stream whose reads fail with `ERR_WSGI_BODY_ALREADY_READ`.
   */
  override getStdin(): InputStream {
    return (this.#input ??= this.#chooseInput())
  }

  #chooseInput(): InputStream {
    const payload = this.#payload
    if (payload !== undefined) {
      return new InputReader(payload, { limit: this.options.inputLimit ?? Infinity })
    }
    const inherited = this.#parent?.input
    if (inherited !== undefined) return inherited
    // A hook that drained request.raw leaves core's answer: its kept bytes, or reads that fail
    // at once instead of waiting forever.
    return inputOf(bodySource(this.request), () => super.getStdin(), FASTIFY_ADVICE)
  }

  /** Core's `wsgits.*` keys, plus the Fastify request and reply (`wsgits.fastify_request`/`_reply`). */
  protected override addExtensionVars(): void {
    super.addExtensionVars()
    const env = this.environ as Record<string, unknown>
    env[FASTIFY_REQUEST_KEY] = this.fastifyRequest
    env[FASTIFY_REPLY_KEY] = this.reply
  }

  /** `wsgi.errors`: the `errors` option, else Fastify's request logger at `error` level. */
  override getStderr(): ErrorStream {
    return this.options.errors ?? (this.#errors ??= new LogErrorStream(this.fastifyRequest.log))
  }

  /**
   * Apply the status and headers to the reply and settle {@link head} with the payload. Nothing
   * counts as sent when Fastify or Node rejects the status or a header: the app's error then
   * reaches Fastify's error handler.
   */
  protected override sendHead(): void {
    const grouped = new Map<string, string[]>()
    for (const [name, value] of this.headers ?? []) {
      validateHeaderName(name)
      validateHeaderValue(name, value)
      const lower = name.toLowerCase()
      const values = grouped.get(lower)
      if (values === undefined) grouped.set(lower, [value])
      else values.push(value)
    }
    const status = this.status ?? '500 Internal Server Error'
    const code = statusCode(status)
    if (code < 100 || code > 599) {
      // Fastify's reply.code() takes no other; say so in the gateway's terms, before anything is set.
      throw new WSGIError(
        'ERR_WSGI_INVALID_STATUS',
        `Status code must be from 100 to 599 (got ${code})`,
      )
    }
    // A whole response (the app is done reading) to an upload still larger than the drain
    // budget: core decides, and closes the connection the lingering way once Fastify ends it.
    // With the app's headers (it can send no Connection), so that every applyHead() keeps it.
    // (HTTP/2 has no Connection header: a stream's body is core's to drain after the response.)
    if (this.endsWithHead && this.#closableForBody() && this.closesForUnreadBody()) {
      grouped.set('connection', ['close'])
    }
    this.applyHead(code, status.slice(4), grouped)
    let payload: GatewayPayload = null
    const whole = this.wholeBody
    if (this.bodyAllowed) {
      if (whole !== undefined) {
        payload = whole
      } else if (!this.endsWithHead) {
        const stream = new BodyFeed(65536)
        this.#stream = stream
        payload = stream
        // An empty first chunk means "headers now" (server-sent events): flush them as soon as
        // Fastify pipes the body, after every onSend hook has had its say.
        if (this.bytesSent === 0) {
          this.response.once('pipe', () => {
            if (this.bytesSent === 0 && !this.response.headersSent) this.response.flushHeaders()
          })
        }
      }
    }
    const stream = this.#stream
    if (stream !== undefined) this.response.once('close', () => stream.destroy())
    this.#settle(payload)
  }

  /**
   * Put the status and the (validated, grouped by lower-case name) headers on the reply.
   * Override to change how they merge with headers that hooks set before.
   */
  protected applyHead(code: number, reason: string, headers: Map<string, string[]>): void {
    setReplyHead(this.reply, code, reason, headers, false)
  }

  /**
   * `NodeHandler`'s one-chunk fast path, only with a Content-Type: such a body goes to Fastify
   * whole (`reply.send(buffer)`), so `onSend` hooks see a Buffer (compression thresholds, ETags).
   */
  protected override wholeChunk(): Uint8Array | undefined {
    const chunk = super.wholeChunk()
    return chunk !== undefined && this.headers?.has('Content-Type') === true ? chunk : undefined
  }

  /**
   * After the last chunk, or after a whole body went to Fastify with the head: the end of the
   * stream, if there is one (Fastify, not this handler, ends `reply.raw`); then the unread request
   * body is drained.
   */
  protected override endResponse(): void {
    this.#stream?.finish()
    this.#appDone()
  }

  /**
   * Before the head: reject {@link start}, so Fastify's error handler logs and answers (with the
   * app's error; or, see `exposeErrors`, with a generic one, the app's error being logged here
   * through `request.log` first). After: destroy the stream with the error, which Fastify logs
   * before it cuts the connection.
   */
  override handleError(error: unknown): Promise<void> {
    if (!this.#settled) {
      this.#settled = true
      if (!this.#exposeErrors) logAppError(this.fastifyRequest.log, error)
      this.#rejectWith(this.#exposeErrors ? error : hiddenError(error))
      // The app is done: what it left of the body is drained (or the connection closed) while
      // Fastify's error handler answers.
      this.#appDone()
    } else if (this.#stream !== undefined && !this.#stream.destroyed) {
      this.#stream.destroy(toError(error))
    } else {
      this.logException(error)
      this.abortOutput(error)
    }
    return RESOLVED
  }

  /**
   * A disconnect only when it is this request's client that went away. An app bridged from
   * further away (`fromFastify`, `fromNodeListener`) fails with the same codes when *its* side
   * resets; that is an application error here, so the response is cut (or a 500 sent), never
   * left hanging.
   */
  protected override isClientDisconnect(error: unknown): boolean {
    if (!super.isClientDisconnect(error)) return false
    return this.response.destroyed || this.request.destroyed || this.#stream?.destroyed === true
  }

  /** Push a chunk into the stream Fastify is sending, waiting while its buffer is full. */
  protected override _write(data: Uint8Array): void | Promise<void> {
    return this.#stream?.feed(data)
  }

  /** Run the app; a response `run()` finished at once (`RESOLVED`) is wrapped up at once. */
  #serve(app: WSGIApplication): void {
    const ran = this.run(app)
    if (ran === RESOLVED) {
      this.#served()
      return
    }
    ran.then(
      () => {
        this.#served()
      },
      (error: unknown) => {
        // The error handling itself failed: nothing sensible can be sent any more.
        this.logException(error)
        if (!this.response.writableEnded) this.response.destroy()
        this.#served()
      },
    )
  }

  #served(): void {
    // run() returns quietly when the client went away: nothing will ever be sent, and a
    // stream still open must not keep Fastify waiting.
    if (!this.#settled) this.#settle(CLIENT_GONE)
    const stream = this.#stream
    if (stream !== undefined && !stream.complete) stream.destroy()
  }

  #settle(payload: GatewayPayload | typeof CLIENT_GONE): void {
    if (this.#settled) return
    this.#settled = true
    if (this.#resolveHead === undefined) this.#outcome = { payload }
    else this.#resolveHead(payload)
  }

  #rejectWith(error: unknown): void {
    if (this.#rejectHead === undefined) this.#outcome = { error }
    else this.#rejectHead(error)
  }

  /**
   * The app is done with `wsgi.input` and its response is in Fastify's hands: core drains what
   * it left of the request body, or closes the connection (see `NodeHandler`). Now, as core does
   * right after `res.end()`, not on the response's `'finish'`: by then Node has switched an
   * untouched body to dropping whatever arrives, however long it takes.
   */
  #appDone(): void {
    // A body that a preParsing hook replaced belongs to that hook's pipeline.
    if (this.#payload === undefined) this.drainUnreadBody()
  }

  #closableForBody(): boolean {
    return this.#payload === undefined && this.request.httpVersionMajor < 2
  }
}
