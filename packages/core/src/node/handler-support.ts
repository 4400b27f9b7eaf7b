/**
 * Pieces of {@link NodeHandler}'s hot path, kept apart so the handler reads as the protocol: the
 * environ's starting shape, the `Headers` that exposes its list, the request body source, and
 * small status and header tests that run on every response. Internal to the Node bridge.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Socket as NetSocket } from 'node:net'
import type { Socket } from 'node:net'

import { Headers } from '../headers.ts'
import { FlowingChunks } from './flowing-chunks.ts'
import type { HeaderList } from '../types.ts'

/** The error `_write` rejects with once the response is gone: the code BaseHandler knows. */
export function streamDestroyed(): Error {
  return Object.assign(new Error('Cannot call write after a stream was destroyed'), {
    code: 'ERR_STREAM_DESTROYED',
  })
}

/** `Content-Length` in any case, without a regular expression (this runs for every response). */
export function isContentLength(name: string): boolean {
  return (
    name.length === 14 && (name === 'Content-Length' || name.toLowerCase() === 'content-length')
  )
}

// Node keeps the headers set with res.setHeader() under this symbol (null while there are none);
// looked up once, so that the common case needs no getHeaderNames() array per response.
let kOutHeaders: symbol | null | undefined

/** True when someone already called `res.setHeader()` on this response. */
export function hasPresetHeaders(res: ServerResponse): boolean {
  if (kOutHeaders === undefined) {
    kOutHeaders =
      Object.getOwnPropertySymbols(res).find((s) => s.description === 'kOutHeaders') ?? null
  }
  if (kOutHeaders === null) return res.getHeaderNames().length > 0
  const preset = (res as unknown as Record<symbol, unknown>)[kOutHeaders]
  return preset !== null && preset !== undefined
}

/**
 * The environ's starting shape, built by a constructor rather than an object literal. V8 may
 * pretenure an object literal's allocation site (allocate its objects in the old generation)
 * after a burst in which they all survived, as during a warm-up; the environ then outlives its
 * request there, and every young object it refers to (the request, the response, the app's own
 * per-request objects) survives each scavenge and is promoted until the next mark-compact: up
 * to 4 KB per request and a third more CPU. A constructor's objects are never pretenured. Its
 * prototype is `Object.prototype`: the environ stays a plain object (`constructor === Object`).
 */
const EnvironShape = function (this: Record<string, unknown>): void {
  this['SERVER_PROTOCOL'] = undefined
  this['REQUEST_METHOD'] = undefined
  this['SCRIPT_NAME'] = undefined
  this['PATH_INFO'] = undefined
  this['QUERY_STRING'] = undefined
  this['REMOTE_ADDR'] = undefined
  this['REMOTE_PORT'] = undefined
  this['CONTENT_LENGTH'] = undefined
  this['SERVER_NAME'] = undefined
  this['SERVER_PORT'] = undefined
  this['GATEWAY_INTERFACE'] = undefined
  this['REMOTE_HOST'] = undefined
  this['wsgi.input'] = undefined
  this['wsgi.errors'] = undefined
  this['wsgi.version'] = undefined
  this['wsgi.run_once'] = undefined
  this['wsgi.url_scheme'] = undefined
  this['wsgi.multithread'] = undefined
  this['wsgi.multiprocess'] = undefined
  this['wsgi.file_wrapper'] = undefined
  this['wsgi.input_terminated'] = undefined
  this['wsgits.node_request'] = undefined
  this['wsgits.node_response'] = undefined
  this['wsgits.add_trailers'] = undefined
} as unknown as new () => Record<string, unknown>
EnvironShape.prototype = Object.prototype

/**
 * A new environ holding every key a Node request's environ always has, all still undefined, in
 * one shape, with room for the keys inside the object. Optional keys (CONTENT_TYPE, HTTPS,
 * SERVER_SOFTWARE, HTTP_*) are added when present.
 */
export function newEnviron(): Record<string, unknown> {
  return new EnvironShape()
}

