/**
 * A fetch `Response` body as a gateway response body: an async iterable of `Uint8Array` chunks
 * with `close()`.
 *
 * @module
 */
import { WSGIError, describe } from '@wsgi/core/errors'
import type { ErrorStream, ResponseBody } from '@wsgi/core/types'

/**
 * The chunks of a `ReadableStream`, read one by one as the server asks for them.
 *
 * Nothing is read ahead: the server's `next()` is one `reader.read()`, so a slow client slows the
 * source (backpressure) and memory holds one chunk. `close()` cancels the reader, which reaches
 * the source's `cancel()` (an SSE loop stops) and settles a pending read; it is safe to call
 * more than once and after the end. A stream that errors makes `next()` throw.
 */
export class StreamResponseBody implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array> {
  #reader: ReadableStreamDefaultReader<Uint8Array>
  #errors: ErrorStream
  #closed = false

  constructor(stream: ReadableStream<Uint8Array>, errors: ErrorStream) {
    this.#reader = stream.getReader()
    this.#errors = errors
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#closed) return { done: true, value: undefined }
    const step = await this.#reader.read()
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
    try {
      await this.#reader.cancel()
    } catch (error) {
      this.#errors.write(`Cancelling the fetch response body failed: ${String(error)}\n`)
    }
  }
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
