/**
 * Any Node request listener, `(req, res) => void`, run as a gateway application: an Express app,
 * Koa's `app.callback()`, Fastify's routing, a plain `http` handler.
 *
 * The listener gets the real `http.IncomingMessage` and `http.ServerResponse` classes of Node,
 * on a synthetic socket built from the environ, so everything Node's own server provides works
 * the same: body streams with backpressure, `writeHead`/`flushHeaders`/`addTrailers`, HEAD, 204
 * and 304 without a body, `'drain'`, `'finish'` then `'close'`, and `'aborted'` when the client
 * goes away. The Express, Koa and Fastify adapters' `from*` functions are built on this.
 *
 * If you are writing an adapter that turns a Node framework into a gateway app, start here.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from 'node:http'

import { describe, invalidArgType } from '../errors.ts'
import type { ResponseBody, StartResponse, WSGIApplication, WSGIEnvironment } from '../types.ts'
import { NODE_REQUEST_KEY, clientLeft, unreadSignalResponse } from './extension-environ.ts'
import { markPassThrough, runPassThrough, takeRoute } from './pass-through.ts'
import { abortedError, createRequest } from './synthetic-request.ts'
import { ListenerResponseBody, createResponse } from './synthetic-response.ts'
import { SyntheticSocket } from './synthetic-socket.ts'

/**
 * A Node request listener, as `http.createServer(listener)` takes it. It may return a promise
 * (Koa's `app.callback()` does); a rejection counts as the listener failing.
 */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** Options of {@link fromNodeListener}. */
export interface FromNodeListenerOptions {
  /**
   * Give the listener the full path in `req.url` (SCRIPT_NAME + PATH_INFO) instead of the path
   * below its mount point (PATH_INFO alone). Default `false`.
   */
  readonly fullPath?: boolean
  /** Bytes asked of `wsgi.input` per read of the request body. Default 65536. */
  readonly readSize?: number
  /**
   * How many response bytes may wait for the gateway consumer before `res.write()` returns
   * `false` (the synthetic socket's `writableHighWaterMark`). Default 65536.
   */
  readonly highWaterMark?: number
  /**
   * Called with the request and response right before the listener, to decorate them: for
   * example an adapter that sets Express's `req.baseUrl` from SCRIPT_NAME.
   */
  readonly prepare?: (req: IncomingMessage, res: ServerResponse, environ: WSGIEnvironment) => void
}

interface ListenerConfig {
  readonly fullPath: boolean
  readonly readSize: number
  readonly highWaterMark: number
  readonly prepare: FromNodeListenerOptions['prepare']
}

const DEFAULT_BLOCK = 65536

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw invalidArgType(`options.${name} must be a positive integer (got ${describe(value)})`)
  }
  return value
}

