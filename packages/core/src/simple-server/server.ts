/**
 * The server of the simple server: {@link WSGIServer} (one `node:http` or `node:https` server for
 * one app; the answer to requests Node's parser rejects) and {@link makeServer} (wsgiref's
 * `WSGIServer` and `make_server`).
 *
 * @module
 */
import { createServer, maxHeaderSize } from 'node:http'
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { SecureContextOptions } from 'node:tls'
import { hostname } from 'node:os'
import type { Duplex } from 'node:stream'

import type { ErrorStream, WSGIApplication } from '../types.ts'
import { RESOLVED, formatDateTime } from '../handlers/base-handler.ts'
import { attachListener } from '../node/to-node-listener.ts'
import { LogStream, escapeControl, logDateTimeString } from './log.ts'
import { WSGIRequestHandler } from './request-handler.ts'
import type { RequestHandlerClass } from './request-handler.ts'
import { softwareVersion } from './version.ts'

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
   * log it as wsgiref's `send_error` does. Bytes after a request that said `Connection: close`
   * get no answer: the request in flight keeps its own. Override to change the answer.
   */
  handleClientError(error: Error, socket: Duplex): void {
    // Divergence from wsgiref: Node's parser (llhttp) finds these errors; the answer is a short
    // text/plain one (http.server sends an HTML page), and bare-LF line ends, raw non-ASCII bytes
    // in the target and a missing blank line are refused where http.server accepts them.
    const err = error as ParserError
    const remote = (socket as Duplex & { remoteAddress?: string }).remoteAddress
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })
      ._httpMessage
    if (err.code === 'HPE_CLOSED_CONNECTION') {
      // Bytes after a request that said `Connection: close`: that request still gets its answer
      // (the connection closes after it, as the request asked), and the bytes are dropped, as
      // http.server leaves them unread. Node's own answer, a 400 in place of a response not
      // begun yet, would lose the answer to a valid request whenever the app is not synchronous.
      if (inFlight === undefined || inFlight === null || !socket.writable) socket.destroy()
      return
    }
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
