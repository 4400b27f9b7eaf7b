/**
 * The response body a gateway app hands to Fastify: a `Readable` that the handler pushes chunks
 * into and Fastify pipes to the client (`reply.send(stream)`), so `onSend` hooks see it and can
 * wrap it (compression, say).
 *
 * @module
 */
import { Readable } from 'node:stream'

/** The error a write meets once the stream is gone: a code `BaseHandler` reads as "client gone". */
export function streamDestroyed(): Error {
  return Object.assign(new Error('Cannot call write after a stream was destroyed'), {
    code: 'ERR_STREAM_DESTROYED',
  })
}

function ignore(): void {
  // Fastify attaches its own listeners; this one only keeps an early error from being unhandled.
}

/**
 * A byte `Readable` fed from the gateway side with backpressure: {@link GatewayBody.send} resolves
 * at once while the stream's buffer is below its high-water mark, else when the consumer asks for
 * more (`_read`), and rejects with `ERR_STREAM_DESTROYED` when the stream is destroyed first.
 */
export class GatewayBody extends Readable {
  #waiting: { resolve(): void; reject(error: Error): void } | undefined = undefined
  #complete = false

  constructor(highWaterMark = 65536) {
    super({ highWaterMark })
    // An error before Fastify piped the stream (an onSend hook still running) must not crash the
    // process; Fastify's own listener reports it once it takes the stream.
    this.on('error', ignore)
  }

  /** Push one chunk; resolves when the stream can take more. */
  send(chunk: Uint8Array): Promise<void> {
    if (this.destroyed) return Promise.reject(streamDestroyed())
    if (this.push(chunk)) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.#waiting = { resolve, reject }
    })
  }

  /** No more chunks. */
  finish(): void {
    this.#complete = true
    if (!this.destroyed) this.push(null)
  }

  /** True once {@link GatewayBody.finish} was called: every chunk is in. */
  get complete(): boolean {
    return this.#complete
  }

  override _read(): void {
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting?.resolve()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting?.reject(streamDestroyed())
    callback(error)
  }
}
