/**
 * The `ctx.body` that `toKoa` hands to Koa: a `Readable` fed by the gateway response body, one
 * chunk at a time, with backpressure.
 *
 * Koa (and any middleware upstream, such as koa-compress) pipes it into the real response; the
 * gateway handler waits whenever the stream's buffer is full, so a slow client holds the
 * application back instead of filling memory.
 *
 * @module
 */
import { Readable } from 'node:stream'

/** The error a feed fails with once the stream is gone; `BaseHandler` takes it as a disconnect. */
export function streamDestroyed(): Error & { code: string } {
  return Object.assign(new Error('Cannot call write after a stream was destroyed'), {
    code: 'ERR_STREAM_DESTROYED',
  })
}

function ignore(): void {
  // The error reaches Koa through its own listeners (Koa 2) or its pipeline (Koa 3); without a
  // listener of ours, a stream destroyed before anyone listened would crash the process.
}

interface Waiter {
  readonly resolve: () => void
  readonly reject: (error: Error) => void
}

/**
 * A `Readable` whose chunks come from {@link BodyStream.feed}. `feed` resolves at once while the
 * buffer has room, and otherwise when the consumer asks for more (`_read`); it rejects with
 * `ERR_STREAM_DESTROYED` once the stream was destroyed (the client went away, or Koa dropped the
 * body).
 */
export class BodyStream extends Readable {
  #waiter: Waiter | undefined = undefined

  constructor(highWaterMark?: number) {
    super(highWaterMark === undefined ? {} : { highWaterMark })
    this.on('error', ignore)
  }

  /** Push `chunk`; the promise (if any) settles when the stream wants more. */
  feed(chunk: Uint8Array): Promise<void> | undefined {
    if (this.destroyed || this.readableEnded) throw streamDestroyed()
    if (this.push(chunk)) return undefined
    return new Promise<void>((resolve, reject) => {
      this.#waiter = { resolve, reject }
    })
  }

  /** End the stream after the chunks already pushed. */
  finish(): void {
    if (!this.destroyed) this.push(null)
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
