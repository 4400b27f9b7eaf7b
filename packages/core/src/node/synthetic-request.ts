/**
 * A real `http.IncomingMessage` built from a gateway environ, for `fromNodeListener`.
 *
 * - `method`, `url` (PATH_INFO, or SCRIPT_NAME + PATH_INFO with `fullPath`, spelled as the client
 *   sent them where `REQUEST_URI` still agrees), `originalUrl`,
 *   `httpVersion` (from SERVER_PROTOCOL), `rawHeaders` and `headers` (from the `HTTP_*` keys,
 *   CONTENT_TYPE and CONTENT_LENGTH).
 * - The body is a real `Readable` that pulls from `wsgi.input` in blocks, only when the stream
 *   wants data: backpressure is the stream's own. At the end it sets `complete` and pushes EOF, so
 *   listeners attached late (after an `await`) still get every byte and `'end'`.
 * - A failed read of `wsgi.input` destroys the request with that error (`'aborted'`, `'error'` if
 *   anyone listens, `'close'`), and so does an input that ends before CONTENT_LENGTH bytes.
 *
 * @module
 */

import { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { isIP } from 'node:net'

import { describe, invalidArgType, toError } from '../errors.ts'
import { rawTarget } from '../_internal/raw-target.ts'
import { quoteLatin1 } from '../_internal/latin1.ts'
import { readChunk } from '../_internal/input.ts'
import { headerName } from '../util.ts'
import type { InputStream, WSGIEnvironment } from '../types.ts'
import type { SyntheticSocket } from './synthetic-socket.ts'
import { parseDecimal } from './synthetic-socket.ts'

/**
 * The parts of Node's `IncomingMessage` this module drives: Node internals, present in every Node
 * version this package supports.
 */
interface IncomingMessageInternals {
  _read(size: number): void
  _addHeaderLines(headers: string[], n: number): void
  _consuming: boolean
  _readableState: { readingMore: boolean }
  originalUrl: string
  upgrade: boolean
  [kBodySource]?: RequestBodySource
}

const kBodySource: unique symbol = Symbol('kBodySource')

/**
 * Node's error for a request whose connection went away (`connResetException('aborted')`).
 *
 * @param cause - what ended the connection, if known.
 */
export function abortedError(cause?: unknown): Error {
  const error = new Error('aborted', cause === undefined ? undefined : { cause })
  return Object.assign(error, { code: 'ECONNRESET' })
}

/**
 * Reads the request body from `wsgi.input` for one request, one block per `_read` call.
 *
 * Never more than one read is in flight, and a read happens only when the `Readable` asks for
 * data, so at most the stream's high-water mark plus one block is ever held.
 */
export class RequestBodySource {
  #input: InputStream
  #remaining: number
  #blockSize: number
  #reading = false
  #stopped = false

  constructor(input: InputStream, length: number, blockSize: number) {
    this.#input = input
    this.#remaining = length
    this.#blockSize = blockSize
  }

  /** The `wsgi.input` the body comes from (the environ's the request was made from). */
  get input(): InputStream {
    return this.#input
  }

  /** Stops reading: the next `_read` ends the stream without touching `wsgi.input` again. */
  stop(): void {
    this.#stopped = true
  }

  /** Starts one read unless one is in flight; the result is pushed into `req`. */
  pull(req: IncomingMessage): void {
    if (this.#reading) return
    if (this.#stopped) {
      endBody(req)
      return
    }
    this.#reading = true
    void this.#read(req)
  }

  async #read(req: IncomingMessage): Promise<void> {
    let chunk: Uint8Array
    try {
      chunk = await readChunk(this.#input, Math.min(this.#blockSize, this.#remaining))
    } catch (error) {
      req.destroy(toError(error))
      return
    } finally {
      this.#reading = false
    }
    if (req.destroyed) return
    if (chunk.length === 0) {
      // An input that ends before CONTENT_LENGTH bytes means the client went away mid-upload.
      if (this.#remaining !== Infinity) req.destroy(abortedError())
      else endBody(req)
      return
    }
    if (chunk.length > this.#remaining) chunk = chunk.subarray(0, this.#remaining)
    this.#remaining -= chunk.length
    req.push(chunk)
    if (this.#remaining === 0) endBody(req)
  }
}

function endBody(req: IncomingMessage): void {
  req.complete = true
  req.push(null)
}

/**
 * The `_read` of every synthetic request (an own property, because Express replaces the
 * prototype of `req`): pulls the next block from the request's {@link RequestBodySource}.
 */
function readRequestBody(this: IncomingMessage & IncomingMessageInternals): void {
  // As IncomingMessage#_read does: the first read marks the body as being consumed.
  if (!this._consuming) {
    this._readableState.readingMore = false
    this._consuming = true
  }
  this[kBodySource]?.pull(this)
}

/** The body source of a synthetic request, if it has a body still to read. */
export function bodySourceOf(req: IncomingMessage): RequestBodySource | undefined {
  return (req as IncomingMessage & IncomingMessageInternals)[kBodySource]
}

/** What `createRequest` needs besides the environ. */
export interface RequestConfig {
  readonly fullPath: boolean
  readonly readSize: number
}

// Python's request_uri quotes PATH_INFO with these safe characters (plus letters, digits, _.-~).
const PATH_SAFE = '/;=,'

/**
 * The request target for the listener: the client's own spelling where the environ's
 * `REQUEST_URI` still agrees with it (see `rawTarget`), else quoted the way
 * `wsgiref.util.request_uri` quotes it.
 *
 * `url` is PATH_INFO (`'/'` when empty) plus the query, as an Express sub-app mounted at
 * SCRIPT_NAME sees it; `originalUrl` puts SCRIPT_NAME in front. With `fullPath` both are the full
 * path. A raw PATH_INFO keeps `%2F`, `%2e%2e` and malformed escapes as the client sent them, so the
 * listener's router decides about them as on its own server; after a dispatcher moved segments
 * into SCRIPT_NAME, only SCRIPT_NAME is rebuilt.
 */
export function requestTarget(
  environ: WSGIEnvironment,
  fullPath: boolean,
): { url: string; originalUrl: string } {
  const scriptName = typeof environ.SCRIPT_NAME === 'string' ? environ.SCRIPT_NAME : ''
  const pathInfo = typeof environ.PATH_INFO === 'string' ? environ.PATH_INFO : ''
  // `OPTIONS *` keeps its asterisk-form target, as Node gives it.
  if (pathInfo === '*' && scriptName === '') return { url: '*', originalUrl: '*' }
  const raw = rawTarget(environ)
  const search = raw.search
  const path = rooted(raw.pathInfo ?? quoteLatin1(pathInfo, PATH_SAFE))
  // wsgiref's application_uri quotes SCRIPT_NAME with only '/' safe; request_uri then appends
  // the quoted PATH_INFO. Kept the same so `originalUrl` matches requestURI's path.
  const original = rooted(
    (raw.scriptName ?? quoteLatin1(scriptName, '/')) +
      (path === '/' && pathInfo === '' ? '' : path),
  )
  return { url: (fullPath ? original : path) + search, originalUrl: original + search }
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback
}

function rooted(path: string): string {
  if (path === '') return '/'
  return path.charCodeAt(0) === 0x2f ? path : '/' + path
}

function parseHTTPVersion(protocol: unknown): [major: number, minor: number] {
  // 'HTTP/1.1' -> [1, 1]; 'HTTP/2' -> [2, 0]. Anything else: HTTP/1.1, what a client most
  // likely spoke.
  if (typeof protocol === 'string' && protocol.startsWith('HTTP/')) {
    const dot = protocol.indexOf('.', 5)
    const major = parseDecimal(dot === -1 ? protocol.slice(5) : protocol.slice(5, dot))
    const minor = dot === -1 ? 0 : parseDecimal(protocol.slice(dot + 1))
    if (major >= 0 && minor >= 0) return [major, minor]
  }
  return [1, 1]
}

/** The Host a client would have sent, from SERVER_NAME/SERVER_PORT (as application_uri does). */
function hostFromServer(environ: WSGIEnvironment): string {
  const name = stringOr(environ.SERVER_NAME, '')
  const host = isIP(name) === 6 ? `[${name}]` : name
  const port = environ.SERVER_PORT
  const defaultPort = environ['wsgi.url_scheme'] === 'https' ? '443' : '80'
  return typeof port === 'string' && port !== '' && port !== defaultPort ? `${host}:${port}` : host
}

/**
 * Builds the raw header list (`[name, value, name, value, ...]`) from the environ.
 *
 * `HTTP_X_FOO` becomes `x-foo` (lower-case, as HTTP/2 gives names); CONTENT_TYPE and
 * CONTENT_LENGTH become `content-type`/`content-length`. Without a CONTENT_LENGTH but with
 * `HTTP_TRANSFER_ENCODING`, the list says `transfer-encoding: chunked` so body parsers know that a
 * body exists. Without `HTTP_HOST`, a `host` is rebuilt from SERVER_NAME and SERVER_PORT.
 */
export function rawHeadersOf(environ: WSGIEnvironment, hasLength: boolean): string[] {
  const raw: string[] = []
  if (typeof environ['HTTP_HOST'] !== 'string') raw.push('host', hostFromServer(environ))
  let chunked = false
  for (const key in environ) {
    if (!key.startsWith('HTTP_')) continue
    const value = environ[key]
    if (typeof value !== 'string') continue
    // CGI puts these two in CONTENT_TYPE/CONTENT_LENGTH; a stray HTTP_ copy must not double them.
    if (key === 'HTTP_CONTENT_TYPE' || key === 'HTTP_CONTENT_LENGTH') continue
    if (key === 'HTTP_TRANSFER_ENCODING') {
      chunked = true
      continue
    }
    const name = headerName(key)
    if (name !== undefined) raw.push(name, value)
  }
  const contentType = environ.CONTENT_TYPE
  if (typeof contentType === 'string' && contentType !== '') raw.push('content-type', contentType)
  const contentLength = environ.CONTENT_LENGTH
  if (typeof contentLength === 'string' && contentLength !== '') {
    raw.push('content-length', contentLength)
  }
  if (chunked && !hasLength) raw.push('transfer-encoding', 'chunked')
  return raw
}

/**
 * How many body bytes the request has, by HTTP/1.1's framing rules: CONTENT_LENGTH when it is a
 * valid number; otherwise unbounded (read to EOF) when the client sent `Transfer-Encoding`;
 * otherwise none. HTTP/2 and later frame bodies without either header, so there a body is read to
 * EOF when the input ends by itself (`wsgi.input_terminated`).
 */
export function bodyLengthOf(environ: WSGIEnvironment, httpMajor: number): number {
  const length = parseDecimal(environ.CONTENT_LENGTH)
  if (length >= 0) return length
  if (typeof environ['HTTP_TRANSFER_ENCODING'] === 'string') return Infinity
  return httpMajor >= 2 && environ['wsgi.input_terminated'] === true ? Infinity : 0
}

/**
 * Creates the `IncomingMessage` for one request on `socket`.
 *
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when the request has a body and
 *   `environ['wsgi.input']` has no `read()`.
 * @throws WSGIError `ERR_WSGI_NOT_LATIN1` when SCRIPT_NAME or PATH_INFO is not latin-1.
 */
export function createRequest(
  environ: WSGIEnvironment,
  socket: SyntheticSocket,
  config: RequestConfig,
): IncomingMessage {
  const target = requestTarget(environ, config.fullPath)
  // The types say `net.Socket`; IncomingMessage itself needs only a stream with the socket fields.
  const req = new IncomingMessage(socket as unknown as Socket)
  const internals = req as IncomingMessage & IncomingMessageInternals
  req.method = environ.REQUEST_METHOD
  req.url = target.url
  internals.originalUrl = target.originalUrl
  internals.upgrade = false
  const [major, minor] = parseHTTPVersion(environ.SERVER_PROTOCOL)
  req.httpVersionMajor = major
  req.httpVersionMinor = minor
  req.httpVersion = `${major}.${minor}`
  const length = bodyLengthOf(environ, major)
  const raw = rawHeadersOf(environ, parseDecimal(environ.CONTENT_LENGTH) >= 0)
  // Node's own way in: it keeps rawHeaders and builds `headers` from them lazily.
  internals._addHeaderLines(raw, raw.length)
  if (length === 0) {
    // No body: complete from the start, as Node's parser leaves a GET.
    endBody(req)
    return req
  }
  const input = environ['wsgi.input'] as unknown
  if (typeof (input as Partial<InputStream> | null)?.read !== 'function') {
    throw invalidArgType(`environ['wsgi.input'] must be an InputStream (got ${describe(input)})`)
  }
  internals[kBodySource] = new RequestBodySource(input as InputStream, length, config.readSize)
  internals._read = readRequestBody
  return req
}
