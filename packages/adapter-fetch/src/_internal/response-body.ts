/**
 * A fetch `Response` body as a gateway response body: an async iterable of `Uint8Array` chunks
 * with `close()`.
 *
 * @module
 */
import type { ErrorStream, ResponseBody } from '@wsgi/core/types'

import { toBytes } from './response-shape.ts'
import type { ChunkReader, StreamLike } from './response-shape.ts'

/** What a reader's `read()` settles with. */
type ReadResult = Awaited<ReturnType<ChunkReader['read']>>

const EMPTY = new Uint8Array(0)

/**
 * The chunks of a `ReadableStream` (or of any reader), read one by one as the server asks for
 * them.
 *
 * Nothing is read ahead: the server's `next()` is one `reader.read()`, so a slow client slows the
 * source (backpressure) and memory holds one chunk. `close()` cancels the reader, which reaches
 * the source's `cancel()` (an SSE loop stops) and settles a pending read; it is safe to call
 * more than once and after the end. A stream that errors makes `next()` throw.
 *
 * With `flushFirst`, the first chunk is an empty one: the server sends the head on it (as
 * wsgiref does on an empty first write), so the client has the status and headers while the
 * source has nothing to say yet.
 */
export class StreamResponseBody implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array> {
  #reader: ChunkReader
  #errors: ErrorStream
  #closed = false
  // Reads made before the server started iterating (see responseBody), served first.
  #ahead: Promise<ReadResult>[]
  #flush: boolean

  constructor(
    stream: StreamLike | ChunkReader,
    errors: ErrorStream,
    ahead: Promise<ReadResult>[] = [],
    flushFirst = false,
  ) {
    this.#reader = 'getReader' in stream ? stream.getReader() : stream
    this.#errors = errors
    this.#ahead = ahead
    this.#flush = flushFirst
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#closed) return { done: true, value: undefined }
    if (this.#flush) {
      this.#flush = false
      return { done: false, value: EMPTY }
    }
    const step = await (this.#ahead.shift() ?? this.#reader.read())
    if (step.done) return { done: true, value: undefined }
    return { done: false, value: toBytes(step.value) }
  }

  /** Called by `for await` when the server stops early; the server's `close()` follows. */
  async return(): Promise<IteratorResult<Uint8Array>> {
    await this.close()
    return { done: true, value: undefined }
  }

  /** Cancels the source stream (once); a failing `cancel()` is logged, not thrown. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    // A read made ahead may still fail; its error belongs to nobody now.
    for (const read of this.#ahead) read.catch(ignore)
    this.#ahead = []
    try {
      await this.#reader.cancel()
    } catch (error) {
      this.#errors.write(`Cancelling the fetch response body failed: ${String(error)}\n`)
    }
  }
}

function ignore(): void {
  // See StreamResponseBody#close.
}

// How many microtask turns a body already in memory takes to give a chunk or its end: a string
// or bytes `Response` body takes one on Node 20.
const SOON = 3

/** `read`'s result if it settles within {@link SOON} microtask turns, else undefined. */
async function readSoon(read: Promise<ReadResult>): Promise<ReadResult | undefined> {
  let step: ReadResult | undefined
  let failed: { error: unknown } | undefined
  read.then(
    (result) => {
      step = result
    },
    (error: unknown) => {
      failed = { error }
    },
  )
  for (let turn = 0; turn < SOON && step === undefined && failed === undefined; turn++) {
    await Promise.resolve()
  }
  if (failed !== undefined) throw failed.error
  return step
}

/**
 * The body of a fetch `Response` as a gateway response body.
 *
 * When the body ends right after its first chunk (a `Response` made from a string or bytes, as
 * `c.text()` and `c.json()` make), it is given as a one-item list of that chunk, so the server
 * sends it with the head in one write and a `Content-Length`, as for any one-item list. The
 * chunks and the end are only waited for a few microtask turns: a body that streams on is
 * streamed, holding at most the two chunks read so far, and a body whose first chunk is not
 * there yet (server-sent events, long polling) starts with an empty chunk, so its head goes
 * out at once, as on the framework's own server.
 */
export async function responseBody(
  stream: StreamLike | ChunkReader,
  errors: ErrorStream,
): Promise<ResponseBody> {
  const reader = 'getReader' in stream ? stream.getReader() : stream
  const read = reader.read()
  let first: ReadResult | undefined
  try {
    first = await readSoon(read)
  } catch (error) {
    reader.releaseLock()
    throw error
  }
  if (first === undefined) return new StreamResponseBody(reader, errors, [read], true)
  if (first.done) return emptyBody()
  const chunk = toBytes(first.value)
  const next = reader.read()
  const step = await readSoon(next).catch(() => undefined)
  if (step?.done === true) return [chunk]
  return new StreamResponseBody(reader, errors, [read, next])
}

/** An empty body, for null bodies, HEAD and the null-body statuses. */
export function emptyBody(): ResponseBody {
  return Object.assign([] as Uint8Array[], {
    close(): void {
      // Nothing to release: there was never a source.
    },
  })
}
