/**
 * `BaseHandler`: the server side of PEP 3333 as a Template Method. Port of the `BaseHandler` class
 * of Python's `wsgiref.handlers`, asynchronous all the way.
 *
 * `run(app)` drives the protocol (environ, `startResponse`, body iteration, `close()`, errors);
 * subclasses supply the I/O hooks (`_write`, `_flush`, `getStdin`, `getStderr`, `addCgiVars`).
 * If you are writing a new server or bridge, subclass this and override `sendHeaders` when the
 * transport takes a status and a header list rather than raw bytes (as `node:http` does).
 * Node-free: the fetch adapter builds on it too.
 *
 * @see {@link https://docs.python.org/3/library/wsgiref.html#wsgiref.handlers.BaseHandler wsgiref.handlers.BaseHandler}
 * @module
 */
import { WSGIError, describeJS, invalidArgType, isWSGIError } from '../errors.ts'
import { Headers } from '../headers.ts'
import type {
  ErrorStream,
  FileWrapper as FileWrapperFn,
  HeaderList,
  InputStream,
  ResponseBody,
  StartResponse,
  Status,
  WSGIApplication,
  WSGIEnvironment,
  WriteCallable,
} from '../types.ts'
import { FileWrapper, guessScheme, isHopByHop } from '../util.ts'
import { latin1ToBytes } from '../_internal/latin1.ts'
import { RESOLVED, hasClose, ignore, isThenable } from './async.ts'
import { checkHeaderList } from './check-headers.ts'
import { formatDateTime, formatException } from './format.ts'
import { checkLength, declaredLength, wholeBodyKnown } from './response-length.ts'
import { FINAL_STATUS_RANGE, checkStatus, isNullBodyStatus, statusCode } from './status.ts'

// What other modules (and older import paths) take from here.
export { RESOLVED } from './async.ts'
export { formatDateTime, formatException } from './format.ts'
export { checkStatus } from './status.ts'

/** Error codes of Node and of the WHATWG streams that mean "the client is gone". */
const DISCONNECT_CODES = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNABORTED',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_WRITE_AFTER_END',
])

// One shared wrapper factory: `wsgi.file_wrapper` must be a plain callable (PEP 3333), and a
// closure per request would be waste.
const makeFileWrapper: FileWrapperFn = (filelike, blockSize) => new FileWrapper(filelike, blockSize)

// Both texts are CPython's (see wsgiref.handlers.BaseHandler.error_body, two spaces included).
const ERROR_BODY = 'A server error occurred.  Please contact the administrator.'

// Shared by every instance, as wsgiref's class attributes are: building them per handler would
// cost an allocation (and a latin-1 encoding) on every request.
const WSGI_VERSION: readonly [1, 0] = Object.freeze([1, 0] as const)
const ERROR_HEADERS: HeaderList = [['Content-Type', 'text/plain']]
const ERROR_BODY_BYTES: Uint8Array = latin1ToBytes(ERROR_BODY)
const TOO_LARGE_BODY_BYTES: Uint8Array = latin1ToBytes('The request body is too large.')

/**
 * Manages the invocation of a gateway application: the server half of PEP 3333.
 *
 * Attributes are instance fields with wsgiref's defaults; override them in a subclass (or on an
 * instance) exactly as with wsgiref's class attributes.
 *
 * @example
 * ```ts
 * class MyHandler extends BaseHandler {
 *   protected _write(data: Uint8Array) { socket.write(data) }
 *   protected _flush() {}
 *   getStdin() { return input }
 *   getStderr() { return errors }
 *   addCgiVars() { Object.assign(this.environ!, cgiVars) }
 * }
 * await new MyHandler().run(app)
 * ```
 */
