/**
 * The per-request side of the simple server: {@link WSGIRequestHandler} (one per request: the
 * environ, the access-log line) and the {@link ServerHandler} it runs the app with (wsgiref's
 * `WSGIRequestHandler` and `ServerHandler`).
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import type { ErrorStream, WSGIApplication } from '../types.ts'
import { fillRequestEnviron, isCGIKey } from '../node/environ.ts'
import { NativeSent, isPassThroughApp, offerRoute, passesThrough } from '../node/pass-through.ts'
import { hasBody } from '../node/request-body.ts'
import type { NativeRoute } from '../node/pass-through.ts'
import { NodeHandler, serve } from '../node/to-node-listener.ts'
import type { NodeHandlerOptions } from '../node/to-node-listener.ts'
import { escapeControl, logDateTimeString } from './log.ts'
import type { WSGIServer } from './server.ts'
import { serverVersion, softwareVersion } from './version.ts'

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
export class ServerHandler extends NodeHandler implements NativeRoute {
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

  /**
   * The app {@link offerRoute} offered this request to (a `fromNodeListener` app that may answer
   * on the native `req`/`res`); set by `WSGIRequestHandler#handle()`.
   */
  nativeApp: WSGIApplication = noApplication

  /** During a shutdown, the response closes its connection. */
  override sendHeaders(): Promise<void> {
    if (this.requestHandler.server.shuttingDown) this.response.shouldKeepAlive = false
    return super.sendHeaders()
  }

  /** What {@link sendHeaders} and `NodeHandler` decide, for a head the listener writes itself. */
  beforeNativeHead(): void {
    const res = this.response
    // A final 1xx closes the connection, as NodeHandler#decideBody() does.
    if (this.requestHandler.server.shuttingDown || res.statusCode < 200) {
      res.shouldKeepAlive = false
    }
  }

  /** The listener reads the request body itself: `100 Continue` now, as on `wsgi.input`. */
  nativeBodyRead(): void {
    this.bodyReadElsewhere()
  }

  /** For a listener's response that ends with its head: `NodeHandler`'s whole-response rule. */
  closesForNativeBody(): boolean {
    return this.closesForUnreadBody()
  }

  /** The listener ended its response: the body it left unread, as `NodeHandler#endResponse`. */
  nativeEnded(): void {
    this.drainUnreadBody()
  }

  /** A response the listener sent on the native objects: only the log and `close()` are left. */
  override finishResponse(): Promise<void> {
    const result = this.result
    if (result instanceof NativeSent) {
      this.status = result.status
      this.bytesSent = result.bytes
      return this.close()
    }
    return super.finishResponse()
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
    const app = this.server.getApp() ?? noApplication
    // A fromNodeListener app run directly by this server may answer on the native objects (not
    // a body under an input limit: the listener would read past it).
    if (
      own &&
      isPassThroughApp(app) &&
      passesThrough(this.request) &&
      this.#rootMount() &&
      (this.server.inputLimit === undefined || !hasBody(this.request))
    ) {
      handler.nativeApp = app
      offerRoute(handler)
    }
    return serve(handler, app)
  }

  // The app is mounted at the root: the native `req.url` is what the listener would get.
  #rootMount(): boolean {
    const scriptName = this.server.baseEnviron['SCRIPT_NAME']
    return scriptName === undefined || scriptName === ''
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
