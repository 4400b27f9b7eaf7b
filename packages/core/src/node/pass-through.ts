/**
 * The pass-through of `fromNodeListener`: when nothing stands between a Node server's handler
 * and the listener app, the listener gets the server's own `req`/`res` instead of synthetic ones,
 * and the bytes it writes go to the client directly (no synthetic socket, no parse of its output,
 * no second `writeHead`).
 *
 * A server handler opts in per request by offering a {@link NativeRoute} ({@link offerRoute}):
 * itself, with its environ, its `startResponse`, the app it runs and the native objects. The
 * listener app takes the route ({@link takeRoute}) only when it is that very app, called with
 * that very environ and `startResponse`: any middleware in between (one that wraps
 * `startResponse` or the body, a dispatcher, a validator) means another app or another
 * `startResponse`, and the synthetic path runs. The route then writes what the server's own
 * `writeHead` would have added (its `Server` header first, hop-by-hop headers the listener set
 * dropped) and counts the body bytes, so the head, the body and the access-log line are the same
 * bytes the synthetic path produces. A request body stays under the handler's rules for
 * `wsgi.input`: `100 Continue` on the listener's first read, the drain (or close) of what it left
 * unread once it ended the response, `Connection: close` on a bodiless answer to a body too
 * large to drain.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import type { ResponseBody, StartResponse, WSGIApplication, WSGIEnvironment } from '../types.ts'
import { NODE_RESPONSE_KEY, clientLeft } from './extension-environ.ts'
import { hasBody } from './request-body.ts'
import { abortedError } from './synthetic-request.ts'
import { isNullBodyStatus } from '../handlers/status.ts'
import { findOutHeaders, storeHead } from './native-head.ts'
import type { HeadEnd, HeaderArg, NodeResponse } from './native-head.ts'

/** What a server handler offers a listener app for one request (see the module notes). */
export interface NativeRoute {
  /** The environ the handler made for this request. */
  readonly environ: WSGIEnvironment | undefined
  /** The handler's own `startResponse`. */
  readonly startResponse: StartResponse
  /** The app the handler runs. */
  readonly nativeApp: WSGIApplication
  readonly request: IncomingMessage
  readonly response: ServerResponse
  /** The `Server` header the handler writes before the app's headers, if any. */
  readonly serverSoftware: string | undefined
  /** Called right before Node renders the head (to close the connection on a shutdown, say). */
  beforeNativeHead(): void
  /** The listener started reading the body: what `wsgi.input`'s first read does (100 Continue). */
  nativeBodyRead(): void
  /**
   * For a response that ends with its head alone while a request body is announced: true when
   * the head must say `Connection: close` (more unread body than is worth draining), as the
   * handler decides for a whole response of its own.
   */
  closesForNativeBody(): boolean
  /** The listener ended the response of a request with a body: drain what it left, or close. */
  nativeEnded(): void
}

/**
 * The body a listener app resolves with on the pass-through: the response was sent already.
 * `status` (the code) and `bytes` (body bytes written) are what the access log needs.
 */
export class NativeSent implements Iterable<Uint8Array> {
  status = ''
  bytes = 0;

  *[Symbol.iterator](): Iterator<Uint8Array> {
    // Nothing: the listener wrote to the client itself.
  }
}

const kRoute = Symbol('wsgits.nativeRoute')
const passThroughApps = new WeakSet<WSGIApplication>()

interface RouteHolder {
  [kRoute]?: NativeRoute | undefined
}

/** Mark `app` as one that can take a {@link NativeRoute} (a `fromNodeListener` app). */
export function markPassThrough(app: WSGIApplication): void {
  passThroughApps.add(app)
}

/** True for an app made by `fromNodeListener`: offering it a route may pay. */
export function isPassThroughApp(app: unknown): boolean {
  return typeof app === 'function' && passThroughApps.has(app as WSGIApplication)
}

/** Offer `route` to the app that `route.nativeApp` is (taken at most once). */
export function offerRoute(route: NativeRoute): void {
  ;(route.response as ServerResponse & RouteHolder)[kRoute] = route
}

/**
 * The route offered for `environ`'s request, when `app` is the app it was offered to and is
 * called with the handler's own environ and `startResponse`; else undefined.
 */
export function takeRoute(
  environ: WSGIEnvironment,
  startResponse: StartResponse,
  app: WSGIApplication,
): NativeRoute | undefined {
  const res = environ[NODE_RESPONSE_KEY] as (ServerResponse & RouteHolder) | undefined
  if (res === undefined) return undefined
  const route = res[kRoute]
  if (route === undefined) return undefined
  if (route.nativeApp !== app || route.startResponse !== startResponse) return undefined
  if (route.environ !== environ) return undefined
  res[kRoute] = undefined
  return route
}

/**
 * True when a request can go to a listener as it is: HTTP/1.1, an origin-form target, and
 * headers the environ carries unchanged (no name with `_`, which the environ drops; no repeated
 * name, which it joins). A request body may come with it: the route keeps the server's
 * `100 Continue` and drain rules (see {@link runPassThrough}); a server with an input limit
 * does not offer the route for one.
 */
