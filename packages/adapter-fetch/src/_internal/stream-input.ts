/**
 * `wsgi.input` over a fetch `Request` body: what `toFetch` hands the gateway application.
 *
 * The reading itself is core's `InputReader`; this module only turns the body into the chunk
 * source it takes.
 *
 * @module
 */
import { InputReader } from '@wsgi/core/streams'

/**
 * The chunks of a byte `ReadableStream` as an async iterable, read with `getReader()`.
 *
 * Node 20's `ReadableStream` is async-iterable, but not every fetch runtime's is (Safari, older
 * Workers), so the reader is used directly. The stream is locked only on the first `next()`, and
 * cancelled if iteration stops before the end.
 */
export async function* readableChunks(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = stream.getReader()
  let ended = false
  try {
    for (;;) {
      const step = await reader.read()
      if (step.done) {
        ended = true
        return
      }
      yield step.value
    }
  } finally {
    // An errored stream rejects cancel(); the read error already reached the caller.
    if (!ended) await reader.cancel().catch(() => undefined)
  }
}

/**
 * An {@link InputReader} over a `Request` body (`null` is an empty body). The stream is read
 * only when the application reads, one chunk at a time.
 */
export function streamInput(body: ReadableStream<Uint8Array> | null, limit?: number): InputReader {
  return new InputReader(
    body === null ? [] : readableChunks(body),
    limit === undefined ? {} : { limit },
  )
}

/**
 * The largest body read in one piece: one block of a streamed read (the 64 KiB a socket read and
 * `fromFetch`'s input stream deliver at most), so reading it whole holds no more memory than
 * streaming it would.
 */
const WHOLE_BODY_MAX = 64 * 1024

/**
 * True when `request` declares a body of at most {@link WHOLE_BODY_MAX} bytes. A declared
 * `Content-Length` is how the host framed the body (Node's parser, Deno, Bun and workerd all
 * read exactly that many bytes), so the whole body is never larger.
 */
function smallBody(request: Request): boolean {
  const length = request.headers.get('content-length')
  if (length === null || length.length === 0 || length.length > 5) return false
  for (let i = 0; i < length.length; i++) {
    const code = length.charCodeAt(i)
    if (code < 0x30 || code > 0x39) return false
  }
  return Number(length) <= WHOLE_BODY_MAX
}

/**
 * The chunks of `request.body`, which is read only when iteration starts: a small body (see
 * {@link smallBody}) in one piece through `request.arrayBuffer()`, any other as a stream.
 *
 * `arrayBuffer()` is the read every runtime makes cheapest: on `@hono/node-server` it takes the
 * bytes straight from Node's request, where `request.body` first builds the real `Request` (its
 * headers, an `AbortController`) and a web stream over the Node stream.
 */
class LazyRequestBody implements AsyncIterable<Uint8Array> {
  readonly #request: Request

  constructor(request: Request) {
    this.#request = request
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const request = this.#request
    if (smallBody(request)) return wholeBody(request)
    const body = request.body
    return body === null ? noChunks() : readableChunks(body)
  }
}

async function* wholeBody(request: Request): AsyncGenerator<Uint8Array, void, undefined> {
  const bytes = new Uint8Array(await request.arrayBuffer())
  if (bytes.length > 0) yield bytes
}

async function* noChunks(): AsyncGenerator<Uint8Array, void, undefined> {
  // A null body: no chunks.
}

/**
 * An {@link InputReader} over the body of `request`, which reads `request.body` only on the
 * first read of the input: on `@hono/node-server`, reading it makes the real `Request` (its
 * headers, its `AbortController`), which a request nobody reads the body of never needs.
 */
export function lazyBodyInput(request: Request, limit?: number): InputReader {
  return new InputReader(new LazyRequestBody(request), limit === undefined ? {} : { limit })
}
