/**
 * What `fromFetch` accepts as a `Response`: anything with its shape, whichever fetch made it (the
 * global one, the `undici` package, `node-fetch`, `@whatwg-node/fetch`, another realm, a test
 * environment's polyfill). Decided by duck typing, never `instanceof`: each of those has its own
 * `Response` class, and a handler's answer is no less a response for coming from another one.
 *
 * @module
 */
import { WSGIError, describe } from '@wsgi/core/errors'

/**
 * The part of a `Headers` read here. Each implementation has `get()`; the pairs come from
 * iteration (`entries()` or `[Symbol.iterator]`, as the fetch spec has it) or from `forEach()`.
 */
export interface HeadersLike {
  get(name: string): unknown
  forEach?(callback: (value: unknown, name: string) => void): void
  entries?(): Iterator<readonly [string, unknown]>
  [Symbol.iterator]?(): Iterator<readonly [string, unknown]>
  /** fetch's own (Node 19.7+, undici, Deno, Bun): each `Set-Cookie` apart. */
  getSetCookie?(): string[]
  /** node-fetch's: every field with its values apart. */
  raw?(): Record<string, string[]>
}

/** A `ReadableStream` as read here: by its reader. */
export interface StreamLike {
  getReader(): ChunkReader
}

/** The part of a stream reader read here; an async iterable body is wrapped in one. */
export interface ChunkReader {
  read(): Promise<{ done: boolean; value?: unknown }>
  cancel(reason?: unknown): Promise<void>
  releaseLock(): void
}

/** A `Response` as `fromFetch` reads it. */
export interface ResponseLike {
  readonly status: number
  readonly statusText?: unknown
  readonly type?: unknown
  readonly headers: HeadersLike
  readonly body: StreamLike | AsyncIterable<unknown> | null | undefined
}

function isObject(value: unknown): value is Record<PropertyKey, unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null
}

function isHeadersLike(value: unknown): value is HeadersLike {
  if (!isObject(value) || typeof value['get'] !== 'function') return false
  return (
    typeof value['forEach'] === 'function' ||
    typeof value['entries'] === 'function' ||
    typeof value[Symbol.iterator] === 'function'
  )
}

function isStreamLike(value: unknown): value is StreamLike {
  return isObject(value) && typeof value['getReader'] === 'function'
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return isObject(value) && typeof value[Symbol.asyncIterator] === 'function'
}

/**
 * True for anything with the shape of a `Response`: a three-digit integer `status`, `headers`
 * with `get()` and a way to list them, a `body` that is null, a stream with `getReader()` or an
 * async iterable (node-fetch's Node stream), and, where it has a brand (`Symbol.toStringTag`),
 * the brand `Response`.
 */
export function isResponseLike(value: unknown): value is ResponseLike {
  if (!isObject(value)) return false
  const tag: unknown = value[Symbol.toStringTag]
  if (tag !== undefined && tag !== 'Response') return false
  const status = value['status']
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 999) {
    return false
  }
  if (!isHeadersLike(value['headers'])) return false
  const body = value['body']
  return body == null || isStreamLike(body) || isAsyncIterable(body)
}

/** A reader over an async iterable (a Node stream body, a generator), as a stream's would be. */
function iterableReader(iterable: AsyncIterable<unknown>): ChunkReader {
  const iterator = iterable[Symbol.asyncIterator]()
  return {
    async read() {
      const step = await iterator.next()
      return step.done === true ? { done: true } : { done: false, value: step.value }
    },
    async cancel() {
      await iterator.return?.()
    },
    releaseLock() {
      // Nothing holds the iterable: the reader is only a view of its iterator.
    },
  }
}

/** A reader of the body, or undefined for a null body. */
export function bodyReader(response: ResponseLike): ChunkReader | undefined {
  const body = response.body
  if (body == null) return undefined
  return isStreamLike(body) ? body.getReader() : iterableReader(body)
}

/** The header pairs of a `Headers` (or a look-alike), names lower-cased, values as strings. */
export function headerPairs(headers: HeadersLike): [string, string][] {
  const pairs: [string, string][] = []
  const add = (name: unknown, value: unknown): void => {
    const lower = String(name).toLowerCase()
    // A Map-like polyfill may hold several values of one field as an array.
    if (Array.isArray(value)) for (const item of value) pairs.push([lower, String(item)])
    else pairs.push([lower, String(value)])
  }
  const iterator = headers[Symbol.iterator]?.() ?? headers.entries?.()
  if (iterator !== undefined) {
    for (let step = iterator.next(); step.done !== true; step = iterator.next()) {
      add(step.value[0], step.value[1])
    }
  } else {
    headers.forEach?.((value, name) => {
      add(name, value)
    })
  }
  return pairs
}

/**
 * The `Set-Cookie` values kept apart, when the headers can say them apart (`getSetCookie()`, or
 * node-fetch's `raw()`); undefined when only iteration can, which the fetch spec also keeps apart.
 */
export function setCookies(headers: HeadersLike): string[] | undefined {
  if (typeof headers.getSetCookie === 'function') return headers.getSetCookie()
  if (typeof headers.raw === 'function') return headers.raw()['set-cookie'] ?? []
  return undefined
}

/**
 * A stream chunk as bytes. `Response.body` yields `Uint8Array` by spec, but a handler can wrap a
 * stream of anything in a `Response`, and a chunk from another realm fails `instanceof`: any
 * view is re-viewed, an `ArrayBuffer` (by brand) wrapped, everything else refused.
 *
 * @throws WSGIError `ERR_WSGI_INVALID_BODY_CHUNK` for a chunk that is not bytes.
 */
export function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk
  if (ArrayBuffer.isView(chunk))
    return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  if (Object.prototype.toString.call(chunk) === '[object ArrayBuffer]')
    return new Uint8Array(chunk as ArrayBuffer)
  throw new WSGIError(
    'ERR_WSGI_INVALID_BODY_CHUNK',
    `The fetch response body yielded ${describe(chunk)}, not bytes`,
  )
}