export abstract class BaseHandler {
  /** `wsgi.version`. */
  wsgiVersion: readonly [1, 0] = WSGI_VERSION
  /** `wsgi.multithread`: the app may be entered again while a call is in flight. */
  wsgiMultithread = true
  /** `wsgi.multiprocess`. */
  wsgiMultiprocess = true
  /** `wsgi.run_once`. */
  wsgiRunOnce = false
  /** True: write an HTTP status line (plus Date/Server); false: a CGI `Status:` header. */
  originServer = true
  /** The HTTP version of the status line. */
  httpVersion = '1.0'
  /** The `Server:` header and default `SERVER_SOFTWARE` (origin servers only). */
  serverSoftware: string | undefined = undefined
  /**
   * The base of every request environ.
   *
   * Divergence from wsgiref: empty by default instead of a copy of the process environment taken
   * at import, so that server secrets never reach every request (the CGI handler reads the real
   * CGI variables itself).
   */
  osEnviron: Readonly<Record<string, string>> = {}
  /** The class behind `wsgi.file_wrapper`; `undefined` leaves the key out of the environ. */
  wsgiFileWrapper: typeof FileWrapper | undefined = FileWrapper
  /** The class that holds the response headers. */
  headersClass: new (headers?: HeaderList) => Headers = Headers
  /** How many stack frames `logException` prints; all when undefined. */
  tracebackLimit: number | undefined = undefined
  /** Status of the response sent when the app fails before any output. */
  errorStatus: Status = '500 Internal Server Error'
  /** Headers of that response (copied per use). */
  errorHeaders: HeaderList = ERROR_HEADERS
  /** Body of that response; it never holds details of the error. */
  errorBody: Uint8Array = ERROR_BODY_BYTES
  /**
   * Hold each response to what HTTP can carry unchanged: a final status the transport can send
   * (200 to 599 here, see {@link finalStatusRange}), at most one
   * `Content-Length`, a decimal number, and a body of exactly that many bytes. A breach before the
   * headers went out gives the 500 of {@link handleError}; after, the output is cut.
   *
   * Divergence from wsgiref: wsgiref sends whatever the application gives. On a keep-alive
   * connection a body longer than its `Content-Length` would be read by the client as the next
   * response (a forged one), and a shorter one would swallow the next response: either way every
   * later response on the connection is desynchronised. `SimpleHandler` (and so the CGI handlers)
   * turn this off, to send exactly the bytes wsgiref sends.
   */
  strictResponse = true

  /** The status line given to `startResponse`, once it was called. */
  status: string | undefined = undefined
  /** What the application returned. */
  result: ResponseBody | undefined = undefined
  /** True once the status and headers went to the transport (or started to). */
  headersSent = false
  /** The response headers, once `startResponse` was called. */
  headers: Headers | undefined = undefined
  /** Body bytes sent so far. */
  bytesSent = 0
  /** The environ of the request in flight. */
  environ: WSGIEnvironment | undefined = undefined

  #closedResult: ResponseBody | undefined = undefined
  #handling: unknown = undefined
  #bodyAllowed = true
  /** The `Content-Length` the response declared (checked when `strictResponse`). */
  #declaredLength: number | undefined = undefined
  /** True once the application's body is exhausted: what was sent is the whole body. */
  #complete = false
  /** The last error the transport (`_write`/`_flush`) raised: only such errors mean "client gone". */
  #transportError: unknown = undefined
  /** The last `write()` still in flight (or failed), which the next one waits for. */
  #writing: Promise<void> | undefined = undefined

