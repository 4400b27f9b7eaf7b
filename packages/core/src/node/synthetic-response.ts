/**
 * The response side of `fromNodeListener`: a real `http.ServerResponse` on a
 * {@link SyntheticSocket}, and the gateway body that reads what Node writes to that socket.
 *
 * Node's own code provides `writeHead`, `setHeader`, `flushHeaders`, `addTrailers`, HEAD/204/304
 * handling, `'drain'`, `'finish'` and `'close'`. This module only reads the socket:
 *
 * - The head is exactly `res._header` (Node writes it in front of the first body bytes, or alone
 *   on `flushHeaders()`/`end()`), parsed once into a status and a header list
 *   (`synthetic-head.ts`). Hop-by-hop headers (`Connection` and what it names, `Keep-Alive`,
 *   `Transfer-Encoding`, `TE`, `Trailers`, `Upgrade`, `Proxy-*`) are dropped. `Date` is kept: it is the listener's, and servers such as
 *   wsgiref add their own only when none is given. `Trailer` is kept only when the server can send
 *   trailers (`environ['wsgits.add_trailers']`). Interim 1xx responses (`writeContinue`,
 *   `writeEarlyHints`) are dropped: the gateway interface has no way to send them.
 * - The body is de-chunked when `res.chunkedEncoding` is set, and yielded chunk by chunk as the
 *   listener writes it; an empty chunk right after a head that came alone makes the server send
 *   the headers at once (server-sent events).
 * - Each socket write's callback is held until the consumer has pulled that write's bytes, so a
 *   slow consumer makes `res.write()` return `false` and `'drain'` follows when it catches up.
 *
 * @module
 */

import { Buffer } from 'node:buffer'
import { ServerResponse } from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'

import { toError } from '../errors.ts'
import type { ErrorStream, HeaderList, WSGIEnvironment } from '../types.ts'
import { NODE_RESPONSE_KEY } from './extension-environ.ts'
import { ChunkedDecoder } from './from-chunked.ts'
import type { ChunkedSink } from './from-chunked.ts'
import { isHeadWrite, isInterimWrite, parseHead, parseTrailers } from './synthetic-head.ts'
import type { ResponseHead } from './synthetic-head.ts'
import { abortedError, bodySourceOf } from './synthetic-request.ts'
import { findNeedDrainSymbol } from './synthetic-socket.ts'
import type { SocketSink, SyntheticSocket } from './synthetic-socket.ts'

const kBody: unique symbol = Symbol('kBody')

/**
 * The parts of Node's `ServerResponse`/`IncomingMessage` read here: Node internals, present in
 * every Node version this package supports.
 */
interface ServerResponseInternals {
  _header: string | null
  [kBody]?: ListenerResponseBody
}
interface IncomingMessageInternals {
  _consuming: boolean
  _readableState: { resumeScheduled: boolean }
  _dump(): void
}

const EMPTY = new Uint8Array(0)
const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined }

/**
 * Creates the `ServerResponse` for `req`, as Node's server does for each request.
 */
export function createResponse(req: IncomingMessage): ServerResponse {
  const res = new ServerResponse(req)
  findNeedDrainSymbol(res)
  if (req.httpVersionMajor >= 2) {
    // Node's ServerResponse turns chunking off whenever the minor version is 0, which would catch
    // HTTP/2.0 too; chunking is internal to this bridge, so keep it (and with it trailers).
    res.useChunkedEncodingByDefault = true
    res.shouldKeepAlive = true
  }
  return res
}

function onResponseFinish(this: ServerResponse): void {
  ;(this as ServerResponse & ServerResponseInternals)[kBody]?.responseFinished()
}

interface Waiter {
  resolve(result: IteratorResult<Uint8Array>): void
  reject(error: Error): void
}

/**
 * The gateway response body of one `fromNodeListener` request, and the sink of its socket.
 *
 * Iterate it to get the body bytes as the listener writes them. {@link head} settles once Node
 * has rendered and written the response head. `close()` is idempotent; before the response
 * finished it destroys the socket, which the listener sees as a client that went away (`req`
 * `'aborted'`/`'close'`, `res` `'close'` without `'finish'`).
 */
