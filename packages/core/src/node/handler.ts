/**
 * `NodeHandler`: the `BaseHandler` that speaks `http.IncomingMessage`/`http.ServerResponse`.
 * wsgiref's `ServerHandler` for Node: the simple server, the CLI and the Express, Koa and Fastify
 * adapters all run gateway apps through it. If you are writing an adapter that mounts a gateway
 * app inside a Node framework, subclass it and pass it to `toNodeListener` as `handlerClass`.
 *
 * The request half (environ, `wsgi.input`, the unread body after the response) is
 * `NodeInputHandler` (`./input-handler.ts`); this file is the response half and its transport
 * hooks on `HostHandler` (`../handlers/host-handler.ts`), which the Koa and Fastify adapters
 * override in turn.
 *
 * @module
 */
import type { EventEmitter } from 'node:events'
import { Socket } from 'node:net'

import { toError } from '../errors.ts'
import { isNullBodyStatus, statusCode } from '../handlers/status.ts'
import {
  ListHeaders,
  hasPresetHeaders,
  isContentLength,
  streamDestroyed,
  writeHead2,
} from './handler-support.ts'
import { NodeInputHandler } from './input-handler.ts'

export type { NextFunction, NodeHandlerClass, NodeHandlerOptions } from './handler-options.ts'

// How long a cut connection may take to hand over the bytes written before the error.
const ABORT_GRACE_MS = 2000

// What `res.writeHead()` accepts (ERR_HTTP_INVALID_STATUS_CODE otherwise).
const NODE_STATUS_RANGE: readonly [number, number] = [100, 999]

/**
 * Runs a gateway application for one Node request: the `ServerHandler` of wsgiref, with
 * `res.writeHead()`/`res.write()` as its transport.
 *
 * - Status line and headers go out through `res.writeHead(code, reason, flatHeaders)`, so every
 *   `Set-Cookie` survives; Node adds `Date` (and `Connection`, `Transfer-Encoding`) itself.
 * - `write` honours backpressure: it waits for `'drain'`, and rejects with
 *   `ERR_STREAM_DESTROYED` if the client goes away first (a silent end, like wsgiref's
 *   `BrokenPipeError`).
 * - An empty first chunk flushes the headers (server-sent events start at once).
 * - An error after the response started destroys the connection: never a second response.
 * - `Expect: 100-continue`: `100 Continue` is sent when the app first reads `wsgi.input`, so an
 *   app can refuse an upload before it is sent (wire the server with {@link attachListener}).
 * - After the response, an unread request body is drained up to `drainLimit` bytes within
 *   `drainTimeout` ms, or the connection is closed: our side first, still reading and dropping
 *   what arrives (until the client is done, or the deadline), so the client reads the answer
 *   rather than a reset. A response sent whole while more than `drainLimit` body bytes are still
 *   announced says `Connection: close`.
 *
 * Divergence from wsgiref: the status line is always `HTTP/1.1` (Node's server answers every
 * client with its own version, as RFC 9110 §2.5 allows); `httpVersion` reports the request's.
 *
 * @example
 * ```ts
 * http.createServer((req, res) => void new NodeHandler(req, res).run(app))
 * ```
 */
export class NodeHandler extends NodeInputHandler {
  /**
   * Transport hook: the status and headers go out with `res.writeHead()` (no bytes are built
   * here). Nothing counts as sent when Node rejects a header (a name that is not a token, say).
   */
  protected override sendHead(): void {
    this.#writeHead()
    // An empty first chunk means "headers now": a stream such as server-sent events must reach
    // the client before its first event. (Not when the response is already complete.)
    if (this.bytesSent === 0 && !this.endsWithHead) this.response.flushHeaders()
  }