export function passesThrough(req: IncomingMessage): boolean {
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor !== 1) return false
  const url = req.url
  if (url?.charCodeAt(0) !== 0x2f) return false
  const headers = req.headers
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] ?? '').includes('_')) return false
  return Object.keys(headers).length * 2 === raw.length
}

function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') {
    return Buffer.byteLength(
      chunk,
      typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
    )
  }
  return ArrayBuffer.isView(chunk) ? chunk.byteLength : 0
}

// Where the shared functions below find the watch of the response they were called on.
const kWatch = Symbol('wsgits.nativeWatch')

interface Watched extends NodeResponse {
  [kWatch]?: NativeWatch | undefined
}

/**
 * One response on the pass-through: it makes `res` write its head as the route's handler would,
 * counts its body bytes into `sent`, and settles the run once the listener ended the response
 * (a client that left by then is a disconnect). With `body` (the request announces one), a
 * response that ends with its head alone asks the route whether it closes the connection, and
 * the route drains what the listener left of the body once the response ended
 * (`NodeHandler#endResponse`'s rules).
 *
 * `res` gets own members (Express swaps the prototype, not own members): `_storeHeader`, `write`
 * and `end` are functions shared by every response, which find this object through `res`. One
 * object per request instead of a closure per member, a bound copy of each original and one per
 * callback of the run.
 */
class NativeWatch {
  firstLine = ''
  fields: HeaderArg = undefined
  bareEnd = false
  endingNow = false
  settled = false
  readonly route: NativeRoute
  readonly res: Watched
  readonly sent: NativeSent
  readonly body: boolean
  readonly resolve: (value: ResponseBody) => void
  readonly reject: (reason: unknown) => void
  // Node's own members of `res`, as they were before the watch.
  readonly storeHeader: NodeResponse['_storeHeader']
  readonly write: (...args: unknown[]) => boolean
  readonly end: (...args: unknown[]) => unknown

  constructor(
    route: NativeRoute,
    body: boolean,
    resolve: (value: ResponseBody) => void,
    reject: (reason: unknown) => void,
  ) {
    const res = route.response as Watched
    this.route = route
    this.res = res
    this.sent = new NativeSent()
    this.body = body
    this.resolve = resolve
    this.reject = reject
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with apply(res)
    this.storeHeader = res._storeHeader
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with apply(res)
    this.write = res.write as (...args: unknown[]) => boolean
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with apply(res)
    this.end = res.end as (...args: unknown[]) => unknown
    findOutHeaders(res)
    res[kWatch] = this
    res._storeHeader = storeNativeHead
    res.write = countWrite as ServerResponse['write']
    res.end = countEnd as NodeResponse['end']
    res.on('close', onNativeClose)
  }

  /** Store the head the handler would write (`ending`: it goes out with the end, whole). */
  store(ending?: HeadEnd): void {
    this.route.beforeNativeHead()
    storeHead(
      this.res,
      this.storeHeader,
      this.firstLine,
      this.fields,
      this.route.serverSoftware,
      ending,
    )
  }

  // A response with no body bytes at all, ending now: the synthetic path sends it whole, and a
  // whole response says Connection: close when the unread body is too large to drain.
  closes(): boolean {
    return (
      this.sent.bytes === 0 &&
      (this.bareEnd || !this.res._hasBody) &&
      this.route.closesForNativeBody()
    )
  }

  /**
   * How the head ends when it goes out with the end of the response, or undefined when as
   * Node renders it. No body byte follows: the handler ends such a response with
   * `Content-Length: 0` unless its status has no body (`finishContent`), where Node would chunk
   * nothing or, for HEAD, send neither a length nor chunks. Such a head loses Node's chunking.
   */
  endingHead(): HeadEnd | undefined {
    const res = this.res
    let empty = false
    if (this.sent.bytes === 0) {
      empty = res._hasBody ? this.bareEnd && res.chunkedEncoding : !isNullBodyStatus(res.statusCode)
    }
    const close = this.body && this.closes()
    if (!empty && !close) return undefined
    if (empty) res.chunkedEncoding = false
    return { close, empty }
  }

