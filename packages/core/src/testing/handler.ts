/**
 * `TestHandler`: the `BaseHandler` behind `TestClient`, in the spirit of CPython's `run_amock`
 * but structured: the status and headers go to a sink as a list, the body as chunks, and nothing
 * is serialised. Two sinks: one that collects the whole response, one that hands each chunk to
 * a reader and waits for it (backpressure). Node-free.
 *
 * @module
 */
import { BaseHandler } from '../handlers/base-handler.ts'
import type { ErrorStream, HeaderList, InputStream } from '../types.ts'

/** Where a {@link TestHandler} delivers the response. */
export interface ResponseSink {
  /** The status and headers, once, when the first chunk (or the end) sends them. */
  head(status: string, headers: HeaderList): void
  /** One chunk of the body; the handler waits for the promise before it sends more. */
  chunk(data: Uint8Array): void | Promise<void>
}

/**
 * The error a chunk fails with once the reader closed the response early; `BaseHandler#run`
 * takes it as a client that went away (its code is one the handler knows) and ends quietly.
 */
export class ClientClosedError extends Error {
  readonly code = 'ERR_STREAM_DESTROYED'

  constructor() {
    super('The test client closed the response before its end')
  }

  override get name(): string {
    return 'ClientClosedError'
  }
}

/** What one {@link TestHandler} needs for its request. */
export interface TestHandlerInit {
  /** The CGI variables (`REQUEST_METHOD`, `PATH_INFO`, `HTTP_*`…). */
  readonly cgi: Readonly<Record<string, string>>
  /** Keys set after the `wsgi.*` keys: extensions, then the caller's overrides. */
  readonly extras: Readonly<Record<string, unknown>>
  readonly stdin: InputStream
  readonly stderr: ErrorStream
  readonly scheme: 'http' | 'https'
  readonly sink: ResponseSink
  /** True: an application error rejects `run()`; false: it is logged and answered with a 500. */
  readonly throwErrors: boolean
}

/**
 * Runs one request of a `TestClient`. The flags match `setupTestingDefaults`: not multithread,
 * not multiprocess, not run once.
 */
export class TestHandler extends BaseHandler {
  override wsgiMultithread = false
  override wsgiMultiprocess = false
  /**
   * Off: the test client hands over what the application sent, byte for byte, as wsgiref's
   * handlers do (no wire to desynchronise); its validator reports protocol breaches.
   */
  override strictResponse = false
  /** The environ the application received (kept after `close()` resets `environ`). */
  requestEnviron: Record<string, unknown> | undefined = undefined
  readonly #init: TestHandlerInit

  constructor(init: TestHandlerInit) {
    super()
    this.#init = init
  }