  /**
   * As `BaseHandler#cleanupHeaders` (a `Content-Length` for a one-item array body, none for
   * statuses without a body), without case-folding lookups.
   */
  override cleanupHeaders(): void {
    const headers = this.headers
    const status = this.status
    if (headers === undefined || status === undefined) {
      super.cleanupHeaders()
      return
    }
    if (isNullBodyStatus(statusCode(status))) return
    const list = ListHeaders.listOf(headers)
    if (list === undefined) {
      for (const entry of headers) if (isContentLength(entry[0])) return
    } else {
      for (const entry of list) if (isContentLength(entry[0])) return
    }
    this.setContentLength()
  }

  /** As `BaseHandler#setContentLength`: `Content-Length` when the body is a one-item array. */
  override setContentLength(): void {
    const result = this.result
    const headers = this.headers
    if (!Array.isArray(result) || result.length !== 1 || headers === undefined) return
    const value = String(this.bytesSent)
    for (const entry of headers) {
      if (isContentLength(entry[0])) {
        headers.set('Content-Length', value)
        return
      }
    }
    // Digits only: nothing for Headers to check.
    const list = ListHeaders.listOf(headers)
    if (list === undefined) headers.addHeader('Content-Length', value)
    else list.push(['Content-Length', value])
  }

  /**
   * Transport hook: the response is complete; end it with `body` (the whole body from
   * {@link sendWhole}, when one may be sent) or with nothing more (after the last chunk). Here
   * `res.end()`, then the unread request body is drained ({@link drainUnreadBody}).
   */
  protected override endResponse(body: Uint8Array | undefined): void {
    const res = this.response
    if (res.destroyed) throw streamDestroyed()
    if (body === undefined) res.end()
    else res.end(body)
    this.drainUnreadBody()
  }

  /**
   * Log the error; answer 500 if the response has not started (or hand the error to the
   * `onError` option), else destroy the connection.
   */
  override async handleError(error: unknown): Promise<void> {
    // Divergence from wsgiref: the transport's own state decides whether a response started
    // (wsgiref trusts headers_sent), so an error never produces a second response.
    const res = this.response
    if (res.headersSent || res.destroyed) {
      // The status line is committed (perhaps by someone else): a second response would corrupt
      // the connection, so cut it and let the client see a truncated response. A response
      // destroyed already (an app that cut its own connection with an error) gets no page either.
      this.logException(error)
      this.abortOutput(error)
      return
    }
    const onError = this.options.onError
    if (onError !== undefined) {
      onError(error, this.request, res, this.next)
      return
    }
    await super.handleError(error)
  }

  /**
   * Cut the connection: what was written still goes out (so the client sees the status and the
   * partial body), then the socket is closed without a proper end of body (no chunked
   * terminator, fewer bytes than `Content-Length`), so the client cannot take it for a whole one.
   */
  protected override abortOutput(error: unknown): void {
    const res = this.response
    if (res.writableFinished) return
    const socket = res.socket
    if (!(socket instanceof Socket) || socket.destroyed) {
      // Not a TCP socket (a bridge's synthetic one, say): an orderly end could pass for a whole
      // body there, so the response is destroyed with the error.
      res.destroy(toError(error))
      return
    }
    // destroySoon() ends the socket once the queued bytes are written; a client that stops
    // reading does not keep it open for long.
    socket.destroySoon()
    setTimeout(() => {
      socket.destroy()
    }, ABORT_GRACE_MS).unref()
  }

  /**
   * 100 to 999, every code PEP 3333 allows that `res.writeHead()` takes: Node sends a final 1xx
   * (as Express's `res.status(101).end()` on Node's own server does) with no body, and any code
   * up to 999 with the app's reason phrase. Over HTTP/2 (the compat API) 200 to 599: HTTP/2 has no
   * final 1xx, and Node refuses codes past 599 there.
   */
  protected override get finalStatusRange(): readonly [low: number, high: number] {
    return this.request.httpVersionMajor >= 2 ? super.finalStatusRange : NODE_STATUS_RANGE
  }

