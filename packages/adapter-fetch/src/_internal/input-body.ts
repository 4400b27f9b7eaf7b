/**
 * `wsgi.input` as a WHATWG `ReadableStream`: the request body of the `Request` that `fromFetch`
 * hands to a fetch handler.
 *
 * @module
 */
import { concatBytes, readChunk } from '@wsgi/core/streams'
import type { InputStream } from '@wsgi/core/types'

/** Bytes asked of `wsgi.input` per pull, unless `blockSize` says otherwise. */
export const DEFAULT_BLOCK_SIZE: number = 64 * 1024

/**
 * A byte stream over `input` that reads only when its consumer reads.
 *
 * The high-water mark is 0, so `pull()` runs only while a `read()` is pending: nothing is read
 * ahead, a handler that ignores the body leaves `wsgi.input` untouched, and a slow consumer holds
 * back the client (backpressure) with at most one block in flight. `limit` caps the total at
 * `CONTENT_LENGTH`, since PEP 3333 forbids reading past it.
 */
export function inputStream(
  input: InputStream,
  limit: number,
  blockSize: number = DEFAULT_BLOCK_SIZE,
): ReadableStream<Uint8Array> {
  let remaining = limit
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (remaining <= 0) {
          controller.close()
          return
        }
        // Each chunk as the source delivered it where `wsgi.input` can (read1), not joined.
        const chunk = await readChunk(input, Math.min(blockSize, remaining))
        if (chunk.length === 0) {
          controller.close()
          return
        }
        // A server's reader may hand back more than asked for; the cap is PEP 3333's, not ours.
        const kept = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk
        remaining -= kept.length
        controller.enqueue(kept)
        if (remaining <= 0) controller.close()
      },
    },
    { highWaterMark: 0 },
  )
}

/**
 * The whole body {@link inputStream} would deliver, read at once: at most `limit` bytes of
 * `input`, up to its EOF. For a reader that wants it all (`arrayBuffer()`, `text()`): one
 * `read()` of a core `InputReader` fills it in one go, with no stream and no chunk queue.
 */
export async function readWholeInput(input: InputStream, limit: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let total = 0
  // read(size) gives up to `size` bytes; an input that gives fewer before its EOF is read again.
  while (total < limit) {
    const part = await input.read(limit === Infinity ? undefined : limit - total)
    if (part.length === 0) break
    parts.push(part)
    total += part.length
  }
  return concatBytes(parts)
}