/**
 * Remove the keys of {@link newEnviron} that a hook left unset (a subclass's `addCgiVars`, a
 * partial `getEnviron`), so no key holds `undefined`. Each key is named: computed keys, or a
 * for-in loop over an object with an accessor, would cost more than building the environ.
 */
export function dropUnset(env: Record<string, unknown>): void {
  if (env['SERVER_PROTOCOL'] === undefined) delete env['SERVER_PROTOCOL']
  if (env['REQUEST_METHOD'] === undefined) delete env['REQUEST_METHOD']
  if (env['SCRIPT_NAME'] === undefined) delete env['SCRIPT_NAME']
  if (env['PATH_INFO'] === undefined) delete env['PATH_INFO']
  if (env['QUERY_STRING'] === undefined) delete env['QUERY_STRING']
  if (env['REMOTE_ADDR'] === undefined) delete env['REMOTE_ADDR']
  if (env['REMOTE_PORT'] === undefined) delete env['REMOTE_PORT']
  if (env['CONTENT_LENGTH'] === undefined) delete env['CONTENT_LENGTH']
  if (env['SERVER_NAME'] === undefined) delete env['SERVER_NAME']
  if (env['SERVER_PORT'] === undefined) delete env['SERVER_PORT']
  if (env['GATEWAY_INTERFACE'] === undefined) delete env['GATEWAY_INTERFACE']
  if (env['REMOTE_HOST'] === undefined) delete env['REMOTE_HOST']
  if (env['wsgi.input'] === undefined) delete env['wsgi.input']
  if (env['wsgi.errors'] === undefined) delete env['wsgi.errors']
  if (env['wsgi.file_wrapper'] === undefined) delete env['wsgi.file_wrapper']
  if (env['wsgi.input_terminated'] === undefined) delete env['wsgi.input_terminated']
  if (env['wsgits.node_request'] === undefined) delete env['wsgits.node_request']
  if (env['wsgits.node_response'] === undefined) delete env['wsgits.node_response']
  if (env['wsgits.add_trailers'] === undefined) delete env['wsgits.add_trailers']
}

/**
 * `Headers` that keeps hold of the list it wraps, so that the hot paths of {@link NodeHandler}
 * read it by index and append `Content-Length` without a lookup. Everything else is `Headers`.
 */
export class ListHeaders extends Headers {
  readonly #list: HeaderList

  constructor(headers?: HeaderList | null) {
    super(headers)
    this.#list = headers ?? []
  }

  /** The wrapped list, when `headers` is a `ListHeaders` (else undefined: use the API). */
  static listOf(headers: Headers): HeaderList | undefined {
    return #list in headers ? headers.#list : undefined
  }
}

/** The request body as `wsgi.input` reads it; remembers whether anyone started reading. */
export class RequestBody implements AsyncIterable<Uint8Array> {
  readonly req: IncomingMessage
  started = false

  constructor(req: IncomingMessage) {
    this.req = req
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    this.started = true
    return new FlowingChunks(this.req)
  }
}

/** True when the request said a body follows: `Transfer-Encoding`, or a non-zero length. */
export function announcesBody(env: Readonly<Record<string, unknown>>): boolean {
  if (env['HTTP_TRANSFER_ENCODING'] !== undefined) return true
  const length = env['CONTENT_LENGTH']
  return typeof length === 'string' && length !== '' && length !== '0'
}

// Sockets already closing the lingering way (a second call changes nothing).
const lingering = new WeakSet<Socket>()

/**
 * Close a connection whose client may still be sending a request body, without losing the
 * response already written: end our side (FIN after the response), keep reading and dropping
 * what arrives (`discard` reads what `wsgi.input` holds on to; else the request is resumed), and
 * destroy the socket once the client is done (its body ended, or its FIN came) or after `ms`.
 *
 * Destroying at once would close a socket with unread bytes, which the kernel answers with a
 * reset, and a client that gets the reset before it read the answer loses the answer (the
 * "lingering close" of RFC 9112 §9.6, as Apache and nginx do it).
 */
