/**
 * The four workloads every server in the benchmark answers, and the bytes they use. Shared by the
 * parent (what to send, what to expect back) and the child servers (what to answer).
 *
 * Every server answers the same four paths below its mount (`/m`):
 * - `GET  /m/hello`    13 bytes of text;
 * - `POST /m/echo`     the request body back (64 KiB in the benchmark), read whole first;
 * - `PUT  /m/upload`   counts the body it streams in and answers the count;
 * - `GET  /m/download?n=BYTES` streams BYTES bytes out in 64 KiB chunks.
 *
 * @module
 */

/** The mount prefix every server answers under. */
export const MOUNT = '/m'

/** The hello-world body. */
export const HELLO_TEXT = 'Hello, World!'
/** The hello-world body as bytes. */
export const HELLO = Buffer.from(HELLO_TEXT)

/** The size of the echo body: 64 KiB. */
export const ECHO_SIZE = 64 * 1024
/** The echo request body: 64 KiB of a repeating pattern (so a mix-up of offsets shows). */
export const ECHO_BODY = Buffer.alloc(ECHO_SIZE, 'wsgi-ts-bench:')

/** The chunk size of the streamed transfers. */
export const CHUNK_SIZE = 64 * 1024
/** The one chunk every download sends again and again (its bytes never change). */
export const CHUNK = Buffer.alloc(CHUNK_SIZE, 'x')

/** The content type of an upload: no framework parses it, so every server streams it. */
export const UPLOAD_TYPE = 'application/x-bench-upload'

/**
 * Which workload a path asks for, by its last segment: the same cheap test in every server, so
 * routing costs the same on both sides of a comparison where no framework router is involved.
 *
 * @param {string} path
 * @returns {'hello' | 'echo' | 'upload' | 'download' | undefined}
 */
export function workloadOf(path) {
  if (path.endsWith('/hello')) return 'hello'
  if (path.endsWith('/echo')) return 'echo'
  if (path.endsWith('/upload')) return 'upload'
  if (path.endsWith('/download')) return 'download'
  return undefined
}

/**
 * The byte count a download asks for (`n=` of the query string).
 *
 * @param {string} query the query string, without `?`
 * @returns {number}
 */
export function downloadSize(query) {
  const n = Number(new URLSearchParams(query).get('n'))
  return Number.isSafeInteger(n) && n >= 0 ? n : 0
}

/**
 * The chunks of an `n`-byte download: `CHUNK` again and again, then what is left of it.
 *
 * @param {number} n
 * @returns {Generator<Buffer>}
 */
export function* chunks(n) {
  let left = n
  while (left >= CHUNK_SIZE) {
    left -= CHUNK_SIZE
    yield CHUNK
  }
  if (left > 0) yield CHUNK.subarray(0, left)
}

/**
 * A WHATWG stream of an `n`-byte download, pulled chunk by chunk (for the fetch servers).
 *
 * @param {number} n
 * @returns {ReadableStream<Uint8Array>}
 */
export function chunkStream(n) {
  const source = chunks(n)
  return new ReadableStream({
    pull(controller) {
      const next = source.next()
      if (next.done === true) controller.close()
      else controller.enqueue(next.value)
    },
  })
}

/**
 * The request of a rate workload, for autocannon and for in-process calls.
 *
 * @param {'hello' | 'echo'} workload
 */
export function rateRequest(workload) {
  return workload === 'hello'
    ? { method: 'GET', path: `${MOUNT}/hello`, expectSize: HELLO_TEXT.length }
    : {
        method: 'POST',
        path: `${MOUNT}/echo`,
        body: ECHO_BODY,
        contentType: 'application/octet-stream',
        expectSize: ECHO_BODY.length,
      }
}