  /** The listener ended the response; `left`: the client had gone by then. */
  ended(left: boolean): void {
    if (left) {
      this.closed()
      return
    }
    if (!this.#settle()) return
    this.sent.status = String(this.res.statusCode)
    this.resolve(this.sent)
  }

  /**
   * Resolved when the listener ended the response, as the handler's own path is done after its
   * res.end(): a response queued behind a pipelined one may never see 'finish' (nor 'close')
   * when the connection is cut first. Until then, a close is a disconnect (or `res`'s error).
   */
  closed(): void {
    if (!this.#settle()) return
    this.reject(this.res.errored ?? abortedError())
  }

  /** The listener's own error, as thrown: the handler logs it and answers (or cuts). */
  fail(error: unknown): void {
    if (!this.#settle()) return
    if (!this.res.headersSent) unwatch(this.res)
    this.reject(error)
  }

  // The run settles once: true the first time, false after. The close listener stays: the
  // 'close' every response emits after its end then finds the run settled, which costs less
  // than taking the listener off each response.
  #settle(): boolean {
    if (this.settled) return false
    this.settled = true
    return true
  }
}

function watchOf(res: Watched): NativeWatch {
  const watch = res[kWatch]
  if (watch === undefined) throw new Error('wsgits: a pass-through member ran on another response')
  return watch
}

function storeNativeHead(this: Watched, line: string, headers: HeaderArg): void {
  const watch = watchOf(this)
  watch.firstLine = line
  watch.fields = headers
  // Inside end() (its implicit head): the head goes out with the end of the response.
  watch.store(watch.endingNow ? watch.endingHead() : undefined)
}

function countWrite(this: Watched, ...args: unknown[]): boolean {
  const watch = watchOf(this)
  const ended = this.writableEnded
  const ok = watch.write.apply(watch.res, args)
  if (!ended && this._hasBody) watch.sent.bytes += byteLength(args[0], args[1])
  return ok
}

function countEnd(this: Watched, ...args: unknown[]): Watched {
  const watch = watchOf(this)
  const ended = this.writableEnded
  // The client left, and the listener answers that (a body parser's 400 for `'aborted'`): the
  // synthetic path finds the connection gone when it writes, a disconnect it never logs.
  const left = !ended && clientLeft(this)
  const data = typeof args[0] === 'function' ? undefined : args[0]
  // The body bytes of this call (an end() after the end writes nothing).
  const size = ended || data === undefined || data === null ? 0 : byteLength(data, args[1])
  if (!ended && !left) {
    watch.bareEnd = size === 0
    watch.endingNow = true
    // The head was stored before (writeHead) and is still unsent: it goes out with this end,
    // whole, as the synthetic path sends it (no chunked framing around no byte).
    if (this._header !== null && !this._headerSent) {
      const ending = watch.endingHead()
      if (ending !== undefined) watch.store(ending)
    }
  }
  try {
    watch.end.apply(watch.res, args)
  } finally {
    watch.endingNow = false
  }
  if (this._hasBody) watch.sent.bytes += size
  // end() just changed writableEnded (TypeScript still narrows it to false).
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if (!ended && this.writableEnded) {
    if (watch.body && !left) watch.route.nativeEnded()
    watch.ended(left)
  }
  return this
}

function onNativeClose(this: Watched): void {
  this[kWatch]?.closed()
}

/**
 * Tell the route when the listener first reads the request (any `read()`: `'data'`, `pipe()`,
 * `resume()`, an async iterator and `'readable'` all come through it), as the synthetic request
 * first pulls `wsgi.input` from its `_read`.
 */
function watchRead(route: NativeRoute): void {
  const req = route.request as IncomingMessage & { read: (size?: number) => unknown }
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const read = req.read
  req.read = function firstRead(this: IncomingMessage, size?: number): unknown {
    req.read = read // put back, not deleted: a delete makes `req` a slow dictionary object
    route.nativeBodyRead()
    return read.call(this, size)
  }
}

/**
 * Give `res` back to the handler as it came, for its error page: the synthetic path's page never
 * carries what the listener set on its own response before it failed.
 */
function unwatch(res: ServerResponse): void {
  const own = res as unknown as Record<string, unknown>
  delete own['_storeHeader']
  delete own['write']
  delete own['end']
  for (const name of res.getHeaderNames()) res.removeHeader(name)
}

/**
 * Run `listener` on the route's own `req`/`res`. Resolves with a {@link NativeSent} once the
 * listener ended the response; rejects with the listener's error (before the head: the handler answers
 * 500; after: it cuts the connection), with the error `res` was destroyed with, or as a client
 * disconnect when the client left.
 */
export function runPassThrough(
  route: NativeRoute,
  environ: WSGIEnvironment,
  listener: (req: IncomingMessage, res: ServerResponse) => unknown,
  prepare:
    ((req: IncomingMessage, res: ServerResponse, environ: WSGIEnvironment) => void) | undefined,
): Promise<ResponseBody> {
  const req = route.request
  const res = route.response
  if (clientLeft(res)) return Promise.reject(abortedError())
  // As on a synthetic request: the full target (the same as req.url at the root mount).
  ;(req as IncomingMessage & { originalUrl?: string | undefined }).originalUrl = req.url
  return new Promise<ResponseBody>((resolve, reject) => {
    const body = hasBody(req)
    if (body) watchRead(route)
    const watch = new NativeWatch(route, body, resolve, reject)
    try {
      prepare?.(req, res, environ)
      const returned = listener(req, res)
      if (
        typeof returned === 'object' &&
        returned !== null &&
        typeof (returned as { then?: unknown }).then === 'function'
      ) {
        ;(returned as PromiseLike<unknown>).then(undefined, (error: unknown) => {
          watch.fail(error)
        })
      }
    } catch (error) {
      watch.fail(error)
    }
  })
}