export function lingerClose(
  req: IncomingMessage,
  socket: Socket,
  ms: number,
  discard: () => void,
): void {
  if (socket.destroyed || lingering.has(socket)) return
  lingering.add(socket)
  const timer = setTimeout(() => {
    socket.destroy()
  }, ms)
  timer.unref()
  const done = (): void => {
    // Nothing more arrives: the socket closes with nothing unread, once our side is flushed.
    if (socket.writableFinished) socket.destroy()
    else socket.once('finish', () => socket.destroy())
  }
  socket.once('close', () => {
    clearTimeout(timer)
  })
  socket.once('end', done)
  req.once('end', done)
  if (!socket.writableEnded) socket.end()
  req.resume()
  discard()
}

// RFC 9113 §8.2.2: header fields an HTTP/2 message must not carry (lower-case names).
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
])

/**
 * `res.writeHead()` of an HTTP/2 response (the http2 compat API): no reason phrase (Node warns
 * about one), and none of the connection-specific headers HTTP/2 forbids (Node throws on them);
 * they can only come from someone's `res.setHeader()`, as `startResponse` refuses hop-by-hop
 * headers. `Server` (`software`) goes first unless the app sent one, as in wsgiref.
 */
export function writeHead2(
  res: ServerResponse,
  code: number,
  headers: Iterable<readonly [string, string]> | undefined,
  software: string | undefined,
): void {
  for (const name of res.getHeaderNames()) {
    if (CONNECTION_SPECIFIC.has(name)) res.removeHeader(name)
  }
  const flat: string[] = []
  let hasServer = res.hasHeader('server')
  if (headers !== undefined) {
    for (const [name, value] of headers) {
      const lower = name.toLowerCase()
      if (CONNECTION_SPECIFIC.has(lower)) continue
      flat.push(name, value)
      if (lower === 'server') hasServer = true
    }
  }
  if (software !== undefined && !hasServer) flat.unshift('Server', software)
  res.writeHead(code, flat)
}

/** How {@link drainOrClose} drains: the byte budget, the deadline, and the gentle close. */
export interface DrainOptions {
  readonly limit: number
  readonly timeout: number
  /** Close a TCP socket the lingering way (see {@link lingerClose}). */
  readonly linger: (socket: Socket) => void
}

/**
 * After the response: read and drop up to `limit` unread body bytes of `input` so that the
 * connection serves the next request; if the body goes on, close the connection once the
 * response is written (the lingering way); if `timeout` ms pass first, close it at once.
 */
export async function drainOrClose(
  req: IncomingMessage,
  res: ServerResponse,
  input: { discard(max: number): Promise<boolean> },
  options: DrainOptions,
): Promise<void> {
  const socket = req.socket as IncomingMessage['socket'] | null
  // A client that stops sending mid-body would otherwise hold the connection until Node's
  // requestTimeout (300 s): after the deadline the connection is closed, without lingering,
  // since a stalled client has nothing in flight.
  const deadline = { passed: false }
  const timer = setTimeout(() => {
    deadline.passed = true
    closeAfterResponse(res, socket, undefined)
  }, options.timeout)
  timer.unref()
  try {
    await input.discard(options.limit)
  } catch {
    // The client went away or the body was broken: the connection is closed below.
  }
  clearTimeout(timer)
  if (deadline.passed || req.readableEnded) return
  closeAfterResponse(res, socket, options.linger)
}

/**
 * Close the connection once the response is written: a TCP socket with `linger`, else (or without
 * `linger`) with `destroySoon()` (end, then destroy); any other socket (an HTTP/2 stream's, a
 * bridge's synthetic one) is destroyed.
 */
function closeAfterResponse(
  res: ServerResponse,
  socket: IncomingMessage['socket'] | null,
  linger: ((socket: Socket) => void) | undefined,
): void {
  if (socket === null || socket.destroyed) return
  const close = (): void => {
    if (!(socket instanceof NetSocket)) (socket as { destroy(): void }).destroy()
    else if (linger === undefined) NetSocket.prototype.destroySoon.call(socket)
    else linger(socket)
  }
  if (res.writableFinished || res.destroyed) close()
  else res.once('finish', close)
}