  /**
   * Invoke `application` and send its response. Never rejects for an application error: that is
   * logged and answered with a 500 (or the output is cut if headers were already sent).
   */
  run(application: WSGIApplication): Promise<void> {
    let finished: Promise<void>
    try {
      this.setupEnviron()
      const result = application(this.#env(), this.startResponse)
      if (isThenable(result)) return this.#runLater(result)
      this.result = result
      finished = this.finishResponse()
    } catch (error) {
      return this.#recover(error)
    }
    // Most apps return their body directly, and a one-chunk body is sent synchronously: then no
    // promise or microtask turn of run's own is added to the request.
    if (finished === RESOLVED) return RESOLVED
    return Promise.resolve(finished).then(undefined, (error: unknown) => this.#recover(error))
  }

  /** The rest of {@link run} for an app that returned a promise. */
  async #runLater(result: PromiseLike<ResponseBody>): Promise<void> {
    try {
      this.result = await result
      await this.finishResponse()
    } catch (error) {
      await this.#recover(error)
    }
  }

  /** What {@link run} does with an error of the app or of sending its response. */
  async #recover(error: unknown): Promise<void> {
    // A client that went away is not an application error: nothing to log or answer.
    if (this.isClientDisconnect(error)) return
    // Let writes the app fired without awaiting land before the error is handled, and do not
    // let their failure fail the error response too.
    await this.#writing?.catch(ignore)
    this.#writing = undefined
    try {
      await this.handleError(error)
    } catch (again) {
      await this.close()
      throw again
    }
  }

  /** Build `this.environ`: `osEnviron`, then the CGI variables, then the `wsgi.*` keys. */
  setupEnviron(): void {
    this.environ = { ...this.osEnviron } as WSGIEnvironment
    this.addCgiVars()
    this.addWSGIVars()
  }

  /**
   * The `wsgi.*` keys (and an origin server's `SERVER_SOFTWARE`): the last step of
   * {@link setupEnviron}, for subclasses that build the rest of the environ their own way.
   */
  protected addWSGIVars(): void {
    const env = this.environ as Record<string, unknown>
    env['wsgi.input'] = this.getStdin()
    env['wsgi.errors'] = this.getStderr()
    env['wsgi.version'] = this.wsgiVersion
    env['wsgi.run_once'] = this.wsgiRunOnce
    env['wsgi.url_scheme'] = this.getScheme()
    env['wsgi.multithread'] = this.wsgiMultithread
    env['wsgi.multiprocess'] = this.wsgiMultiprocess
    const wrapper = this.wsgiFileWrapper
    if (wrapper !== undefined) {
      env['wsgi.file_wrapper'] =
        wrapper === FileWrapper
          ? makeFileWrapper
          : (((f, b) => new wrapper(f, b)) satisfies FileWrapperFn)
    }
    if (this.originServer && this.serverSoftware !== undefined) {
      env['SERVER_SOFTWARE'] ??= this.serverSoftware
    }
  }

