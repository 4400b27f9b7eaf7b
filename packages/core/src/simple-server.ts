/**
 * A simple HTTP server for gateway applications. Port of Python's `wsgiref.simple_server`, on
 * `node:http`.
 *
 * `makeServer(host, port, app)` gives a listening {@link WSGIServer}; each request is handled by
 * a {@link WSGIRequestHandler}, which builds the environ (`getEnviron()`), runs the app through a
 * {@link ServerHandler} and writes one access-log line to stderr, in wsgiref's format.
 *
 * Differences from wsgiref, all Node's gifts: HTTP/1.1 with keep-alive, chunked request bodies,
 * `Expect: 100-continue` answered when the app reads its input, concurrent requests, and a
 * stricter request parser (llhttp: no bare LF line ends, no raw non-ASCII bytes in the target).
 *
 * @see {@link https://docs.python.org/3/library/wsgiref.html#module-wsgiref.simple_server wsgiref.simple_server}
 * @module
 */
import { createServer, maxHeaderSize } from 'node:http'
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { SecureContextOptions } from 'node:tls'
import { hostname } from 'node:os'
import type { Duplex } from 'node:stream'

import type { ErrorStream, StartResponse, WSGIApplication, WSGIEnvironment } from './types.ts'
import { RESOLVED, formatDateTime } from './handlers/base-handler.ts'
import { repr } from './_internal/python.ts'
import { fillRequestEnviron, isCGIKey } from './node/environ.ts'
import { NodeHandler, attachListener, serve } from './node/to-node-listener.ts'
import type { NodeHandlerOptions } from './node/to-node-listener.ts'

/** `WSGIServer/0.2`, the server's own version (wsgiref's `server_version`). */
export const serverVersion = 'WSGIServer/0.2'
/** `Node.js/<version>`, the counterpart of wsgiref's `sys_version` (`CPython/3.13.0`). */
export const sysVersion: string = `Node.js/${process.versions.node}`
/** The `Server` header of every response: `WSGIServer/0.2 Node.js/<version>`. */
export const softwareVersion: string = `${serverVersion} ${sysVersion}`

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

// The access log writes one date per request; it only changes once a second.
let logSecond = -1
let logDate = ''