export class ListenerResponseBody
  implements AsyncIterableIterator<Uint8Array>, SocketSink, ChunkedSink
{
  /** Resolves with the head as soon as Node wrote it; rejects if the exchange fails first. */
  readonly head: Promise<ResponseHead>
  #environ: WSGIEnvironment
  #req: IncomingMessage
  #res: ServerResponse
  #socket: SyntheticSocket
  #signal: AbortSignal | undefined
  #native: ServerResponse | undefined
  #resolveHead: (head: ResponseHead) => void = noop
  #rejectHead: (error: Error) => void = noop
  #headKnown = false
  #decoder: ChunkedDecoder | null = null
  #needEmpty = false
  #queue: Uint8Array[] = []
  #held: ((error?: Error | null) => void) | null = null
  #waiter: Waiter | null = null
  #finished = false
  #closed = false
  #done = false
  #error: Error | null = null
  // The socket was destroyed by this object (see #cut), not by the listener.
  #cutHere = false

  /**
   * @param native - the native response of core's Node bridge, when `environ['wsgits.signal']`
   *   is its unread lazy accessor (`unreadSignalResponse`): its `'close'` is then watched
   *   instead of the signal, which is never made.
   */
  constructor(
    environ: WSGIEnvironment,
    req: IncomingMessage,
    res: ServerResponse,
    socket: SyntheticSocket,
    native?: ServerResponse,
  ) {
    this.head = new Promise<ResponseHead>((resolve, reject) => {
      this.#resolveHead = resolve
      this.#rejectHead = reject
    })
    this.#environ = environ
    this.#req = req
    this.#res = res
    this.#socket = socket
    this.#native = native
    ;(res as ServerResponse & ServerResponseInternals)[kBody] = this
    socket.sink = this
    // The order of Node's server: socket listeners first, then assignSocket, then 'finish'.
    res.assignSocket(socket as unknown as Socket)
    res.on('finish', onResponseFinish)
    if (native !== undefined) {
      // The native response's 'close' before its end is when the signal would fire. The
      // listener is not removed later: once this exchange is over it does nothing, and the
      // native response lives no longer than its request.
      native.on('close', this.#onNativeClose)
      return
    }
    const signal = environ['wsgits.signal']
    if (signal !== undefined) {
      this.#signal = signal
      signal.addEventListener('abort', this)
    }
  }

  readonly #onNativeClose = (): void => {
    const native = this.#native
    if (native !== undefined && !native.writableEnded && !this.#finished) {
      this.#cut(abortedError())
    }
  };

  [Symbol.asyncIterator](): this {
    return this
  }

  /** Resolves with the next chunk the listener wrote; rejects if the exchange broke. */
  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#done) return Promise.resolve(DONE)
    if (this.#error === null) {
      const chunk = this.#queue.shift()
      if (chunk !== undefined) return Promise.resolve({ done: false, value: chunk })
    }
    if (this.#waiter !== null) {
      return Promise.reject(new Error('next() called again before the previous call settled'))
    }
    return new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
      this.#waiter = { resolve, reject }
      this.#settle()
    })
  }

  /** Stops the iteration early (a `for await` that breaks): the same as {@link close}. */
  return(): Promise<IteratorResult<Uint8Array>> {
    this.close()
    this.#done = true
    return Promise.resolve(DONE)
  }

  /**
   * Ends the exchange; called by the server exactly once. Idempotent. If the response has not
   * finished, the socket is destroyed as when a client disconnects.
   */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#removeSignal()
    if (!this.#finished) this.#cut()
    this.#settle()
  }

  /** `'abort'` of `environ['wsgits.signal']`: the client went away. */
  handleEvent(_event: Event): void {
    if (!this.#finished) this.#cut(abortedError(this.#signal?.reason))
  }

  /**
   * The listener failed (threw, or its promise rejected). Before the response finished this
   * destroys the socket with the error, so it reaches the gateway: as the rejection of
   * {@link head}, or thrown by the iterator once the head was sent. Afterwards it can only be
   * logged to `wsgi.errors`.
   */
  fail(error: unknown): void {
    const err = toError(error)
    if (this.#finished || this.#socket.destroyed) {
      const errors = this.#environ['wsgi.errors'] as Partial<ErrorStream> | undefined
      const detail = err.stack ?? String(err)
      errors?.write?.(`fromNodeListener: the listener failed after the exchange ended: ${detail}\n`)
      return
    }
    this.#cut(err)
  }

  /**
   * The whole body, when the listener has already ended a response whose head says
   * `Content-Length: length` (not 0; no chunking, so no trailers) and that many bytes are all it
   * wrote; undefined otherwise, and the body streams as before. What Node still holds of the
   * response is pulled first, as a consumer would pull it, so the response finishes here. Taking
   * the body whole lets a host send it as its own one-chunk body (Koa's `Buffer` body, Fastify's
   * `reply.send(buffer)`, `res.end(chunk)`) instead of piping a stream of one chunk. The bytes
   * are the same either way: the head carries the length in both.
   */
  takeWhole(length: number): Uint8Array | undefined {
    if (length <= 0 || this.#decoder !== null || !this.#res.writableEnded) return undefined
    while (this.#held !== null && this.#error === null) this.#releaseHeld(this.#held)
    const queue = this.#queue
    if (!this.#finished || this.#error !== null || this.#closed) return undefined
    let size = 0
    for (const chunk of queue) size += chunk.length
    if (size !== length) return undefined
    const whole = queue.length === 1 ? queue[0] : Buffer.concat(queue, size)
    queue.length = 0
    this.#done = true
    return whole ?? EMPTY
  }

  // SocketSink ------------------------------------------------------------------------------

  /** @internal */
  accept(chunk: Buffer | string, encoding: BufferEncoding): void {
    if (this.#finished || this.#error !== null) return
    try {
      let rest: Buffer | string | null = chunk
      if (!this.#headKnown) rest = this.#acceptHead(chunk)
      if (rest === null) return
      if (this.#decoder !== null) this.#decoder.write(rest, encoding)
      else if (rest.length > 0)
        this.pushBody(typeof rest === 'string' ? Buffer.from(rest, encoding) : rest)
    } catch (error) {
      this.#cut(toError(error))
    }
  }

  /** @internal */
  hold(callback: (error?: Error | null) => void): void {
    if (!this.#headKnown) {
      // Nobody can pull before the head is known (interim 1xx responses): take the next write.
      callback()
      return
    }
    if (this.#socket.destroyed) {
      process.nextTick(callback, this.#error ?? abortedError())
      return
    }
    this.#held = callback
    this.#settle()
  }

  // Destroy the socket for a reason of this exchange's own (the server's close, a client that
  // left, the listener's throw, a bad write), as opposed to the listener destroying it.
  #cut(error?: Error): void {
    this.#cutHere = true
    this.#socket.destroy(error)
  }

  /** @internal */
  socketDestroyed(error: Error | null): void {
    if (this.#finished) return
    // Destroyed not by close() nor for a client that left: the listener cut its own exchange
    // (`res.destroy()`, `req.socket.destroy()`, with an error or not). Under Node's own server
    // that cuts the client's connection; so it does under core's Node bridge (the native
    // response goes too), as on the pass-through. Without an error the server then sees a
    // client that left (nothing answered or logged); with one, the error is logged. Elsewhere
    // the exchange fails as a listener error (a 500 before the head).
    if (!this.#cutHere) {
      const native = this.#environ[NODE_RESPONSE_KEY] as ServerResponse | undefined
      if (native !== undefined && !native.destroyed) native.destroy()
    }
    // Keeps Node from emitting 'finish' for a response that was cut short.
    this.#socket._hadError = true
    const reason = error ?? abortedError()
    const held = this.#held
    if (held !== null) {
      this.#held = null
      process.nextTick(held, reason)
    }
    this.#queue.length = 0
    this.#removeSignal()
    if (!this.#headKnown) this.#rejectHead(reason)
    else if (!this.#closed) this.#error = reason
    this.#settle()
  }

  /** @internal */
  socketClosed(): void {
    // Node's abortIncoming: a request whose response never finished is aborted.
    if (!this.#finished && !this.#req.destroyed) this.#req.destroy(abortedError())
  }

  /** @internal */
  pushBody(data: Uint8Array): void {
    if (data.length === 0) return
    this.#needEmpty = false
    this.#queue.push(data)
  }

  /** @internal Called on the response's `'finish'`. */
  responseFinished(): void {
    if (this.#finished) return
    this.#finished = true
    this.#removeSignal()
    // As Node's resOnFinish: a body nobody started to read is dumped. Here without reading the
    // rest of wsgi.input: what is left there is the server's to drain or discard.
    const req = this.#req as IncomingMessage & IncomingMessageInternals
    if (!req._consuming && !req._readableState.resumeScheduled) {
      bodySourceOf(req)?.stop()
      req._dump()
    }
    // No keep-alive on a synthetic connection: closing it makes the response emit 'close'. Not
    // synchronously: 'finish' runs inside the socket's write callback, and a stream destroyed
    // there builds an ERR_STREAM_DESTROYED for nobody (a stack trace per request).
    process.nextTick(destroySocket, this.#socket)
    this.#settle()
  }

  #acceptHead(chunk: Buffer | string): Buffer | string | null {
    const header = (this.#res as ServerResponse & ServerResponseInternals)._header
    if (header !== null && isHeadWrite(chunk, header)) {
      this.#headKnown = true
      if (this.#res.chunkedEncoding) this.#decoder = new ChunkedDecoder(this)
      this.#needEmpty = true
      const keepTrailer = typeof this.#environ['wsgits.add_trailers'] === 'function'
      this.#resolveHead(parseHead(header, keepTrailer))
      if (chunk.length === header.length) return null
      return typeof chunk === 'string' ? chunk.slice(header.length) : chunk.subarray(header.length)
    }
    // writeContinue/writeProcessing/writeEarlyHints write a whole interim response at once.
    if (isInterimWrite(chunk)) return null
    throw new Error('fromNodeListener: bytes were written to the socket before the response head')
  }

  /** Hands the waiting consumer what it can get: a chunk, the end, or the error. */
  #settle(): void {
    while (this.#waiter !== null) {
      const waiter = this.#waiter
      if (this.#error !== null) {
        this.#waiter = null
        this.#done = true
        waiter.reject(this.#error)
        return
      }
      const chunk = this.#queue.shift()
      if (chunk !== undefined) {
        this.#waiter = null
        waiter.resolve({ done: false, value: chunk })
        return
      }
      const held = this.#held
      if (held !== null) {
        // Everything of the last write was pulled: let the socket take the next one. This may
        // write more, finish the response or emit 'drain' synchronously, so look again.
        this.#releaseHeld(held)
        continue
      }
      if (this.#finished || this.#closed) {
        this.#waiter = null
        this.#done = true
        this.#end(waiter)
      } else if (this.#needEmpty) {
        // The listener wrote a head and, for now, nothing more: an empty chunk makes the server
        // send the head at once (server-sent events). Decided here, once everything Node had
        // to write went out, so that a response that ended with its head (res.end() without a
        // body) gets no lone flush: the server sends it whole, and Node's flushHeaders() (which
        // writes the head as UTF-8, mangling latin-1 header values) is not called for it.
        this.#needEmpty = false
        this.#waiter = null
        waiter.resolve({ done: false, value: EMPTY })
      }
      return
    }
  }

  // Call the held write callback: the socket takes its next write (or Node finishes the
  // response), perhaps synchronously.
  #releaseHeld(held: (error?: Error | null) => void): void {
    this.#held = null
    try {
      held()
    } catch (error) {
      // A listener's 'drain' or write callback threw: the exchange is broken.
      this.#cut(toError(error))
    }
  }

  #end(waiter: Waiter): void {
    const trailers = this.#decoder?.trailers ?? ''
    const addTrailers = this.#environ['wsgits.add_trailers']
    if (this.#finished && trailers !== '' && typeof addTrailers === 'function') {
      try {
        // Only a trailer-capable server provides this; without it the trailers are dropped.
        ;(addTrailers as (trailers: HeaderList) => void)(parseTrailers(trailers))
      } catch (error) {
        waiter.reject(toError(error))
        return
      }
    }
    waiter.resolve(DONE)
  }

  #removeSignal(): void {
    const signal = this.#signal
    if (signal === undefined) return
    this.#signal = undefined
    signal.removeEventListener('abort', this)
  }
}

function destroySocket(socket: SyntheticSocket): void {
  socket.destroy()
}

function noop(): void {
  // Placeholder until the head promise's executor has run (it runs synchronously).
}
