/**
 * The gateway interface itself: the types every server, application and adapter speaks.
 * Port of Python's `wsgiref.types` (PEP 3333), made asynchronous where Node needs it.
 *
 * @see {@link https://peps.python.org/pep-3333/ PEP 3333}
 * @see {@link https://docs.python.org/3/library/wsgiref.html#module-wsgiref.types wsgiref.types}
 * @module
 */

/**
 * A status line: a three-digit code, one space, a reason phrase (`'200 OK'`).
 *
 * Checked at compile time by this type, and at run time by `BaseHandler#startResponse` and
 * `validator()`.
 */
export type Status = `${number} ${string}`

/** A response or request header as PEP 3333 gives it: `[name, value]`, both latin-1 strings. */
export type HeaderTuple = [name: string, value: string]

/** The header list of `startResponse`: order kept, duplicates (several `Set-Cookie`) kept. */
export type HeaderList = HeaderTuple[]

/**
 * The `write(data)` callable that `startResponse` returns (legacy, as in PEP 3333).
 *
 * Divergence from wsgiref: it returns a promise that settles once the bytes were handed to the
 * transport, so an application that awaits it honours backpressure.
 */
export type WriteCallable = (data: Uint8Array) => void | Promise<void>

/**
 * `startResponse(status, headers, excInfo?)`.
 *
 * `excInfo` is the caught error (Python's `sys.exc_info()` triple collapses to the error value in
 * JavaScript). Given while the headers are not yet sent, it replaces the stored status and headers;
 * given after, the error is thrown again.
 */
export type StartResponse = (
  status: Status,
  headers: HeaderList,
  excInfo?: unknown,
) => WriteCallable

/**
 * What an application returns: bytes chunks, synchronously or asynchronously iterable, with an
 * optional `close()` that the server calls exactly once on every path.
 */
export type ResponseBody = (Iterable<Uint8Array> | AsyncIterable<Uint8Array>) & {
  close?(): void | Promise<void>
}

/** `wsgi.input`: the request body, read on demand, never buffered whole. */
export interface InputStream extends AsyncIterable<Uint8Array> {
  /** Read at most `size` bytes (all that is left when `size` is omitted or negative). */
  read(size?: number): Promise<Uint8Array>
  /** Read one line, up to and including `\n`, or at most `size` bytes. */
  readline(size?: number): Promise<Uint8Array>
  /** Read lines until EOF, or until about `hint` bytes were read. */
  readlines(hint?: number): Promise<Uint8Array[]>
}

/** `wsgi.errors`: a text stream for the server's error log. */
export interface ErrorStream {
  write(s: string): void
  writelines(seq: Iterable<string>): void
  flush(): void
}

/** What `wsgi.file_wrapper` wraps: anything with `read(size)`, and maybe `close()`. */
export interface FileLike {
  read(size: number): Uint8Array | Promise<Uint8Array>
  close?(): void | Promise<void>
}

/** The `wsgi.file_wrapper` callable: `(filelike, blockSize?) => iterable`. */
export type FileWrapper = (filelike: FileLike, blockSize?: number) => ResponseBody

/**
 * The per-request environment: the CGI variables and the `wsgi.*` keys of PEP 3333.
 *
 * String values are "bytes as latin-1": each byte maps to the code point of the same value, so
 * `PATH_INFO` for `/%E2%82%AC` is `'/\xe2\x82\xac'` and nothing is lost. Extensions of this project
 * use the `wsgits.` prefix (see {@link EXTENSION_PREFIX}).
 */
export interface WSGIEnvironment {
  REQUEST_METHOD: string
  SCRIPT_NAME?: string
  PATH_INFO?: string
  QUERY_STRING?: string
  CONTENT_TYPE?: string
  CONTENT_LENGTH?: string
  SERVER_NAME: string
  SERVER_PORT: string
  SERVER_PROTOCOL?: string
  SERVER_SOFTWARE?: string
  GATEWAY_INTERFACE?: string
  REMOTE_ADDR?: string
  REMOTE_PORT?: string
  REMOTE_HOST?: string
  HTTPS?: string
  'wsgi.version': readonly [1, 0]
  'wsgi.url_scheme': string
  'wsgi.input': InputStream
  'wsgi.errors': ErrorStream
  'wsgi.multithread': boolean
  'wsgi.multiprocess': boolean
  'wsgi.run_once': boolean
  'wsgi.file_wrapper'?: FileWrapper
  'wsgi.input_terminated'?: boolean
  /** Fires when the client went away before the response ended, and only then. */
  'wsgits.signal'?: AbortSignal
  /** Request headers, one key per header name, repeated headers joined with `,`. */
  [key: `HTTP_${string}`]: string | undefined
  [key: string]: unknown
}

/** An application: `(environ, startResponse) => body`, the body possibly behind a promise. */
export type WSGIApplication = (
  environ: WSGIEnvironment,
  startResponse: StartResponse,
) => ResponseBody | Promise<ResponseBody>

/** Gateway middleware: takes an application, returns an application. */
export type Middleware = (app: WSGIApplication) => WSGIApplication

/**
 * The prefix of every environ key this project adds beyond PEP 3333 (PEP 3333 asks extensions to
 * use a server-unique prefix of lower-case letters, digits, dots and underscores).
 */
export const EXTENSION_PREFIX = 'wsgits.'