  /** `BaseHandler`'s environ, then `wsgi.input_terminated` and the extension keys. */
  override setupEnviron(): void {
    super.setupEnviron()
    const environ = this.environ as Record<string, unknown>
    environ['wsgi.input_terminated'] = true
    Object.assign(environ, this.#init.extras)
    this.requestEnviron = environ
  }

  override getStdin(): InputStream {
    return this.#init.stdin
  }

  override getStderr(): ErrorStream {
    return this.#init.stderr
  }

  override addCgiVars(): void {
    Object.assign(this.environ as Record<string, unknown>, this.#init.cgi)
  }

  override getScheme(): string {
    return this.#init.scheme
  }

  /** Hand the status and the header list to the sink: no bytes, no `Date`, no status line. */
  override sendHeaders(): Promise<void> {
    this.cleanupHeaders()
    this.headersSent = true
    this.decideBody()
    this.#init.sink.head(this.status ?? '', this.headers?.items() ?? [])
    return Promise.resolve()
  }

  /**
   * With `throwErrors`, or once the headers went out (the response is cut and cannot be replaced),
   * the error goes back to the caller of `run()`; otherwise the base class logs it to
   * `wsgi.errors` and answers with `errorStatus`.
   */
  override async handleError(error: unknown): Promise<void> {
    if (this.#init.throwErrors || this.headersSent) throw error
    await super.handleError(error)
  }

  /**
   * A failing `close()` reaches the caller of `run()` (the test shows it), as in wsgiref, rather
   * than being only logged as a server does.
   */
  protected override closeFailed(error: unknown): void {
    throw error
  }

  /** Only the reader closing the response counts as a client that went away. */
  protected override isClientDisconnect(error: unknown): boolean {
    return error instanceof ClientClosedError
  }

  /** Hand a copy of the chunk to the sink: the application may reuse its buffer afterwards. */
  protected override _write(data: Uint8Array): void | Promise<void> {
    // new Uint8Array(), not slice(): Buffer#slice() returns a view, not a copy.
    return this.#init.sink.chunk(new Uint8Array(data))
  }

  protected override _flush(): void {
    // The sink has no buffer of its own.
  }
}

/** Collects the whole response: the buffered mode of `TestClient`. */
export class CollectingSink implements ResponseSink {
  status = ''
  headers: HeaderList = []
  readonly chunks: Uint8Array[] = []

  head(status: string, headers: HeaderList): void {
    this.status = status
    this.headers = headers
  }

  chunk(data: Uint8Array): void {
    this.chunks.push(data)
  }
}

interface Waiter<T> {
  resolve(value: T): void
  reject(error: unknown): void
}

/**
 * Hands each chunk to a reader and waits until it was taken: the streaming mode of `TestClient`.
 * At most one chunk is in flight, so a slow reader holds the application back.
 */
export class ChannelSink implements ResponseSink {
  /** Settles with the status and headers. */
  readonly head$: Promise<[status: string, headers: HeaderList]>
  #resolveHead: (head: [string, HeaderList]) => void = () => undefined
  #pending: { data: Uint8Array; taken: Waiter<undefined> } | undefined = undefined
  #reader: Waiter<IteratorResult<Uint8Array, undefined>> | undefined = undefined
  #ended = false
  #error: { value: unknown } | undefined = undefined
  #closed = false

  constructor() {
    this.head$ = new Promise((resolve) => {
      this.#resolveHead = resolve
    })
  }

  head(status: string, headers: HeaderList): void {
    this.#resolveHead([status, headers])
  }

  chunk(data: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new ClientClosedError())
    const reader = this.#reader
    if (reader !== undefined) {
      this.#reader = undefined
      reader.resolve({ done: false, value: data })
      return Promise.resolve()
    }
    return new Promise<undefined>((resolve, reject) => {
      this.#pending = { data, taken: { resolve, reject } }
    })
  }

  /** The next chunk; done once the handler finished; rejects once with the handler's error. */
  next(): Promise<IteratorResult<Uint8Array, undefined>> {
    const pending = this.#pending
    if (pending !== undefined) {
      this.#pending = undefined
      pending.taken.resolve(undefined)
      return Promise.resolve({ done: false, value: pending.data })
    }
    const error = this.#error
    if (error !== undefined) {
      this.#error = undefined
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the app's error, as it was thrown
      return Promise.reject(error.value)
    }
    if (this.#ended || this.#closed) return Promise.resolve({ done: true, value: undefined })
    return new Promise((resolve, reject) => {
      this.#reader = { resolve, reject }
    })
  }

  /** The handler's error that no `next()` reported yet (and forget it), if any. */
  takeError(): { value: unknown } | undefined {
    const error = this.#error
    this.#error = undefined
    return error
  }

  /** The handler finished, with `error` when it failed. */
  end(...error: [] | [unknown]): void {
    this.#ended = true
    const reader = this.#reader
    this.#reader = undefined
    if (error.length === 1) {
      if (reader !== undefined) reader.reject(error[0])
      else this.#error = { value: error[0] }
    } else {
      reader?.resolve({ done: true, value: undefined })
    }
  }

  /** The reader is gone: the chunk in flight and every later one fail with ClientClosedError. */
  close(): void {
    this.#closed = true
    const pending = this.#pending
    this.#pending = undefined
    pending?.taken.reject(new ClientClosedError())
    const reader = this.#reader
    this.#reader = undefined
    reader?.resolve({ done: true, value: undefined })
  }
}
