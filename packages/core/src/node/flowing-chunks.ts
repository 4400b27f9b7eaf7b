/**
 * The chunks of a Node `Readable` as an async iterator that takes them in flowing mode, as they
 * arrive, instead of through `read()`: what `wsgi.input` reads a Node request body with.
 *
 * Why not `readable.iterator()`: it reads in paused mode, and `read()` with no size hands back
 * everything buffered joined into one new buffer. During an upload the socket runs ahead of the
 * application, so nearly every chunk was copied once more (`fromList` in the profiles), and the
 * iterator's own generator added two promises per chunk. Here each chunk is handed on as the
 * stream emitted it; the stream is paused only while more than its high-water mark waits unread
 * (not per chunk: pausing and resuming a socket for every chunk made its reads smaller and the
 * simple server's upload four times slower), so memory stays bounded by backpressure.
 *
 * @module
 */
import type { Readable } from 'node:stream'

const EMPTY = new Uint8Array(0)
// One end-of-stream result for every caller (frozen: nobody may change what the next one gets).
const DONE: IteratorResult<Uint8Array> = Object.freeze({ value: undefined, done: true })

/** A `next()` waiting for a chunk. */
interface Waiter {
  resolve: (result: IteratorResult<Uint8Array>) => void
  reject: (error: Error) => void
}

/** The error of a stream that closed before its end, as Node's own iterator gives it. */
function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })
}

/**
 * One reader of `stream`'s chunks. `return()` stops reading and leaves the stream paused with
 * what it holds (never destroyed: a handler that stops at an input limit still answers 413 on
 * the same connection).
 */
export class FlowingChunks implements AsyncIterator<Uint8Array> {
  readonly #stream: Readable
  readonly #limit: number
  #queue: Uint8Array[] = []
  #head = 0
  #queued = 0
  #ended = false
  #error: Error | undefined = undefined
  // Calls of next() not yet answered, in order: a body can have two readers at once (a bridge's
  // synthetic request still pulling while the handler drains what is left), as Node's own
  // iterator allows.
  #waiters: Waiter[] = []
  #paused = false

  constructor(stream: Readable) {
    this.#stream = stream
    this.#limit = stream.readableHighWaterMark
    stream.on('data', this.#onData)
    stream.on('end', this.#onEnd)
    stream.on('error', this.#onError)
    stream.on('close', this.#onClose)
    // A stream something paused before (a host that peeked at it) starts flowing here.
    if (stream.isPaused()) stream.resume()
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.#queue[this.#head]
    if (chunk !== undefined) {
      this.#queue[this.#head++] = EMPTY
      if (this.#head === this.#queue.length) {
        this.#queue.length = 0
        this.#head = 0
      }
      this.#queued -= chunk.length
      if (this.#paused && this.#queued < this.#limit) {
        this.#paused = false
        this.#stream.resume()
      }
      return Promise.resolve({ value: chunk, done: false })
    }
    if (this.#error !== undefined) return Promise.reject(this.#error)
    if (this.#ended) return Promise.resolve(DONE)
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject })
    })
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.#detach()
    this.#stream.pause()
    this.#ended = true
    this.#queue = []
    this.#queued = 0
    this.#settleWaiters((waiter) => {
      waiter.resolve(DONE)
    })
    return Promise.resolve(DONE)
  }

  #onData = (chunk: Uint8Array): void => {
    const waiter = this.#waiters.shift()
    if (waiter !== undefined) {
      waiter.resolve({ value: chunk, done: false })
      return
    }
    this.#queue.push(chunk)
    this.#queued += chunk.length
    if (!this.#paused && this.#queued >= this.#limit) {
      this.#paused = true
      this.#stream.pause()
    }
  }

  #onEnd = (): void => {
    this.#ended = true
    this.#detach()
    this.#settleWaiters((waiter) => {
      waiter.resolve(DONE)
    })
  }

  #onError = (error: Error): void => {
    this.#fail(error)
  }

  #onClose = (): void => {
    // Closed without its end and without an error of its own: the client went away.
    if (!this.#ended && this.#error === undefined) this.#fail(prematureClose())
  }

  #fail(error: Error): void {
    this.#error = error
    this.#detach()
    this.#settleWaiters((waiter) => {
      waiter.reject(error)
    })
  }

  /** Answer every waiting `next()` (the stream ended, failed, or reading stopped). */
  #settleWaiters(settle: (waiter: Waiter) => void): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) settle(waiter)
  }

  #detach(): void {
    const stream = this.#stream
    stream.off('data', this.#onData)
    stream.off('end', this.#onEnd)
    stream.off('error', this.#onError)
    stream.off('close', this.#onClose)
  }
}
