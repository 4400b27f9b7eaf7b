/**
 * The application side of `BaseHandler`: wsgiref's attributes, the environ the application gets,
 * the `startResponse` it calls, and the error response it is answered with. `BaseHandler`
 * (base-handler.ts) adds the transport side: running the app, sending the head and the body,
 * `close()`. Split from it only to keep each file to one concern; subclass `BaseHandler`, not
 * this class.
 *
 * @see {@link https://docs.python.org/3/library/wsgiref.html#wsgiref.handlers.BaseHandler wsgiref.handlers.BaseHandler}
 * @module
 */
import { WSGIError, isWSGIError } from '../errors.ts'
import { Headers } from '../headers.ts'
import type {
  ErrorStream,
  FileWrapper as FileWrapperFn,
  HeaderList,
  InputStream,
  ResponseBody,
  StartResponse,
  Status,
  WSGIEnvironment,
  WriteCallable,
} from '../types.ts'
import { FileWrapper, guessScheme, isHopByHop } from '../util.ts'
import { markChecked } from '../_internal/checked-headers.ts'
import { latin1ToBytes } from '../_internal/latin1.ts'
import { checkHeaderList } from './check-headers.ts'
import { formatException } from './format.ts'
import { FINAL_STATUS_RANGE, checkStatus, isNullBodyStatus, statusCode } from './status.ts'

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

/** Error codes of Node and of the WHATWG streams that mean "the client is gone". */
const DISCONNECT_CODES = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNABORTED',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_WRITE_AFTER_END',
])

/** True when `error` has a code that means "the client is gone" (from wherever it came). */
export function hasDisconnectCode(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && DISCONNECT_CODES.has(code)
}

/** The environ of the request in flight, or a WSGIError when there is none. */
export function requireEnviron(environ: WSGIEnvironment | undefined): WSGIEnvironment {
  if (environ === undefined) {
    throw new WSGIError('ERR_WSGI_NO_START_RESPONSE', 'No request is in progress')
  }
  return environ
}

/** The response headers, or a WSGIError when the app never called `startResponse`. */
export function requireHeaders(headers: Headers | undefined): Headers {
  if (headers === undefined) {
    throw new WSGIError(
      'ERR_WSGI_NO_START_RESPONSE',
      'The application returned without calling startResponse()',
    )
  }
  return headers
}

/** The part of `BaseHandler` the application sees; see the module comment. */
export abstract class ApplicationSide {
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

  /** The error `errorOutput` answers, while `handleError` runs it. */
  #handling: unknown = undefined

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

  /** `'http'` or `'https'`, from the environ's `HTTPS` variable. */
  getScheme(): string {
    return guessScheme(requireEnviron(this.environ))
  }

  /** Set `Content-Length` when the body is a one-item array (PEP 3333 allows it). */
  setContentLength(): void {
    const result = this.result
    if (Array.isArray(result) && result.length === 1) {
      requireHeaders(this.headers).set('Content-Length', String(this.bytesSent))
    }
  }

  /** Last changes to the headers before they are sent. Override to add or remove headers. */
  cleanupHeaders(): void {
    const code = statusCode(this.status)
    // Divergence from wsgiref: no Content-Length for statuses that never have a body (RFC 9110
    // forbids it on 1xx/204, and on 304 it would have to describe the 200 the client cached).
    if (!isNullBodyStatus(code) && !requireHeaders(this.headers).has('Content-Length')) {
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
    const checked = checkHeaderList(headers)
    this.status = status
    if (checked) markChecked(headers)
    try {
      this.headers = new this.headersClass(headers)
    } finally {
      markChecked(undefined)
    }
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
        this.result = this.errorOutput(requireEnviron(this.environ), this.startResponse)
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
   * True when this request's client went away. The default reads the environ's
   * `wsgits.signal`, which every server and bridge of this project fires when (and only when) the
   * client left early; override in a subclass that knows better (a destroyed socket).
   * wsgiref has no such hook: there only socket errors arrive here.
   */
  protected clientGone(): boolean {
    const signal = this.environ?.['wsgits.signal'] as { readonly aborted?: unknown } | undefined
    return signal?.aborted === true
  }

  /** Override in a subclass to return the `wsgi.input` of the request. */
  abstract getStdin(): InputStream

  /** Override in a subclass to return the `wsgi.errors` stream. */
  abstract getStderr(): ErrorStream

  /** Override in a subclass to add the CGI variables of the request to `this.environ`. */
  abstract addCgiVars(): void

  /** The `write()` callable `startResponse` returns (`BaseHandler` defines it). */
  abstract readonly write: (data: Uint8Array) => Promise<void>
  /** Send the response of `this.result` (`BaseHandler` defines it). */
  abstract finishResponse(): Promise<void>
}