  /**
   * Send every chunk of `this.result`, then finish the response and `close()`.
   *
   * On error the body's `close()` still runs (once) before the error propagates.
   */
  async finishResponse(): Promise<void> {
    try {
      if (!this.resultIsFile() || !(await this.sendfile())) {
        await this.#writeBody()
        // Writes the app fired without awaiting must land (or fail) before the response ends.
        if (this.#writing !== undefined) await this.#writing
        this.#complete = true
        if (this.headersSent) this.#checkLength(true)
        await this.finishContent()
      }
    } catch (error) {
      await this.#closeResult()
      throw error
    }
    await this.close()
  }

  /** `'http'` or `'https'`, from the environ's `HTTPS` variable. */
  getScheme(): string {
    return guessScheme(this.#env())
  }

  /** Set `Content-Length` when the body is a one-item array (PEP 3333 allows it). */
  setContentLength(): void {
    const result = this.result
    if (Array.isArray(result) && result.length === 1) {
      this.#headers().set('Content-Length', String(this.bytesSent))
    }
  }

  /** Last changes to the headers before they are sent. Override to add or remove headers. */
  cleanupHeaders(): void {
    const code = this.#statusCode()
    // Divergence from wsgiref: no Content-Length for statuses that never have a body (RFC 9110
    // forbids it on 1xx/204, and on 304 it would have to describe the 200 the client cached).
    if (!isNullBodyStatus(code) && !this.#headers().has('Content-Length')) {
      this.setContentLength()
    }
  }

  /**
   * The `start_response()` callable given to the application. Bound: it can be passed around.
   *
   * @throws WSGIError `ERR_WSGI_HEADERS_ALREADY_SET` on a second call without `excInfo`;
   *   `ERR_WSGI_INVALID_STATUS`, `ERR_WSGI_INVALID_HEADER`, `ERR_WSGI_NOT_LATIN1`,
   *   `ERR_WSGI_HOP_BY_HOP_HEADER` for bad input (headers are checked here, at the call, as
   *   wsgiref's `start_response` does, on every host);
   *   rethrows `excInfo` when it is given after the headers were sent.
   */
  readonly startResponse: StartResponse = (status, headers, excInfo?): WriteCallable => {
    if (excInfo !== undefined && excInfo !== null && excInfo !== false) {
      // Divergence from wsgiref: JavaScript has no "exception being handled", so the error that
      // was passed in is thrown again (PEP 3333 asks for exactly that).
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrow what the app caught, as is
      if (this.headersSent) throw excInfo
    } else if (this.headers !== undefined) {
      throw new WSGIError('ERR_WSGI_HEADERS_ALREADY_SET', 'Headers already set!')
    }
    // Divergence from wsgiref: latin-1 is checked here, at the call, as the types are; wsgiref
    // fails later, when send_preamble() encodes the head.
    checkHeaderList(headers)
    this.status = status
    this.headers = new this.headersClass(headers)
    checkStatus(status)
    for (const [name, value] of headers) {
      if (isHopByHop(name)) {
        throw new WSGIError(
          'ERR_WSGI_HOP_BY_HOP_HEADER',
          `Hop-by-hop header, '${name}: ${value}', not allowed`,
        )
      }
    }
    return this.write
  }

  /**
   * Transmit the status line and headers. Origin servers write `HTTP/x.y status` plus `Date` and
   * `Server` when the app did not set them; CGI writes a `Status:` header.
   */
  async sendPreamble(): Promise<void> {
    const headers = this.#headers()
    let head: string
    if (this.originServer) {
      if (!this.clientIsModern()) return
      head = `HTTP/${this.httpVersion} ${this.status ?? ''}\r\n`
      if (!headers.has('Date')) head += `Date: ${formatDateTime()}\r\n`
      if (this.serverSoftware !== undefined && !headers.has('Server')) {
        head += `Server: ${this.serverSoftware}\r\n`
      }
    } else {
      head = `Status: ${this.status ?? ''}\r\n`
    }
    await this.#transport(latin1ToBytes(head), false)
  }

  /**
   * The `write()` callable returned by `startResponse`. Bound. The promise settles when the
   * transport accepted the bytes, so awaiting it honours backpressure.
   *
   * Writes go out in call order even when the app does not await them (wsgiref's `write()` is
   * synchronous, so ported apps often don't): a write made while another is in flight waits for
   * it, and fails if it failed. A failure the app never awaited still reaches `run()`.
   *
   * @throws WSGIError `ERR_WSGI_INVALID_BODY_CHUNK` for a non-bytes argument,
   *   `ERR_WSGI_WRITE_BEFORE_START_RESPONSE` before `startResponse`
   */
  readonly write = (data: Uint8Array): Promise<void> => {
    const previous = this.#writing
    const current =
      previous === undefined ? this.#write(data) : previous.then(() => this.#write(data))
    this.#writing = current
    // Also marks `current` as handled, so a write the app fired and forgot cannot crash the
    // process with an unhandled rejection; finishResponse() and the next write see the failure.
    current.then(() => {
      if (this.#writing === current) this.#writing = undefined
    }, ignore)
    return current
  }

  async #write(data: Uint8Array): Promise<void> {
    if (!(data instanceof Uint8Array)) {
      throw new WSGIError(
        'ERR_WSGI_INVALID_BODY_CHUNK',
        `A body chunk must be a Uint8Array, such as a Buffer (got ${describeJS(data)})`,
      )
    }
    if (this.status === undefined || this.status === '') {
      throw new WSGIError(
        'ERR_WSGI_WRITE_BEFORE_START_RESPONSE',
        'Body bytes were written before startResponse() was called',
      )
    }
    if (!this.headersSent) {
      // As in wsgiref, the first chunk (even an empty one) sends the headers; an empty chunk is
      // how a streaming app (server-sent events) gets its headers out before any data.
      this.bytesSent = data.length
      await this.sendHeaders()
    } else {
      this.bytesSent += data.length
      this.#checkLength(false)
    }
    if (this.#bodyAllowed && data.length > 0) {
      await this.#transport(data, true)
    }
  }

  /**
   * Override to send a `FileWrapper` result by a faster path; return true if it was sent (and
   * then call `sendHeaders()` yourself first).
   */
  sendfile(): boolean | Promise<boolean> {
    return false
  }

  /** After the last chunk: send the headers now if no chunk did (with `Content-Length: 0`). */
  async finishContent(): Promise<void> {
    if (this.headersSent) return
    if (this.headers === undefined) {
      throw new WSGIError(
        'ERR_WSGI_NO_START_RESPONSE',
        'The application returned without calling startResponse()',
      )
    }
    if (!isNullBodyStatus(this.#statusCode())) this.headers.setDefault('Content-Length', '0')
    await this.sendHeaders()
  }

  /**
   * Call the body's `close()` (once) and reset the per-request state. A `close()` that fails goes
   * to {@link closeFailed}.
   */
  close(): Promise<void> {
    const result = this.result
    if (result === undefined || result === this.#closedResult || !hasClose(result)) {
      // Nothing to call (a plain array, say): the common case needs no promise of its own.
      if (result !== undefined) this.#closedResult = result
      this.#reset()
      return RESOLVED
    }
    return this.#closeLater()
  }

  /**
   * Call the body's `close()` now if nobody has (the once-only guard of {@link close}), without
   * ending the request. For a transport whose consumer went away while the body may still be
   * waited on: some fetch runtimes cancel the response and never run that request's timers or
   * pulls again, so a body waiting on one would never reach `close()`. The `close()` call itself
   * is made synchronously; what of `run()` is still pending ends later as a client disconnect.
   */
  protected closeResultNow(): Promise<void> {
    return this.#closeResult()
  }

  async #closeLater(): Promise<void> {
    try {
      await this.#closeResult()
    } catch (error) {
      this.closeFailed(error)
    } finally {
      this.#reset()
    }
  }

  /** Forget the request: the per-request state goes back to its defaults. */
  #reset(): void {
    this.result = undefined
    this.headers = undefined
    this.status = undefined
    this.environ = undefined
    this.bytesSent = 0
    this.headersSent = false
    this.#writing = undefined
    this.#complete = false
    this.#declaredLength = undefined
  }

  /**
   * Called with the error of a body's `close()` that failed. The default logs it: the response is
   * complete by then (or already failing), so there is nothing left to answer.
   *
   * Divergence from wsgiref: there the error reaches `handle_error()` after `close()` has reset
   * `headers_sent`, so a second response (a 500) follows the complete first one on the same
   * connection; a bridge that hands the body on asynchronously would even lose the first. Override
   * to rethrow it.
   */
  protected closeFailed(error: unknown): void {
    this.logException(error)
  }

  /** Send the status and headers: `cleanupHeaders()`, then the preamble and the header block. */
  async sendHeaders(): Promise<void> {
    this.cleanupHeaders()
    // Before headersSent: a response refused here still gets the 500 of handleError().
    this.decideBody()
    this.headersSent = true
    if (!this.originServer || this.clientIsModern()) {
      await this.sendPreamble()
      await this.#transport(this.#headers().toBytes(), false)
    }
  }

  /**
   * Decide once the status is final whether body bytes may follow, and (with
   * {@link strictResponse}) check that HTTP can carry the response. Subclasses that override
   * `sendHeaders` call this too, before they count the headers as sent.
   *
   * Divergence from wsgiref: HEAD responses and 1xx/204/205/304 never carry a body; the app's body
   * is closed after the chunk that sent the headers instead of being sent.
   *
   * @throws WSGIError `ERR_WSGI_INVALID_STATUS` for a status outside {@link finalStatusRange}, and
   *   `ERR_WSGI_CONTENT_LENGTH_MISMATCH` for a malformed `Content-Length` or a body known to be
   *   longer or shorter than it (only with `strictResponse`).
   */
  protected decideBody(): void {
    const method = this.environ?.REQUEST_METHOD
    const code = this.#statusCode()
    this.#bodyAllowed = method !== 'HEAD' && !isNullBodyStatus(code)
    this.#declaredLength = undefined
    if (!this.strictResponse) return
    // RFC 9110 section 15: codes outside 100-599 are invalid, and 1xx are interim responses;
    // only a transport that says what it does with them (finalStatusRange) sends them. The
    // message names the range every transport can send.
    if (!this.canSendStatus(code)) {
      throw new WSGIError(
        'ERR_WSGI_INVALID_STATUS',
        `A final status must have a code from 200 to 599 (got ${describeJS(this.status)})`,
      )
    }
    this.#declaredLength = declaredLength(this.headers)
    // The chunk that sends the headers is counted already; it may be the whole body.
    this.#checkLength(this.#complete || wholeBodyKnown(this.result, this.bytesSent))
  }

  /**
   * The codes this handler's transport can send as the final status, checked with
   * {@link strictResponse}. Here 200 to 599: this handler writes the status line itself, and a
   * client reads a 1xx as an interim response (it would wait for another) and a code past 599 as
   * invalid (RFC 9110 section 15). A transport that sends any code PEP 3333 allows, and decides
   * itself what a final 1xx means (Node's `writeHead()` takes 100 to 999), widens it.
   */
  protected get finalStatusRange(): readonly [low: number, high: number] {
    return FINAL_STATUS_RANGE
  }

  /** True when `code` is in {@link finalStatusRange}. */
  protected canSendStatus(code: number): boolean {
    const [low, high] = this.finalStatusRange
    return code >= low && code <= high
  }

  /** True when body bytes may be sent (decided when the headers went out). */
  protected get bodyAllowed(): boolean {
    return this.#bodyAllowed
  }

  /** True when the result is this handler's `wsgiFileWrapper` (so `sendfile()` may take it). */
  resultIsFile(): boolean {
    const wrapper = this.wsgiFileWrapper
    return wrapper !== undefined && this.result instanceof wrapper
  }

  /** False for HTTP/0.9 clients, which get no status line or headers. */
  clientIsModern(): boolean {
    const protocol = this.environ?.SERVER_PROTOCOL ?? ''
    return protocol.toUpperCase() !== 'HTTP/0.9'
  }

  /** Write the error and its stack (and causes) to `wsgi.errors`. */
  logException(error: unknown): void {
    const stderr = this.getStderr()
    stderr.write(formatException(error, this.tracebackLimit))
    stderr.flush()
  }

  /** Log the error, then answer with `errorOutput` if nothing was sent, else cut the output. */
  async handleError(error: unknown): Promise<void> {
    this.logException(error)
    if (!this.headersSent) {
      this.#handling = error
      try {
        this.result = this.errorOutput(this.#env(), this.startResponse)
      } finally {
        this.#handling = undefined
      }
      await this.finishResponse()
    } else {
      this.abortOutput(error)
    }
  }

  /**
   * The error response: `errorStatus`, `errorHeaders`, `errorBody`. Override to customise.
   *
   * Divergence from wsgiref: a request body over the server's input limit that the application
   * let through (`ERR_WSGI_BODY_TOO_LARGE`) is the client's fault, answered `413 Content Too
   * Large` with a body saying so.
   */
  errorOutput(_environ: WSGIEnvironment, startResponse: StartResponse): ResponseBody {
    const handling = this.#handling
    if (isWSGIError(handling) && handling.code === 'ERR_WSGI_BODY_TOO_LARGE') {
      startResponse('413 Content Too Large', [...this.errorHeaders], handling)
      return [TOO_LARGE_BODY_BYTES]
    }
    startResponse(this.errorStatus, [...this.errorHeaders], handling ?? true)
    return [this.errorBody]
  }

  /**
   * Called when an error happens after the headers were sent: the response cannot be replaced,
   * so a transport should be cut rather than ended cleanly (the client must not take a truncated
   * body for a whole one). wsgiref has no such hook; the default does nothing.
   */
  protected abortOutput(_error: unknown): void {
    // Override in a subclass that owns a connection.
  }

  /**
   * True for errors that mean this request's client went away: a disconnect code (EPIPE,
   * ECONNRESET, a destroyed stream…) raised by the transport itself, or any such error once
   * {@link clientGone} says the client left. The same codes from elsewhere (an upstream call the
   * app made, a bridged app whose own side reset) are application errors: logged and answered.
   */
  protected isClientDisconnect(error: unknown): boolean {
    const code = (error as { code?: unknown } | null)?.code
    if (typeof code !== 'string' || !DISCONNECT_CODES.has(code)) return false
    return error === this.#transportError || this.clientGone()
  }

  /**
   * True when this request's client went away. The default reads the environ's
   * `wsgits.signal`, which every server and bridge of this project fires when (and only when) the
   * client left early; override in a subclass that knows better (a destroyed socket).
   * wsgiref has no such hook: there only socket errors arrive here.
   */
  protected clientGone(): boolean {
    const signal = this.environ?.['wsgits.signal'] as { readonly aborted?: unknown } | undefined
    return signal?.aborted === true
  }

  /** Override in a subclass to send bytes to the client. */
  protected abstract _write(data: Uint8Array): void | Promise<void>
  /** Override in a subclass to push buffered bytes to the client. */
  protected abstract _flush(): void | Promise<void>
  /** Override in a subclass to return the `wsgi.input` of the request. */
  abstract getStdin(): InputStream
  /** Override in a subclass to return the `wsgi.errors` stream. */
  abstract getStderr(): ErrorStream
  /** Override in a subclass to add the CGI variables of the request to `this.environ`. */
  abstract addCgiVars(): void

  /** With `strictResponse`, the bytes counted so far against the declared `Content-Length`. */
  #checkLength(complete: boolean): void {
    if (this.#bodyAllowed) checkLength(this.#declaredLength, this.bytesSent, complete)
  }

  async #writeBody(): Promise<void> {
    // Typed as ResponseBody, but a JavaScript app can return anything: check before iterating.
    const returned: unknown = this.result
    if (returned === null || typeof returned !== 'object') {
      throw invalidArgType(
        `The application must return an iterable of Uint8Array chunks (got ${describeJS(returned)})`,
      )
    }
    const result = returned as ResponseBody
    if (Symbol.asyncIterator in result) {
      for await (const chunk of result) {
        await this.write(chunk)
        if (this.headersSent && !this.#bodyAllowed) break
      }
    } else {
      for (const chunk of result) {
        await this.write(chunk)
        if (this.headersSent && !this.#bodyAllowed) break
      }
    }
  }

  /** `_write` (and `_flush`), remembering a failure as the transport's own. */
  async #transport(data: Uint8Array, flush: boolean): Promise<void> {
    try {
      await this._write(data)
      if (flush) await this._flush()
    } catch (error) {
      this.#transportError = error
      throw error
    }
  }

  async #closeResult(): Promise<void> {
    const result = this.result
    if (result === undefined || result === this.#closedResult) return
    this.#closedResult = result
    if (typeof result.close === 'function') await result.close()
  }

  #env(): WSGIEnvironment {
    if (this.environ === undefined) {
      throw new WSGIError('ERR_WSGI_NO_START_RESPONSE', 'No request is in progress')
    }
    return this.environ
  }

  #headers(): Headers {
    if (this.headers === undefined) {
      throw new WSGIError(
        'ERR_WSGI_NO_START_RESPONSE',
        'The application returned without calling startResponse()',
      )
    }
    return this.headers
  }

  #statusCode(): number {
    return statusCode(this.status)
  }
}
