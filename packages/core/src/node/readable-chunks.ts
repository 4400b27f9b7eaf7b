/**
 * `readableChunks(stream)`: the chunks of a Node `Readable` (a request body) as an async
 * iterator that hands each chunk over as the stream produced it, for core's `InputReader`.
 *
 * Node's own iterator (`stream[Symbol.asyncIterator]()`, `stream.iterator()`) is an async
 * generator over `stream.read()`: every chunk costs the generator's promises and a `'readable'`
 * wake-up, and whenever more than one chunk waits in the stream's buffer, `read()` joins them
 * into a new buffer (a copy of the body on every slow turn of the reader). This one listens for
 * `'data'` and pauses the stream while it holds `highWaterMark` bytes nobody asked for: a chunk
 * that comes while the reader waits goes straight to it, none is copied, and memory stays bounded
 * (at most `highWaterMark` bytes here plus the stream's own buffer, which then fills and stops
 * the socket). Ends, errors and premature closes are those of `stream.finished()`, as with
 * Node's iterator; `return()` stops listening, pauses the stream and gives back what it held
 * (`unshift`), without destroying it (as `iterator({ destroyOnReturn: false })`).
 *
 * @module
 */
import { finished } from 'node:stream'
import type { Readable } from 'node:stream'

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined }
const EMPTY = new Uint8Array(0)

/** Who waits for the next chunk. */
interface Waiter {
  readonly resolve: (result: IteratorResult<Uint8Array>) => void
  readonly reject: (error: unknown) => void
}

/**
 * True when `stream` may be read through {@link readableChunks}: nobody chose a reading mode yet
 * (no `'data'` or `'readable'` listener, no `pause()`). Otherwise Node's iterator, which reads
 * whatever the mode, is the safe choice.
 */
export function chunksReadable(stream: Readable): boolean {
  return stream.readableFlowing === null && stream.listenerCount('readable') === 0
}

/**
 * The chunks of `stream`, each as it came (see the module notes). Call it once per stream; the
 * iterator takes over the stream's `'data'` events.
 */
export function readableChunks(stream: Readable): AsyncIterator<Uint8Array> {
  return new ReadableChunks(stream)
}

class ReadableChunks implements AsyncIterator<Uint8Array> {
  readonly #stream: Readable
  readonly #highWaterMark: number
  #chunks: Uint8Array[] = []
  #queued = 0
  #paused = false
  /** `undefined` while the stream goes on, `null` once it ended, else its error. */
  #end: Error | null | undefined = undefined
  // Those waiting for a chunk, first come first served: as with an async generator, next() may
  // be called again before the last call settled (two readers of one `wsgi.input`).
  #waiters: Waiter[] = []
  readonly #stopFinished: () => void

  constructor(stream: Readable) {
    this.#stream = stream
    this.#highWaterMark = Math.max(stream.readableHighWaterMark, 1)
    this.#stopFinished = finished(stream, { writable: false }, (error) => {
      this.#finish(error ?? null)
    })
    stream.on('data', this.#onData)
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#end instanceof Error) return Promise.reject(this.#end)
    const chunks = this.#chunks
    if (chunks.length > 0) {
      const value = chunks.shift() ?? EMPTY
      this.#queued -= value.length
      if (this.#paused && this.#queued < this.#highWaterMark) {
        this.#paused = false
        this.#stream.resume()
      }
      return Promise.resolve({ done: false, value })
    }
    if (this.#end === null) return Promise.resolve(DONE)
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject })
    })
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    if (this.#end === undefined) {
      const stream = this.#stream
      this.#end = null
      this.#detach()
      stream.pause()
      // What the reader never took goes back to the stream, for whoever reads it next.
      const chunks = this.#chunks
      for (let i = chunks.length - 1; i >= 0; i--) stream.unshift(chunks[i])
    }
    this.#chunks = []
    this.#queued = 0
    this.#settle()
    return Promise.resolve(DONE)
  }

  readonly #onData = (chunk: Uint8Array): void => {
    // Someone waits only while nothing is queued: the chunk goes straight to the first.
    const waiter = this.#waiters.shift()
    if (waiter !== undefined) {
      waiter.resolve({ done: false, value: chunk })
      return
    }
    this.#chunks.push(chunk)
    this.#queued += chunk.length
    if (!this.#paused && this.#queued >= this.#highWaterMark) {
      this.#paused = true
      this.#stream.pause()
    }
  }

  #finish(end: Error | null): void {
    if (this.#end !== undefined) return
    this.#end = end
    this.#detach()
    // As Node's iterator: once the stream failed, what it still held is not handed out.
    if (end !== null) {
      this.#chunks = []
      this.#queued = 0
    }
    this.#settle()
  }

  /** Answer every waiting `next()` now that the stream ended (or failed, or the reader left). */
  #settle(): void {
    const waiters = this.#waiters
    if (waiters.length === 0) return
    this.#waiters = []
    const end = this.#end
    for (const waiter of waiters) {
      if (end instanceof Error) waiter.reject(end)
      else waiter.resolve(DONE)
    }
  }

  #detach(): void {
    this.#stream.off('data', this.#onData)
    this.#stopFinished()
  }
}
