/**
 * A fetch `Response` body as a gateway response body: an async iterable of `Uint8Array` chunks
 * with `close()`.
 *
 * @module
 */
import { WSGIError, describe } from '@wsgi/core/errors'
import type { ErrorStream, ResponseBody } from '@wsgi/core/types'

/** What a stream reader's `read()` settles with. */
type ReadResult = Awaited<ReturnType<ReadableStreamDefaultReader<unknown>['read']>>

/**
 * The chunks of a `ReadableStream`, read one by one as the server asks for them.
 *
 * Nothing is read ahead: the server's `next()` is one `reader.read()`, so a slow client slows the
 * source (backpressure) and memory holds one chunk. `close()` cancels the reader, which reaches
 * the source's `cancel()` (an SSE loop stops) and settles a pending read; it is safe to call
 * more than once and after the end. A stream that errors makes `next()` throw.
 */
export class StreamResponseBody implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array> {
  #reader: ReadableStreamDefaultReader<unknown>
  #errors: ErrorStream
  #closed = false
  // Reads made before the server started iterating (see responseBody), served first.
  #ahead: Promise<ReadResult>[]

  constructor(
    stream: ReadableStream<Uint8Array> | ReadableStreamDefaultReader<unknown>,
    errors: ErrorStream,
    ahead: Promise<ReadResult>[] = [],
  ) {
    this.#reader = 'getReader' in stream ? stream.getReader() : stream
    this.#errors = errors
    this.#ahead = ahead
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#closed) return { done: true, value: undefined }
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

// How many microtask turns a body already in memory takes to report its end after its last
// chunk: a string or bytes `Response` body takes one or two on Node 20.
const SOON = 3

/**
 * The body of a fetch `Response` as a gateway response body.
 *
 * When the body ends right after its first chunk (a `Response` made from a string or bytes, as
 * `c.text()` and `c.json()` make), it is given as a one-item list of that chunk, so the server
 * sends it with the head in one write and a `Content-Length`, as for any one-item list. Waiting
 * for the first chunk delays nothing (a server sends the head with the first chunk anyway), and
 * the end is only waited for a few microtask turns: a body that streams on is streamed, holding
 * at most the two chunks read so far.
 */
export async function responseBody(
  stream: ReadableStream<Uint8Array>,
  errors: ErrorStream,
): Promise<ResponseBody> {
  const reader = stream.getReader()
  let first: ReadResult
  try {
    first = await reader.read()
  } catch (error) {
    reader.releaseLock()
    throw error
  }
  if (first.done) return emptyBody()
  const chunk = toBytes(first.value)
  const next = reader.read()
  let step: ReadResult | undefined
  next.then((result) => {
    step = result
  }, ignore)
  for (let turn = 0; turn < SOON && step === undefined; turn++) await Promise.resolve()
  if (step?.done === true) return [chunk]
  return new StreamResponseBody(reader, errors, [Promise.resolve(first), next])
}

/** An empty body, for null bodies, HEAD and the null-body statuses. */
export function emptyBody(): ResponseBody {
  return Object.assign([] as Uint8Array[], {
    close(): void {
      // Nothing to release: there was never a source.
    },
  })
}

/**
 * A stream chunk as bytes. `Response.body` yields `Uint8Array` by spec, but a handler can wrap a
 * stream of anything in a `Response`; other views are re-viewed, everything else is refused.
 *
 * @throws WSGIError `ERR_WSGI_INVALID_BODY_CHUNK` for a chunk that is not bytes.
 */
function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk
  if (ArrayBuffer.isView(chunk))
    return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk)
  throw new WSGIError(
    'ERR_WSGI_INVALID_BODY_CHUNK',
    `The fetch response body yielded ${describe(chunk)}, not bytes`,
  )
}