  /**
   * As BaseHandler's; and a final 1xx closes the connection after it. A client reads any 1xx as
   * an interim response and takes the next one on the connection for the answer, so on a
   * keep-alive connection the app's 1xx would pair the next request's response with this one.
   *
   * Divergence from Node's own server, which keeps the connection: Node's `writeHead(1xx)` is a
   * desync there too.
   */
  protected override decideBody(): void {
    super.decideBody()
    const code = statusCode(this.status ?? '')
    if (code < 200) this.response.shouldKeepAlive = false
  }

  /** `res.write()`, waiting for `'drain'` when Node's buffer is full. */
  protected override _write(data: Uint8Array): void | Promise<void> {
    const res = this.response
    if (res.destroyed) throw streamDestroyed()
    if (res.write(data)) return undefined
    return this.#drained()
  }

  // The 'drain' listener is added with res.on() and removes itself from the emitter that called
  // it (`this`), not with res.once(): middleware may have replaced res.on (compression() hands
  // 'drain' listeners to its gzip stream, whose backpressure res.write() then reports), and
  // once()'s wrapper would remove itself from `res` only, leaving one dead listener per wait.
  #drained(): Promise<void> {
    const res = this.response
    return new Promise<void>((resolve, reject) => {
      function onDrain(this: EventEmitter): void {
        this.removeListener('drain', onDrain)
        res.removeListener('close', onClose)
        resolve()
      }
      const onClose = (): void => {
        // Removes it where res.on() put it when that is `res`; elsewhere, at most this one
        // listener stays, on a stream that goes with the response.
        res.removeListener('drain', onDrain)
        reject(streamDestroyed())
      }
      res.on('drain', onDrain)
      res.once('close', onClose)
    })
  }

  #writeHead(): void {
    // Divergence from wsgiref: Node writes the status line (always HTTP/1.1), Date when the app
    // sent none, and Connection/Transfer-Encoding; Content-Length is computed as in wsgiref.
    const res = this.response
    const status = this.status ?? '500 Internal Server Error'
    const code = statusCode(status)
    const reason = status.slice(4)
    const headers = this.headers
    const software = this.serverSoftware
    if (this.request.httpVersionMajor >= 2) {
      writeHead2(res, code, headers, software)
      return
    }
    if (hasPresetHeaders(res)) {
      // Someone (Express middleware, say) already used setHeader(): writeHead() would then keep
      // only the last of each name, so several Set-Cookie go through setHeader() as an array.
      const grouped = new Map<string, [string, string[]]>()
      if (headers !== undefined) {
        for (const [name, value] of headers) {
          const lower = name.toLowerCase()
          const entry = grouped.get(lower)
          if (entry === undefined) grouped.set(lower, [name, [value]])
          else entry[1].push(value)
        }
      }
      if (software !== undefined && !grouped.has('server')) res.setHeader('Server', software)
      for (const [name, values] of grouped.values()) {
        res.setHeader(name, values.length === 1 ? (values[0] ?? '') : values)
      }
      if (this.#closesForBody()) res.setHeader('Connection', 'close')
      res.writeHead(code, reason)
      return
    }
    // wsgiref writes Server before the app's headers (unless the app sent one); Node adds Date
    // after them.
    const flat: string[] = software === undefined ? [] : ['Server', software]
    let hasServer = false
    const list = headers === undefined ? [] : (ListHeaders.listOf(headers) ?? headers.items())
    for (const entry of list) {
      const name = entry[0]
      flat.push(name, entry[1])
      if (name.length === 6 && name.toLowerCase() === 'server') hasServer = true
    }
    if (hasServer && software !== undefined) flat.splice(0, 2)
    if (this.#closesForBody()) flat.push('Connection', 'close')
    res.writeHead(code, reason, flat)
  }

  #closesForBody(): boolean {
    return this.endsWithHead && this.closesForUnreadBody()
  }
}