/** `23/Nov/2026 18:33:54` in local time, as Python's `log_date_time_string()`. */
function logDateTimeString(): string {
  const now = Date.now()
  const second = Math.floor(now / 1000)
  if (second !== logSecond) {
    const d = new Date(now)
    const two = (n: number): string => String(n).padStart(2, '0')
    logDate =
      `${two(d.getDate())}/${MONTHS[d.getMonth()] ?? ''}/${String(d.getFullYear()).padStart(4, '0')} ` +
      `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
    logSecond = second
  }
  return logDate
}

// eslint-disable-next-line no-control-regex -- control characters are what gets escaped
const CONTROL_CHARS = /[\x00-\x1f\x7f-\x9f]/g
// eslint-disable-next-line no-control-regex -- the same set, to test without replacing
const HAS_CONTROL_CHARS = /[\x00-\x1f\x7f-\x9f]/

/** Python's `log_message` escaping (3.12+): control characters become `\xHH`. */
function escapeControl(message: string): string {
  // Nearly every line is clean: a test is much cheaper than a replace with a callback.
  if (!HAS_CONTROL_CHARS.test(message)) return message
  return message.replace(
    CONTROL_CHARS,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  )
}

// Not `{ ...source }`: V8 gives a spread copy a map that every later added key (all the HTTP_*
// ones) turns into a slow, uncached transition — tens of microseconds per request.
function copyInto(
  target: Record<string, unknown>,
  source: Readonly<Record<string, unknown>>,
): void {
  for (const key in source) target[key] = source[key]
}

/** What `WSGIRequestHandler#getEnviron()` returns, written into `env`. */
function fillEnviron(handler: WSGIRequestHandler, env: Record<string, unknown>): void {
  const base = handler.server.baseEnviron
  // Copied and checked for keys other than CGI variables (see fillRequestEnviron) in one pass.
  let custom = false
  for (const key in base) {
    env[key] = base[key]
    if (!custom && !isCGIKey(key)) custom = true
  }
  env['SERVER_SOFTWARE'] = handler.serverVersion
  fillRequestEnviron(env, handler.request, undefined, custom)
}

const LOG_DELAY_MS = 50

// Streams with lines still held back, written out when the process exits.
const heldStreams = new Set<LogStream>()
let exitHookInstalled = false

/**
 * The server's default `stderr`: text is held for up to 50 ms (or 64 KiB) and written to
 * `process.stderr` in one go, so that the access log costs one write for many requests rather
 * than one synchronous write each (which on a busy server costs a quarter of its throughput).
 *
 * Divergence from wsgiref: access-log lines appear up to 50 ms after the request; error
 * tracebacks call `flush()` and go out at once, and nothing is lost at exit.
 */
export class LogStream implements ErrorStream {
  readonly #sink: { write(s: string): unknown }
  #held = ''
  #scheduled = false

  constructor(sink: { write(s: string): unknown } = process.stderr) {
    this.#sink = sink
  }

  write(s: string): void {
    this.#held += s
    if (this.#held.length > 65536) {
      this.flush()
    } else if (!this.#scheduled) {
      this.#scheduled = true
      heldStreams.add(this)
      if (!exitHookInstalled) {
        exitHookInstalled = true
        process.once('exit', flushHeldStreams)
      }
      setTimeout(this.#flushLater, LOG_DELAY_MS).unref()
    }
  }

  writelines(seq: Iterable<string>): void {
    for (const s of seq) this.write(s)
  }

  flush(): void {
    const text = this.#held
    if (text === '') return
    this.#held = ''
    this.#sink.write(text)
  }

  readonly #flushLater = (): void => {
    this.#scheduled = false
    heldStreams.delete(this)
    this.flush()
  }
}

function flushHeldStreams(): void {
  for (const stream of heldStreams) stream.flush()
  heldStreams.clear()
}

// The options of every ServerHandler with the same stderr and input limit are the same: one
// (frozen) object, not one per request.
let lastOptions: NodeHandlerOptions = Object.freeze({ serverSoftware: softwareVersion })

function handlerOptions(requestHandler: WSGIRequestHandler): NodeHandlerOptions {
  const errors = requestHandler.getStderr()
  const { inputLimit } = requestHandler.server
  if (lastOptions.errors !== errors || lastOptions.inputLimit !== inputLimit) {
    lastOptions = Object.freeze({ serverSoftware: softwareVersion, errors, inputLimit })
  }
  return lastOptions
}

/**
 * The handler that runs the app for {@link WSGIRequestHandler}: a {@link NodeHandler} with
 * `Server: WSGIServer/0.2 Node.js/<version>` whose `close()` writes the access-log line
 * (wsgiref's `ServerHandler`).
 */
export class ServerHandler extends NodeHandler {
  /** The request handler this one reports to. */
  readonly requestHandler: WSGIRequestHandler
  /**
   * The CGI variables of the request (`WSGIRequestHandler#getEnviron()`); undefined when that
   * method is not overridden, and the environ is filled in place instead (the same keys, without
   * a second object).
   */
  readonly baseEnv: Readonly<Record<string, unknown>> | undefined

  constructor(
    requestHandler: WSGIRequestHandler,
    baseEnv: Readonly<Record<string, unknown>> | undefined,
  ) {
    super(requestHandler.request, requestHandler.response, handlerOptions(requestHandler))
    this.requestHandler = requestHandler
    this.baseEnv = baseEnv
  }

  /** Copy `baseEnv` into the environ (Python's `SimpleHandler.add_cgi_vars`), then `wsgits.*`. */
  override addCgiVars(): void {
    const env = this.environ as Record<string, unknown>
    if (this.baseEnv === undefined) fillEnviron(this.requestHandler, env)
    else copyInto(env, this.baseEnv)
    this.addExtensionVars()
  }

  /** During a shutdown, the response closes its connection. */
  override sendHeaders(): Promise<void> {
    if (this.requestHandler.server.shuttingDown) this.response.shouldKeepAlive = false
    return super.sendHeaders()
  }

  /** Log the request (status code and body bytes), then reset as `BaseHandler` does. */
  override close(): Promise<void> {
    const status = this.status
    try {
      if (status !== undefined && this.requestHandler.server.accessLog) {
        const space = status.indexOf(' ')
        logResponse(
          this.requestHandler,
          space < 0 ? status : status.slice(0, space),
          this.bytesSent,
        )
      }
    } catch (error) {
      return super.close().then(() => Promise.reject(error as Error))
    }
    return super.close()
  }
}

/**
 * Handles one HTTP request: builds the environ and runs the server's app. Port of wsgiref's
 * `WSGIRequestHandler`; one instance per request (Node has parsed the request already).
 */
export class WSGIRequestHandler {
  /** `SERVER_SOFTWARE` of the environ (without the runtime, as in wsgiref). */
  serverVersion: string = serverVersion
  /** The request. */
  readonly request: IncomingMessage
  /** The response. */
  readonly response: ServerResponse
  /** The server this request came to. */
  readonly server: WSGIServer

  constructor(request: IncomingMessage, response: ServerResponse, server: WSGIServer) {
    this.request = request
    this.response = response
    this.server = server
  }

  /** The request line as received: `GET /path?query HTTP/1.1`. */
  get requestline(): string {
    const req = this.request
    return `${req.method ?? ''} ${req.url ?? ''} HTTP/${req.httpVersion}`
  }

  /**
   * The CGI environ of the request: the server's `baseEnviron`, then `SERVER_PROTOCOL`,
   * `SERVER_SOFTWARE`, `REQUEST_METHOD`, `PATH_INFO`, `QUERY_STRING`, `REMOTE_ADDR`,
   * `REMOTE_PORT`, `CONTENT_TYPE`, `CONTENT_LENGTH` and the `HTTP_*` keys.
   */
  getEnviron(): Record<string, unknown> {
    const env: Record<string, unknown> = {}
    fillEnviron(this, env)
    return env
  }

  /** `wsgi.errors` and the log: the server's `stderr`. */
  getStderr(): ErrorStream {
    return this.server.stderr
  }

  /** Run the server's application for this request. Never rejects. */
  handle(): Promise<void> {
    // Unless a subclass changed getEnviron(), its keys go straight into the handler's environ.
    const own = this.getEnviron === WSGIRequestHandler.prototype.getEnviron
    const handler = new ServerHandler(this, own ? undefined : this.getEnviron())
    return serve(handler, this.server.getApp() ?? noApplication)
  }

  /** The client's address, as logged (no reverse DNS, as wsgiref since 3.3). */
  addressString(): string {
    const address = this.request.socket.remoteAddress ?? '-'
    return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
  }

  /** One access-log line: `127.0.0.1 - - [date] "GET / HTTP/1.1" 200 4`. */
  logRequest(code: number | string = '-', size: number | string = '-'): void {
    this.logMessage(`"${this.requestline}" ${code} ${size}`)
  }

  /** Log an error message (wsgiref's `log_error`). */
  logError(message: string): void {
    this.logMessage(message)
  }

  /** Write `address - - [date] message` to stderr, control characters escaped. */
  logMessage(message: string): void {
    this.getStderr().write(
      `${this.addressString()} - - [${logDateTimeString()}] ${escapeControl(message)}\n`,
    )
  }
}

/**
 * The access-log line of a response: `logRequest(code, size)`, which calls `logMessage()`. For a
 * plain {@link WSGIRequestHandler} (no hook overridden) the same line is written directly, with
 * the request line's pieces checked for control characters one by one: scanning the joined
 * message would first copy it into one flat string, which costs more than the rest of the line.
 * (`code` is three digits, checked by `startResponse`, and `size` a count.)
 */
function logResponse(handler: WSGIRequestHandler, code: string, size: number): void {
  if (Object.getPrototypeOf(handler) !== WSGIRequestHandler.prototype) {
    handler.logRequest(code, size)
    return
  }
  const req = handler.request
  const method = escapeControl(req.method ?? '')
  const url = escapeControl(req.url ?? '')
  const version = escapeControl(req.httpVersion)
  handler
    .getStderr()
    .write(
      `${handler.addressString()} - - [${logDateTimeString()}] "${method} ${url} HTTP/${version}" ${code} ${size}\n`,
    )
}

// What runs when no application was set: a TypeError, which the handler answers with a 500.
const noApplication: WSGIApplication = () => {
  throw new TypeError('No application is set on this WSGIServer (call setApp(app))')
}

/** A {@link WSGIRequestHandler} class (or a subclass): what `makeServer` takes as `handlerClass`. */
export type RequestHandlerClass = new (
  request: IncomingMessage,
  response: ServerResponse,
  server: WSGIServer,
) => WSGIRequestHandler

/** Reason phrases of the errors the parser may report, by status code. */
const CLIENT_ERRORS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
}

interface ParserError extends Error {
  code?: string
  reason?: string
  rawPacket?: Buffer
}

/** The first line of what the client sent, if it fits (for the log), else `''`. */
function requestLineOf(packet: Buffer | undefined): string {
  if (packet === undefined) return ''
  const end = packet.indexOf(0x0a)
  const line = packet.subarray(0, end < 0 ? Math.min(packet.length, 1025) : end)
  if (line.length > 1024) return ''
  return line.toString('latin1').replace(/\r$/, '')
}

/**
 * An HTTP server for one gateway application. Port of wsgiref's `WSGIServer`, on `node:http`.
 *
 * Requests are served concurrently as soon as the server listens; `serveForever()` resolves once
 * `shutdown()` completed. `stderr` receives the access log and the apps' error logs.
 *
 * @example
 * ```ts
 * const server = new WSGIServer(['127.0.0.1', 8000])
 * server.setApp(demoApp)
 * await server.serverBind()
 * await server.serveForever() // until server.shutdown()
 * ```
 */
export class WSGIServer {
  /** The application (wsgiref's `application`). */
  application: WSGIApplication | undefined = undefined
  /** The CGI variables every request starts from (set by {@link WSGIServer.setupEnviron}). */
  baseEnviron: Record<string, string> = {}
  /** The host name (`SERVER_NAME`), known once bound. */
  serverName = ''
  /** The port (`SERVER_PORT`), known once bound; the real one when 0 was asked for. */
  serverPort = 0
  /** `[host, port]` as given. */
  readonly serverAddress: readonly [host: string, port: number]
  /** The class of the per-request handler. */
  readonly RequestHandlerClass: RequestHandlerClass
  /** The `node:http` server underneath. */
  readonly httpServer: Server
  /**
   * Where the access log and application errors go. Default: a {@link LogStream} over
   * `process.stderr` (one write per turn of the event loop).
   */
  stderr: ErrorStream = new LogStream(process.stderr)
  /**
   * Write one access-log line per request (`WSGIRequestHandler#logRequest`), as wsgiref does.
   * Default `true`; `false` (the `accessLog` option of {@link makeServer}) leaves only the error
   * log. The wsgiref way, a handler subclass whose `logMessage()` does nothing, silences both.
   */
  accessLog = true
  /**
   * Most request body bytes `wsgi.input` delivers; a body over it makes reads fail with
   * `ERR_WSGI_BODY_TOO_LARGE`, answered 413 when the app lets the error through. Default
   * `undefined`: no limit (the app reads what it wants). The `inputLimit` option of
   * {@link makeServer} sets it. (Header size: `serverOptions.maxHeaderSize`, answered 431.)
   */
  inputLimit: number | undefined = undefined

  #maxHeaderSize: number
  #closing = false
  #closed: Promise<void> | undefined = undefined
  #active = 0
  #idle: (() => void) | undefined = undefined
  #stopped: Promise<void> | undefined = undefined
  #stop: (() => void) | undefined = undefined

  constructor(
    serverAddress: readonly [host: string, port: number],
    RequestHandlerClass: RequestHandlerClass = WSGIRequestHandler,
    options: ServerOptions = {},
  ) {
    this.serverAddress = serverAddress
    this.RequestHandlerClass = RequestHandlerClass
    // `tls` (from makeServer) makes it an https server: SERVER_PORT's socket is then encrypted,
    // so the environ gets HTTPS 'on' and wsgi.url_scheme 'https'.
    const { tls, ...httpOptions } = options as ServerOptions & { readonly tls?: TLSOptions }
    this.httpServer =
      tls === undefined ? createServer(httpOptions) : createHttpsServer({ ...httpOptions, ...tls })
    this.#maxHeaderSize = options.maxHeaderSize ?? maxHeaderSize
    attachListener(this.httpServer, this.#onRequest)
    this.httpServer.on('clientError', this.#onClientError)
  }

  /** Listen on `serverAddress` (`''` = every interface), then {@link WSGIServer.setupEnviron}. */
  async serverBind(): Promise<void> {
    const [host, port] = this.serverAddress
    const server = this.httpServer
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(error)
      }
      server.once('error', onError)
      const done = (): void => {
        server.off('error', onError)
        resolve()
      }
      if (host === '') server.listen(port, done)
      else server.listen(port, host, done)
    })
    const address = server.address()
    this.serverPort = typeof address === 'object' && address !== null ? address.port : port
    // Divergence from wsgiref: no socket.getfqdn() (a DNS lookup); the bound host as given, or
    // the machine's name for every interface.
    this.serverName = host === '' || host === '0.0.0.0' || host === '::' ? hostname() : host
    this.setupEnviron()
  }

  /** Fill `baseEnviron`, as wsgiref does after binding. */
  setupEnviron(): void {
    this.baseEnviron = {
      SERVER_NAME: this.serverName,
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PORT: String(this.serverPort),
      REMOTE_HOST: '',
      CONTENT_LENGTH: '',
      SCRIPT_NAME: '',
    }
  }

  /** True once `shutdown()` was called. */
  get shuttingDown(): boolean {
    return this.#closing
  }

  /** The application. */
  getApp(): WSGIApplication | undefined {
    return this.application
  }

  /** Set the application. */
  setApp(application: WSGIApplication): void {
    this.application = application
  }

  /**
   * Serve until {@link WSGIServer.shutdown}: resolves once it completed. Listens first if
   * {@link WSGIServer.serverBind} was not called.
   */
  async serveForever(): Promise<void> {
    this.#stopped ??= new Promise<void>((resolve) => {
      this.#stop = resolve
    })
    if (!this.httpServer.listening && !this.#closing) await this.serverBind()
    await this.#stopped
  }

  /**
   * Stop accepting connections, let the requests in flight finish (their responses say
   * `Connection: close`), close idle keep-alive connections, and resolve when all is done.
   */
  async shutdown(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true
      const server = this.httpServer
      this.#closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve()
        })
      })
      // A connection whose response ends during the shutdown goes idle; close it then.
      const sweep = setInterval(() => {
        server.closeIdleConnections()
      }, 25)
      server.closeIdleConnections()
      void this.#closed.then(() => {
        clearInterval(sweep)
      })
    }
    await this.#closed
    if (this.#active > 0) {
      await new Promise<void>((resolve) => {
        this.#idle = resolve
      })
    }
    this.#stop?.()
  }

  /** `await using server = await makeServer(…)` shuts it down at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown()
  }

  /**
   * Answer a request Node's parser rejected: a short `HTTP/1.1 4xx` with `Connection: close`
   * (414 for a request line over `maxHeaderSize`, 431 for headers over it, 400 otherwise), and
   * log it as wsgiref's `send_error` does. Override to change the answer.
   */
  handleClientError(error: Error, socket: Duplex): void {
    // Divergence from wsgiref: Node's parser (llhttp) finds these errors; the answer is a short
    // text/plain one (http.server sends an HTML page), and bare-LF line ends, raw non-ASCII bytes
    // in the target and a missing blank line are refused where http.server accepts them.
    const err = error as ParserError
    const remote = (socket as Duplex & { remoteAddress?: string }).remoteAddress
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })
      ._httpMessage
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
      socket.destroy()
      return
    }
    let code = 400
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      code = this.#requestLineTooLong(err.rawPacket) ? 414 : 431
    } else if (err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') {
      code = 413
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      code = 408
    }
    const reason = CLIENT_ERRORS[code] ?? 'Bad Request'
    const body = `${code} ${reason}\n`
    socket.end(
      `HTTP/1.1 ${code} ${reason}\r\nDate: ${formatDateTime()}\r\nServer: ${softwareVersion}\r\n` +
        `Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
    )
    // Whatever the client still sends is read and dropped, so that closing does not reset the
    // connection before it read the answer; a client that never stops is cut after a while.
    socket.resume()
    setTimeout(() => socket.destroy(), 2000).unref()
    const address = remote?.startsWith('::ffff:') === true ? remote.slice(7) : (remote ?? '-')
    const line = code === 414 ? '' : requestLineOf(err.rawPacket)
    const detail = err.reason !== undefined ? ` (${err.reason})` : ''
    const prefix = `${address} - - [${logDateTimeString()}] `
    this.stderr.write(`${prefix}${escapeControl(`code ${code}, message ${reason}${detail}`)}\n`)
    if (this.accessLog) this.stderr.write(`${prefix}${escapeControl(`"${line}" ${code} -`)}\n`)
  }

  // Node counts the request line into maxHeaderSize. When the packet that overflowed starts
  // with a request line (`METHOD SP`) whose end lies beyond the limit, the target was too long:
  // 414, as wsgiref answers a request line over 65536 bytes.
  #requestLineTooLong(packet: Buffer | undefined): boolean {
    if (packet === undefined) return false
    let i = 0
    while (i < packet.length && i < 32 && (packet[i] ?? 0) >= 0x41 && (packet[i] ?? 0) <= 0x5a) i++
    if (i === 0 || packet[i] !== 0x20) return false
    const limit = this.#maxHeaderSize
    const lineEnd = packet.indexOf(0x0a)
    return lineEnd < 0 || lineEnd >= limit
  }

  // Divergence from wsgiref: requests are served concurrently, over keep-alive connections
  // (wsgiref serves one HTTP/1.0 request per connection, one at a time).
  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.#active++
    const handler = new this.RequestHandlerClass(req, res, this)
    const handled = handler.handle()
    // A response sent synchronously needs no turn of the event loop to be counted as done.
    if (handled === RESOLVED) this.#finished()
    else handled.then(this.#finished, this.#finished)
  }

  readonly #finished = (): void => {
    this.#active--
    if (this.#active === 0 && this.#idle !== undefined) {
      this.#idle()
      this.#idle = undefined
    }
  }

  readonly #onClientError = (error: Error, socket: Duplex): void => {
    this.handleClientError(error, socket)
  }
}

/** A {@link WSGIServer} class (or a subclass): what `makeServer` takes as `serverClass`. */
export type WSGIServerClass = new (
  serverAddress: readonly [host: string, port: number],
  RequestHandlerClass?: RequestHandlerClass,
  options?: ServerOptions,
) => WSGIServer

/** The certificate and key of an HTTPS server (`node:tls` secure context options). */
export type TLSOptions = SecureContextOptions

/** Options of {@link makeServer}. */
export interface MakeServerOptions {
  /** The server class. Default {@link WSGIServer}. */
  readonly serverClass?: WSGIServerClass | undefined
  /** The per-request handler class. Default {@link WSGIRequestHandler}. */
  readonly handlerClass?: RequestHandlerClass | undefined
  /** Options for `http.createServer()` (`maxHeaderSize`, `keepAliveTimeout`, …). */
  readonly serverOptions?: ServerOptions | undefined
  /**
   * Write an access-log line per request to `stderr`, as wsgiref does. Default `true`; `false`
   * saves that work on a busy server (errors are still logged). Sets `WSGIServer#accessLog`.
   */
  readonly accessLog?: boolean | undefined
  /** Most request body bytes an app may read; more is answered 413. Sets `WSGIServer#inputLimit`. */
  readonly inputLimit?: number | undefined
  /**
   * Serve HTTPS with this certificate and key (`{ key, cert }`, PEM, as `https.createServer`
   * takes them): `wsgi.url_scheme` is `'https'` and `HTTPS` is `'on'`.
   */
  readonly tls?: TLSOptions | undefined
}