function resolveOptions(options: FromNodeListenerOptions): ListenerConfig {
  const raw: unknown = options
  if (typeof raw !== 'object' || raw === null) {
    throw invalidArgType(`options must be an object (got ${describe(options)})`)
  }
  const { prepare } = options
  if (prepare !== undefined && typeof prepare !== 'function') {
    throw invalidArgType(`options.prepare must be a function (got ${describe(prepare)})`)
  }
  return {
    fullPath: options.fullPath === true,
    readSize: positiveInteger(options.readSize, 'readSize', DEFAULT_BLOCK),
    highWaterMark: positiveInteger(options.highWaterMark, 'highWaterMark', DEFAULT_BLOCK),
    prepare,
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

/**
 * True when no request body byte is left to read: the synthetic request reached its end, or the
 * host's own request is complete (a host's rule for whole responses, `closesForUnreadBody`,
 * looks at that one).
 */
function requestRead(req: IncomingMessage, environ: WSGIEnvironment): boolean {
  if (req.complete) return true
  const native = environ[NODE_REQUEST_KEY] as IncomingMessage | undefined
  return native?.complete === true
}

async function runListener(
  listener: NodeListener,
  config: ListenerConfig,
  environ: WSGIEnvironment,
  startResponse: StartResponse,
): Promise<ResponseBody> {
  // Under core's own Node bridge the client-abort signal is not made (an AbortController per
  // request); the native response tells the same.
  const native = unreadSignalResponse(environ)
  // A client that is already gone gets no listener call at all.
  if (native === undefined) {
    const signal = environ['wsgits.signal']
    if (signal?.aborted === true) throw abortedError(signal.reason)
  } else if (clientLeft(native)) {
    throw abortedError()
  }
  const socket = new SyntheticSocket(environ, config.highWaterMark, config.readSize)
  const req = createRequest(environ, socket, config)
  const res = createResponse(req)
  const body = new ListenerResponseBody(environ, req, res, socket, native)
  try {
    config.prepare?.(req, res, environ)
    const returned: unknown = listener(req, res)
    if (isThenable(returned)) {
      returned.then(undefined, (error: unknown) => {
        body.fail(error)
      })
    }
  } catch (error) {
    body.fail(error)
  }
  // Settles when Node wrote the head, or rejects when the listener failed or the client went
  // away first; the body is then already torn down, so there is nothing to close.
  const head = await body.head
  try {
    startResponse(head.status, head.headers)
  } catch (error) {
    body.close()
    throw error
  }
  // A listener that answered at once with a length (res.send, ctx.body, reply.send): a
  // one-item list, which every host sends whole with its head. Not while the request has body
  // bytes nobody read (neither the listener nor, when the body went on down a host's chain, the
  // host): a host closes the connection after a whole response with more of them than it
  // drains, and the bytes would differ from a streamed one's and the pass-through's.
  const whole = requestRead(req, environ) ? body.takeWhole(head.contentLength) : undefined
  return whole === undefined ? body : [whole]
}

/**
 * Runs a Node request listener as a gateway application.
 *
 * Per request the listener gets a real `IncomingMessage` and `ServerResponse`:
 *
 * - `req.method`, `req.url` (PATH_INFO plus `?QUERY_STRING`, so the listener sees paths relative
 *   to its mount point as an Express sub-app does; the full path with `{ fullPath: true }`),
 *   `req.originalUrl` (SCRIPT_NAME + PATH_INFO + query). Each part is spelled as the client sent
 *   it when the environ's `REQUEST_URI` still agrees with it (`%2F`, `%2e%2e` and malformed
 *   escapes stay, so the listener's router decides about them as on its own server), else quoted
 *   as `requestURI` quotes. `req.httpVersion` from SERVER_PROTOCOL, `req.headers`/`rawHeaders` from
 *   the `HTTP_*` keys, CONTENT_TYPE and CONTENT_LENGTH (a `host` from SERVER_NAME/SERVER_PORT when
 *   HTTP_HOST is missing; `transfer-encoding: chunked` when there is no CONTENT_LENGTH but
 *   HTTP_TRANSFER_ENCODING is present).
 * - A body stream that reads `wsgi.input` in blocks (`readSize`) only when the stream wants data:
 *   CONTENT_LENGTH bytes; to EOF when there is no CONTENT_LENGTH but HTTP_TRANSFER_ENCODING (or an
 *   HTTP/2 request with `wsgi.input_terminated`); no body otherwise. A body the listener never
 *   started to read is left in `wsgi.input` for the server to drain or discard.
 * - `req.socket` with `remoteAddress`/`remotePort` (REMOTE_ADDR/REMOTE_PORT), `encrypted`
 *   (`wsgi.url_scheme === 'https'`), `localAddress`/`localPort`/`address()` (SERVER_NAME and
 *   SERVER_PORT).
 *
 * The gateway app resolves once Node has written the response head (at the first write, at
 * `end()`, or at `flushHeaders()`), calls `startResponse` with it, and returns a body that yields
 * each chunk as the listener writes it; or, when the listener had already ended a response with
 * a `Content-Length` that every byte written adds up to (and no request body byte is left
 * unread), the whole body as a one-item list, which a host sends with its head. Hop-by-hop
 * headers are dropped; `Date` is kept. Trailers from `res.addTrailers()` (which Node honours only
 * on a chunked response: HTTP/1.1 or later, no Content-Length) go to
 * `environ['wsgits.add_trailers'](trailers)` after the last chunk when the server provides that
 * function, and are dropped otherwise.
 *
 * Errors: a listener that throws (or rejects) before the head was written makes the gateway app
 * reject, so the server answers 500; after that, the body's iterator throws, so the server cuts
 * the connection. A listener that destroys its own response or socket cuts the client's
 * connection under core's Node bridge (as under Node's own server); elsewhere that is a listener
 * error. When `environ['wsgits.signal']` aborts, or the server closes the body early,
 * the socket is destroyed: `req` emits `'aborted'` and `'close'`, `res` emits `'close'` without
 * `'finish'`, as with a client that disconnects from a Node server.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { fromNodeListener } from '@wsgi/core/node'
 *
 * const api = express()
 * api.get('/hello', (req, res) => res.json({ hello: 'world' }))
 * // A gateway app: serve it with any gateway server, or mount it under SCRIPT_NAME '/api'.
 * export const app = fromNodeListener(api)
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `listener` is not a function or an option
 *   has the wrong type.
 */
export function fromNodeListener(
  listener: NodeListener,
  options: FromNodeListenerOptions = {},
): WSGIApplication {
  if (typeof listener !== 'function') {
    throw invalidArgType(`listener must be a function (got ${describe(listener)})`)
  }
  const config = resolveOptions(options)
  const app: WSGIApplication = function nodeListenerApp(environ, startResponse) {
    // The server's own request, straight from its handler: the listener gets the real objects.
    const route = takeRoute(environ, startResponse, app)
    if (route !== undefined) return runPassThrough(route, environ, listener, config.prepare)
    return runListener(listener, config, environ, startResponse)
  }
  markPassThrough(app)
  return app
}
