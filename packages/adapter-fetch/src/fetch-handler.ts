/**
 * `FetchHandler`: a `HostHandler` whose transport is a fetch `Request` in and a `Response` out.
 * The engine of `toFetch`.
 *
 * If you are writing a bridge to another transport that takes a status and a header list (not raw
 * bytes), this class shows the hooks of core's `HostHandler` it takes: `sendHead`, `_write`,
 * `endResponse`, `abortOutput`.
 *
 * @module
 */
import { isWSGIError } from '@wsgi/core/errors'
import { HostHandler } from '@wsgi/core/handlers'
import { ConsoleErrorStream } from '@wsgi/core/streams'
import type { ErrorStream, InputStream, WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'

import { isConnectionReset } from './_internal/connection-reset.ts'
import { dropUnsetFetch, newFetchEnviron } from './_internal/environ-shape.ts'
import { addFetchCgiVars, setLazyKeys } from './_internal/handler-environ.ts'
import type { URLParts } from './_internal/request-url-parts.ts'
import type { RemoteAddressFn } from './remote-address.ts'
import { responseHeaderInit } from './_internal/response-headers.ts'
import { ConsumerGoneError, ResponseStream } from './_internal/response-stream.ts'
import { responseStatusCode } from './_internal/status.ts'
import { lazyBodyInput } from './_internal/stream-input.ts'

/** What a {@link FetchHandler} needs besides the request. */
export interface FetchHandlerOptions {
  /** `SCRIPT_NAME`, already normalised (`''` or `/prefix` without a trailing `/`). */
  scriptName: string
  /** `wsgi.errors`; `console.error` when undefined. */
  errors: ErrorStream | undefined
  /** The runtime's `env` bindings, put in `environ['wsgits.fetch_env']` when defined. */
  env: unknown
  /** The runtime's execution context, put in `environ['wsgits.fetch_ctx']` when defined. */
  ctx: unknown
  /**
   * The execution context, found only when `environ['wsgits.fetch_ctx']` is first read (instead
   * of `ctx`): where finding it is costly (Hono's `c.executionCtx` throws on Node).
   */
  lazyCtx?: (() => unknown) | undefined
  /** `request.url` already parsed, when the caller has it. */
  url?: URLParts | undefined
  /**
   * Keys every environ starts from, for a handler nested in another gateway request (a fetch
   * middleware between two gateway layers): `REMOTE_ADDR`, extension keys and the like survive
   * the hop, while the request line, the headers and `wsgi.*` are taken from the `Request`.
   */
  baseEnviron?: Readonly<Record<string, unknown>> | undefined
  /**
   * Most request body bytes `wsgi.input` delivers; a read beyond fails with
   * `ERR_WSGI_BODY_TOO_LARGE`, which an application that lets it through answers with 413.
   */
  inputLimit?: number | undefined
  /**
   * Finds `REMOTE_ADDR` for the request from the request and `env` (see `toFetch`'s option);
   * when undefined, or when it gives `undefined`, `REMOTE_ADDR` is left as the base environ has it.
   */
  remoteAddress?: RemoteAddressFn | undefined
}

/**
 * Runs a gateway application for one fetch `Request` and produces its `Response`.
 *
 * `respond(app)` settles as soon as the head is known (the first body chunk, or the end of an
 * empty body), so streaming responses and server-sent events start at once; the body then flows
 * through a pull-driven stream. `environ['wsgits.signal']` fires when `request.signal` aborts or
 * the consumer cancels the body before the response ended, and only then.
 *
 * Nothing is built before it is needed: the body is read on the first read of `wsgi.input` (one
 * of at most 64 KiB whole, with `request.arrayBuffer()`; any other from `request.body`, which on
 * `@hono/node-server` makes the real `Request`), `request.signal` when `environ['wsgits.signal']`
 * is first read, and a one-chunk body (a one-item array) becomes the `Response` body as it is,
 * with no stream.
 *
 * @example
 * ```ts
 * const response = await new FetchHandler(request, options).respond(app)
 * ```
 */
/**
 * `handler.respond(app)`, except that a `Response` known before it returns (a synchronous app
 * with a one-chunk body) is given as it is, not in a promise: a host that takes either (Hono's
 * handlers) then answers at once, without a turn of its promise path (on `@hono/node-server`,
 * a close listener and an awaited response per request).
 */
// Assigned in FetchHandler's static block: it reaches a private method.
export let respondNow: (handler: FetchHandler, app: WSGIApplication) => Response | Promise<Response>

export class FetchHandler extends HostHandler {
  #request: Request
  #options: FetchHandlerOptions
  #stdin: InputStream
  #stderr: ErrorStream
  #body: ResponseStream | undefined = undefined
  // `wsgits.signal`, made on first read; until then a cancelled body is only remembered.
  #gone: AbortController | undefined = undefined
  #goneReason: { reason: unknown } | undefined = undefined
  #onAbort: (() => void) | undefined = undefined
  #finished = false
  // The response ended before anyone read the signal, and request.signal was not looked at.
  #askLate = false
  #resolve: ((response: Response) => void) | undefined = undefined
  #early: Response | undefined = undefined
  #responded = false

  static {
    respondNow = (handler, app) => handler.#respond(app)
    // The environ's `wsgits.signal` and lazy `wsgits.fetch_ctx`: shared accessors that find the
    // handler in the environ (see handler-environ.ts), and call into it here.
    setLazyKeys({
      signal: (owner) => (owner as FetchHandler).#signal(),
      ctx: (owner) => (owner as FetchHandler).#options.lazyCtx?.(),
    })
  }

  constructor(request: Request, options: FetchHandlerOptions) {
    super()
    this.#request = request
    this.#options = options
    this.#stdin = lazyBodyInput(request, options.inputLimit)
    this.#stderr = options.errors ?? new ConsoleErrorStream()
  }

  /**
   * Run `app` and give its `Response` once the head is known. Never rejects: an application
   * error before the head gives a 500 without details, one after it errors the body stream.
   */
  respond(app: WSGIApplication): Promise<Response> {
    const response = this.#respond(app)
    return response instanceof Promise ? response : Promise.resolve(response)
  }

  /** {@link respond}, with the `Response` itself when it is known before `respond` returns. */
  #respond(app: WSGIApplication): Response | Promise<Response> {
    void this.#drive(app)
    // A synchronous app with a one-chunk body has its Response already.
    const early = this.#early
    if (early !== undefined) {
      this.#early = undefined
      return early
    }
    return new Promise((resolve) => {
      this.#resolve = resolve
    })
  }

  override getStdin(): InputStream {
    return this.#stdin
  }

  override getStderr(): ErrorStream {
    return this.#stderr
  }

  /**
   * As `BaseHandler#setupEnviron` (`osEnviron`, then `addCgiVars()`, then the `wsgi.*` keys), on
   * an environ that starts with every key a fetch request's always has (`newFetchEnviron`), so
   * that the computed `HTTP_*` keys do not turn it into a slow dictionary.
   */
  override setupEnviron(): void {
    const env = newFetchEnviron()
    const os = this.osEnviron
    for (const key in os) env[key] = os[key]
    this.environ = env as WSGIEnvironment
    this.addCgiVars()
    this.addWSGIVars()
    dropUnsetFetch(env)
  }

  override addCgiVars(): void {
    addFetchCgiVars(
      this.environ as Record<string, unknown>,
      this.#request,
      this.#options,
      this.#stdin,
      this,
    )
  }

  /**
   * Transport hook: resolve the `Response` with the status and headers instead of writing a
   * header block. Its body is the whole body of a one-chunk response (a one-item array of bytes)
   * as it is: no `ReadableStream` (on Node 20 each one costs a `makeTransferable()`), and a host
   * such as `@hono/node-server` writes head and body in one `res.end()`. A response that ended
   * before its first chunk has a null body: the host then writes head and end at once
   * (`@hono/node-server` would otherwise flush a lone head with Node's `flushHeaders()`, which
   * writes latin-1 header values as UTF-8). Any other body streams.
   *
   * The `Response` is built before `headersSent` is set, so a status or header that fetch refuses
   * (a 1xx final status, a malformed name) still gets the 500 path rather than a cut connection.
   */
  protected override sendHead(): void {
    this.#respondWith(this.#buildResponse())
  }

  /**
   * Transport hook: nothing to do here. A whole body went with the head; a body stream ends when
   * `run()` is done (see `#drive`), after the body's `close()` and after the request's abort
   * state is noted, so that a consumer never sees the end before that.
   */
  protected override endResponse(): void {
    // Intentionally empty; see above.
  }

  protected override _write(data: Uint8Array): Promise<void> {
    return this.#stream().write(data)
  }

  /** After the head: error the body stream, so the runtime cuts the response short. */
  protected override abortOutput(error: unknown): void {
    this.#body?.error(error)
  }

  /** The consumer cancelled the body or the request was aborted. */
  protected override clientGone(): boolean {
    return this.#signal().aborted
  }

  /**
   * Also the error our own body stream raises once its consumer went away, and a failed read of
   * `wsgi.input` whose cause is the client leaving mid-upload: hosts such as `@hono/node-server`
   * error the request body (Node's `aborted`, `ECONNRESET`) before, or without, aborting
   * `request.signal`.
   */
  protected override isClientDisconnect(error: unknown): boolean {
    if (error instanceof ConsumerGoneError || super.isClientDisconnect(error)) return true
    return (
      isWSGIError(error) &&
      error.code === 'ERR_WSGI_INPUT_ERROR' &&
      (this.clientGone() || isConnectionReset(error.cause))
    )
  }

  async #drive(app: WSGIApplication): Promise<void> {
    try {
      await this.run(app)
    } catch (error) {
      this.#finish()
      this.logException(error)
      // Even the error response failed: answer with a bare 500, or cut the stream.
      if (!this.#responded) this.#respondWith(this.#plainError())
      else this.#body?.error(error)
      return
    }
    this.#finish()
    this.#body?.close()
    // run() returns quietly when the client left before the head; the answer goes nowhere.
    if (!this.#responded) this.#respondWith(this.#plainError())
  }

  /** The response body stream, made when the first streamed chunk (or head) needs it. */
  #stream(): ResponseStream {
    return (this.#body ??= new ResponseStream((reason) => {
      this.#cancelled(reason)
    }))
  }

  /**
   * The consumer cancelled the body before it ended: the client is gone. The body's `close()`
   * runs here and now, not when the body's iteration next resumes: a runtime may never resume it
   * (workerd drops the timers and pending work of a cancelled request), and whatever resumes
   * later meets `ConsumerGoneError` and ends as a disconnect. `close()` still runs only once.
   */
  #cancelled(reason: unknown): void {
    if (this.#gone !== undefined) this.#gone.abort(reason)
    else this.#goneReason ??= { reason }
    this.closeResultNow().catch((error: unknown) => {
      this.closeFailed(error)
    })
  }

  /** `wsgits.signal`: made on first read, following `request.signal` until the response ended. */
  #signal(): AbortSignal {
    if (this.#gone !== undefined) return this.#gone.signal
    const gone = (this.#gone = new AbortController())
    const cancelled = this.#goneReason
    if (cancelled !== undefined) {
      gone.abort(cancelled.reason)
      return gone.signal
    }
    const signal = this.#request.signal
    // After the response ended, only an abort that came before it counts (see #finish).
    if (this.#finished) {
      if (this.#askLate && signal.aborted) gone.abort(signal.reason)
      return gone.signal
    }
    if (signal.aborted) {
      gone.abort(signal.reason)
    } else {
      const onAbort = (): void => {
        gone.abort(signal.reason)
      }
      this.#onAbort = onAbort
      signal.addEventListener('abort', onAbort, { once: true })
    }
    return gone.signal
  }

  #buildResponse(): Response {
    const status = this.status ?? ''
    const init: ResponseInit = {
      // A status a Response cannot hold (101, 700) fails here with its reason: a logged 500.
      status: responseStatusCode(status),
      statusText: status.slice(4),
      headers: responseHeaderInit(this.headers),
    }
    if (!this.bodyAllowed) return new Response(null, init)
    const whole = this.wholeBody
    if (whole !== undefined) return new Response(whole, init)
    return new Response(this.endsWithHead ? null : this.#stream().stream, init)
  }

  #plainError(): Response {
    return new Response(this.errorBody.slice(), {
      status: 500,
      headers: { 'content-type': 'text/plain' },
    })
  }

  #respondWith(response: Response): void {
    if (this.#responded) return
    this.#responded = true
    const resolve = this.#resolve
    if (resolve === undefined) this.#early = response
    else resolve(response)
  }

  #finish(): void {
    this.#finished = true
    const onAbort = this.#onAbort
    if (onAbort !== undefined) {
      this.#onAbort = undefined
      this.#request.signal.removeEventListener('abort', onAbort)
    } else if (this.#gone === undefined && this.#goneReason === undefined) {
      // Nobody read the signal yet. A signal read later (from a kept environ) must tell whether
      // the request was aborted while it ran, not after: some runtimes abort request.signal once
      // the response is complete. The runtime's own Request has its signal at hand, so its state
      // is noted now. A host's stand-in Request (@hono/node-server's lightweight one) would make
      // a real signal here, for nothing in almost every request; its signal is read when asked
      // (that host aborts it only for a client that left before the response was written).
      const request = this.#request
      if (Object.getPrototypeOf(request) === globalThis.Request.prototype) {
        const signal = request.signal
        if (signal.aborted) this.#goneReason = { reason: signal.reason }
      } else {
        this.#askLate = true
      }
    }
  }
}