/**
 * Create a server for `app` on `host`:`port`, listening when the promise resolves (so port 0
 * gives a free port, read back as `server.serverPort`). `host` `''` means every interface.
 *
 * @example
 * ```ts
 * const server = await makeServer('', 8000, demoApp)
 * console.log(`Serving HTTP on port ${server.serverPort} ...`)
 * await server.serveForever()
 * ```
 */
export async function makeServer(
  host: string,
  port: number,
  app: WSGIApplication,
  options: MakeServerOptions = {},
): Promise<WSGIServer> {
  const ServerClass = options.serverClass ?? WSGIServer
  const server = new ServerClass(
    [host, port],
    options.handlerClass ?? WSGIRequestHandler,
    options.tls === undefined
      ? (options.serverOptions ?? {})
      : ({ ...options.serverOptions, tls: options.tls } as ServerOptions),
  )
  if (options.accessLog !== undefined) server.accessLog = options.accessLog
  if (options.inputLimit !== undefined) server.inputLimit = options.inputLimit
  await server.serverBind()
  server.setApp(app)
  return server
}

/**
 * The demo application: `Hello world!`, a blank line, then `key = repr(value)` for every environ
 * key in sorted order, as UTF-8 text. Port of wsgiref's `demo_app`.
 *
 * Values print as Python would print them: strings quoted and escaped, `True`/`False`/`None`,
 * `(1, 0)` for `wsgi.version`, and objects as `<ClassName>`.
 */
export function demoApp(environ: WSGIEnvironment, startResponse: StartResponse): Uint8Array[] {
  let text = 'Hello world!\n\n'
  const env = environ as Record<string, unknown>
  for (const key of Object.keys(env).sort()) text += `${key} = ${repr(env[key])}\n`
  startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']])
  return [new TextEncoder().encode(text)]
}
