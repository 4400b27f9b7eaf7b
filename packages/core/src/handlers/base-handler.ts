/**
 * `BaseHandler`: the server side of PEP 3333 as a Template Method. Port of the `BaseHandler` class
 * of Python's `wsgiref.handlers`, asynchronous all the way.
 *
 * `run(app)` drives the protocol (environ, `startResponse`, body iteration, `close()`, errors);
 * subclasses supply the I/O hooks (`_write`, `_flush`, `getStdin`, `getStderr`, `addCgiVars`).
 * If you are writing a new server or bridge, subclass this; when the transport takes a status and
 * a header list rather than raw bytes (as `node:http` does), subclass `HostHandler`
 * (`./host-handler.ts`) instead. Node-free: the fetch adapter builds on it too.
 *
 * @see {@link https://docs.python.org/3/library/wsgiref.html#wsgiref.handlers.BaseHandler wsgiref.handlers.BaseHandler}
 * @module
 */
import { WSGIError, describeJS, invalidArgType } from '../errors.ts'
import type { ResponseBody, WSGIApplication } from '../types.ts'
import { latin1ToBytes } from '../_internal/latin1.ts'
import {
  ApplicationSide,
  hasDisconnectCode,
  requireEnviron,
  requireHeaders,
} from './application-side.ts'
import { RESOLVED, hasClose, ignore, isThenable } from './async.ts'
import { formatDateTime } from './format.ts'
import { checkLength, declaredLength, wholeBodyKnown } from './response-length.ts'
import { isNullBodyStatus, statusCode } from './status.ts'

// What other modules (and older import paths) take from here.
export { RESOLVED } from './async.ts'
export { formatDateTime, formatException } from './format.ts'
export { checkStatus } from './status.ts'

/**
 * Manages the invocation of a gateway application: the server half of PEP 3333.
 *
 * Attributes are instance fields with wsgiref's defaults; override them in a subclass (or on an
 * instance) exactly as with wsgiref's class attributes (they are declared in application-side.ts).
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
export abstract class BaseHandler extends ApplicationSide {
  #closedResult: ResponseBody | undefined = undefined
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
      const result = application(requireEnviron(this.environ), this.startResponse)
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

  /**
   * Transmit the status line and headers. Origin servers write `HTTP/x.y status` plus `Date` and
   * `Server` when the app did not set them; CGI writes a `Status:` header.
   */
  async sendPreamble(): Promise<void> {
    const headers = requireHeaders(this.headers)
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
    if (!isNullBodyStatus(statusCode(this.status))) this.headers.setDefault('Content-Length', '0')
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
      await this.#transport(requireHeaders(this.headers).toBytes(), false)
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
    const code = statusCode(this.status)
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

  /** True when body bytes may be sent (decided when the headers went out). */
  protected get bodyAllowed(): boolean {
    return this.#bodyAllowed
  }

  /**
   * True for errors that mean this request's client went away: a disconnect code (EPIPE,
   * ECONNRESET, a destroyed stream…) raised by the transport itself, or any such error once
   * {@link clientGone} says the client left. The same codes from elsewhere (an upstream call the
   * app made, a bridged app whose own side reset) are application errors: logged and answered.
   */
  protected isClientDisconnect(error: unknown): boolean {
    if (!hasDisconnectCode(error)) return false
    return error === this.#transportError || this.clientGone()
  }

  /** Override in a subclass to send bytes to the client. */
  protected abstract _write(data: Uint8Array): void | Promise<void>
  /** Override in a subclass to push buffered bytes to the client. */
  protected abstract _flush(): void | Promise<void>

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
}
