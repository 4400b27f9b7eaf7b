/**
 * `FetchHandler`: a `BaseHandler` whose transport is a fetch `Request` in and a `Response` out.
 * The engine of `toFetch`.
 *
 * If you are writing a bridge to another transport that takes a status and a header list (not raw
 * bytes), this class shows the three overrides it takes: `sendHeaders`, `_write`, `abortOutput`.
 *
 * @module
 */
import { WSGIError, describe, isWSGIError } from '@wsgi/core/errors'
import { BaseHandler } from '@wsgi/core/handlers'
import { ConsoleErrorStream } from '@wsgi/core/streams'
import type { ErrorStream, InputStream, WSGIApplication } from '@wsgi/core/types'

import { connectionTokens, isHopByHopHeader } from './_internal/hop-by-hop.ts'
import { requestCgiVars } from './_internal/request-environ.ts'
import { ConsumerGoneError, ResponseStream } from './_internal/response-stream.ts'
import { streamInput } from './_internal/stream-input.ts'
import { FETCH_CTX_KEY, FETCH_ENV_KEY } from './types.ts'

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
}

/** Error codes Node and the streams give a read that failed because the connection went away. */
const RESET_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ERR_STREAM_PREMATURE_CLOSE',
])

function isConnectionReset(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return (
    (typeof code === 'string' && RESET_CODES.has(code)) ||
    (error as { name?: unknown } | null)?.name === 'AbortError'
  )
}

/** Keys the `Request` itself decides; a base environ's copies of them are left behind. */
function fromRequest(key: string): boolean {
  return key.startsWith('HTTP_') || key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH'
}

/**
 * Runs a gateway application for one fetch `Request` and produces its `Response`.
 *
 * `respond(app)` settles as soon as the head is known (the first body chunk, or the end of an
 * empty body), so streaming responses and server-sent events start at once; the body then flows
 * through a pull-driven stream. `environ['wsgits.signal']` fires when `request.signal` aborts or
 * the consumer cancels the body before the response ended, and only then.
 *
 * @example
 * ```ts
 * const response = await new FetchHandler(request, options).respond(app)
 * ```
 */
export class FetchHandler extends BaseHandler {
  #request: Request
  #options: FetchHandlerOptions
  #stdin: InputStream
  #stderr: ErrorStream
  #body: ResponseStream
  #gone = new AbortController()
  #resolve!: (response: Response) => void
  #responded = false
  #ended = false
  #response: Promise<Response>

  constructor(request: Request, options: FetchHandlerOptions) {
    super()
    this.#request = request
    this.#options = options
    this.#stdin = streamInput(request.body, options.inputLimit)
    this.#stderr = options.errors ?? new ConsoleErrorStream()
    this.#body = new ResponseStream((reason) => {
      this.#gone.abort(reason)
    })
    this.#response = new Promise((resolve) => {
      this.#resolve = resolve
    })
  }

  /**
   * Run `app` and give its `Response` once the head is known. Never rejects: an application
   * error before the head gives a 500 without details, one after it errors the body stream.
   */
  respond(app: WSGIApplication): Promise<Response> {
    const signal = this.#request.signal
    const onAbort = (): void => {
      this.#gone.abort(signal.reason)
    }
    // An already-aborted request is answered like any other; the app sees the fired signal.
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })

    void this.run(app).then(
      () => {
        this.#finish(onAbort)
        this.#body.close()
        // run() returns quietly when the client left before the head; the answer goes nowhere.
        this.#respondWith(this.#plainError())
      },
      (error: unknown) => {
        this.#finish(onAbort)
        this.logException(error)
        // Even the error response failed: answer with a bare 500, or cut the stream.
        if (!this.#responded) this.#respondWith(this.#plainError())
        else this.#body.error(error)
      },
    )
    return this.#response
  }

  override getStdin(): InputStream {
    return this.#stdin
  }

  override getStderr(): ErrorStream {
    return this.#stderr
  }

  override addCgiVars(): void {
    const environ = this.environ as Record<string, unknown>
    const base = this.#options.baseEnviron
    if (base !== undefined) {
      for (const [key, value] of Object.entries(base)) if (!fromRequest(key)) environ[key] = value
    }
    Object.assign(environ, requestCgiVars(this.#request, this.#options.scriptName))
    // A fetch Request does not know its HTTP version; an enclosing gateway request does.
    if (typeof base?.['SERVER_PROTOCOL'] === 'string')
      environ['SERVER_PROTOCOL'] = base['SERVER_PROTOCOL']
    // The body ends by itself (fetch de-chunks it), so reading to EOF is safe without a length.
    environ['wsgi.input_terminated'] = true
    environ['wsgits.signal'] = this.#gone.signal
    if (this.#options.env !== undefined) environ[FETCH_ENV_KEY] = this.#options.env
    if (this.#options.ctx !== undefined) environ[FETCH_CTX_KEY] = this.#options.ctx
  }

  /**
   * Resolve the `Response` with the status and headers instead of writing a header block.
   *
   * The `Response` is built before `headersSent` is set, so a status or header that fetch refuses
   * (a 1xx final status, a malformed name) still gets the 500 path rather than a cut connection.
   */
  override sendHeaders(): Promise<void> {
    this.cleanupHeaders()
    this.decideBody()
    const response = this.#buildResponse()
    this.headersSent = true
    this.#respondWith(response)
    return Promise.resolve()
  }

  /**
   * The headers of a response that ended before its first chunk go out with a null body: the
   * host then writes head and end at once (`@hono/node-server` would otherwise flush a lone
   * head with Node's `flushHeaders()`, which writes latin-1 header values as UTF-8).
   */
  override async finishContent(): Promise<void> {
    // Only for the headers sent from here: an error response that follows has a body.
    this.#ended = true
    try {
      await super.finishContent()
    } finally {
      this.#ended = false
    }
  }

  protected override _write(data: Uint8Array): Promise<void> {
    return this.#body.write(data)
  }

  protected override _flush(): void {
    // Each chunk is handed to the consumer as it is written; there is nothing to flush.
  }

  /** After the head: error the body stream, so the runtime cuts the response short. */
  protected override abortOutput(error: unknown): void {
    this.#body.error(error)
  }

  /** The consumer cancelled the body or the request was aborted. */
  protected override clientGone(): boolean {
    return this.#gone.signal.aborted
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

  #buildResponse(): Response {
    const status = this.status ?? ''
    const headers = new globalThis.Headers()
    const list = [...(this.headers ?? [])]
    const listed = connectionTokens(list.find(([n]) => n.toLowerCase() === 'connection')?.[1])
    for (const [name, value] of list) {
      // BaseHandler refuses wsgiref's hop-by-hop list; Trailer, Proxy-* and the names Connection
      // lists are dropped here. Each Set-Cookie is appended on its own, never joined.
      if (isHopByHopHeader(name, listed)) continue
      try {
        headers.append(name, value)
      } catch (error) {
        // fetch refuses a name that is no token or a value it cannot hold; say which, with a code.
        throw new WSGIError(
          'ERR_WSGI_INVALID_HEADER',
          `Invalid response header ${describe(name)}: ${describe(value)}`,
          { cause: error },
        )
      }
    }
    return new Response(this.bodyAllowed && !this.#ended ? this.#body.stream : null, {
      status: Number.parseInt(status.slice(0, 3), 10),
      statusText: status.slice(4),
      headers,
    })
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
    this.#resolve(response)
  }

  #finish(onAbort: () => void): void {
    this.#request.signal.removeEventListener('abort', onAbort)
  }
}
