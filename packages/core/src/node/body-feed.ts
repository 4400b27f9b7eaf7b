/**
 * The response body a gateway app hands to a Node framework that sends it itself (Koa's
 * `ctx.body`, Fastify's `reply.send()`): a `Readable` the handler feeds one chunk at a time, with
 * backpressure, and the framework (with whatever middleware wraps it: compression, ETag) pipes to
 * the client. A slow client holds the application back instead of filling memory.
 *
 * @module
 */
import { Readable } from 'node:stream'

import { streamDestroyed } from './handler-support.ts'

function ignore(): void {
  // The framework attaches its own listeners once it takes the stream; this one only keeps an
  // error from before then (a middleware still running) from crashing the process.
}

interface Waiter {
  readonly resolve: () => void
  readonly reject: (error: Error) => void
}

/**
 * A byte `Readable` whose chunks come from {@link BodyFeed.feed}: it returns nothing while the
 * buffer has room, else a promise that settles when the consumer asks for more (`_read`), and
 * fails with `ERR_STREAM_DESTROYED` (which `BaseHandler` reads as "client gone") once the stream
 * was destroyed.
 */
export class BodyFeed extends Readable {
  #waiter: Waiter | undefined = undefined
  #complete = false

  /** @param highWaterMark bytes buffered before {@link feed} waits (Node's default: 64 KiB) */
  constructor(highWaterMark?: number) {
    super(highWaterMark === undefined ? {} : { highWaterMark })
    this.on('error', ignore)
  }

  /**
   * Push `chunk`; `undefined` when the stream can take more at once, else a promise that settles
   * when it can.
   *
   * @throws Error `ERR_STREAM_DESTROYED` once the stream was destroyed or ended.
   */
  feed(chunk: Uint8Array): Promise<void> | undefined {
    if (this.destroyed || this.readableEnded) throw streamDestroyed()
    if (this.push(chunk)) return undefined
    return new Promise<void>((resolve, reject) => {
      this.#waiter = { resolve, reject }
    })
  }

  /** End the stream after the chunks already pushed. */
  finish(): void {
    this.#complete = true
    if (!this.destroyed) this.push(null)
  }

  /** True once {@link finish} was called: every chunk is in. */
  get complete(): boolean {
    return this.#complete
  }

  override _read(_size: number): void {
    const waiter = this.#waiter
    this.#waiter = undefined
    waiter?.resolve()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const waiter = this.#waiter
    this.#waiter = undefined
    waiter?.reject(streamDestroyed())
    callback(error)
  }
}
