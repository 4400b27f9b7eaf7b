/**
 * The `wsgi.input` streams a Fastify request needs besides core's reader over `request.raw`: one
 * over a payload stream that a `preParsing` hook put in its place (request decompression by
 * `@fastify/compress`, for example), and one for a body that is gone.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'

import { WSGIError, isWSGIError } from '@wsgi/core/errors'
import type { InputStream } from '@wsgi/core/types'

const EMPTY = new Uint8Array(0)
const NL = 0x0a

/**
 * An {@link InputStream} over an async iterable of chunks, pulling only when a read needs more
 * bytes than are buffered (so memory holds what the caller asked for plus one chunk).
 */
export class StreamInput implements InputStream {
  readonly #source: AsyncIterable<Uint8Array>
  readonly #limit: number
  #iterator: AsyncIterator<Uint8Array> | undefined = undefined
  #chunks: Uint8Array[] = []
  #buffered = 0
  #received = 0
  #eof = false

  constructor(source: AsyncIterable<Uint8Array>, limit: number = Infinity) {
    this.#source = source
    this.#limit = limit
  }

  /** Read at most `size` bytes; all that is left when `size` is omitted or negative. */
  async read(size?: number): Promise<Uint8Array> {
    const want = size === undefined || size < 0 ? Infinity : size
    while (this.#buffered < want && (await this.#pull()));
    return this.#take(Math.min(want, this.#buffered))
  }

  /** Read one line including its `\n`, or at most `size` bytes, or what is left at EOF. */
  async readline(size?: number): Promise<Uint8Array> {
    const limit = size === undefined || size < 0 ? Infinity : size
    for (;;) {
      const end = this.#newline(limit)
      if (end >= 0) return this.#take(end)
      if (this.#buffered >= limit) return this.#take(limit)
      if (!(await this.#pull())) return this.#take(this.#buffered)
    }
  }

  /** Read lines until EOF, or until the lines read so far hold at least `hint` bytes. */
  async readlines(hint?: number): Promise<Uint8Array[]> {
    const lines: Uint8Array[] = []
    let total = 0
    for (;;) {
      const line = await this.readline()
      if (line.length === 0) return lines
      lines.push(line)
      total += line.length
      if (hint !== undefined && hint > 0 && total >= hint) return lines
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const line = await this.readline()
      if (line.length === 0) return
      yield line
    }
  }

  /** Offset just after the first `\n` in the buffer (at most `limit`), or -1. */
  #newline(limit: number): number {
    let base = 0
    for (const chunk of this.#chunks) {
      const i = chunk.indexOf(NL)
      if (i >= 0) return Math.min(base + i + 1, limit)
      base += chunk.length
      if (base >= limit) return -1
    }
    return -1
  }

  #take(n: number): Uint8Array {
    if (n <= 0) return EMPTY
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      const chunk = this.#chunks[0]
      if (chunk === undefined) break
      const part = Math.min(chunk.length, n - filled)
      out.set(chunk.subarray(0, part), filled)
      filled += part
      if (part === chunk.length) this.#chunks.shift()
      else this.#chunks[0] = chunk.subarray(part)
    }
    this.#buffered -= filled
    return filled === n ? out : out.subarray(0, filled)
  }

  async #pull(): Promise<boolean> {
    if (this.#eof) return false
    this.#iterator ??= this.#source[Symbol.asyncIterator]()
    let step: IteratorResult<Uint8Array>
    try {
      step = await this.#iterator.next()
    } catch (error) {
      this.#eof = true
      if (isWSGIError(error)) throw error
      throw new WSGIError('ERR_WSGI_INPUT_ERROR', 'The request body could not be read', {
        cause: error,
      })
    }
    if (step.done === true) {
      this.#eof = true
      return false
    }
    this.#received += step.value.length
    if (this.#received > this.#limit) {
      this.#eof = true
      await this.#iterator.return?.()
      throw new WSGIError(
        'ERR_WSGI_BODY_TOO_LARGE',
        `The request body is larger than the limit of ${this.#limit} bytes`,
      )
    }
    if (step.value.length > 0) {
      this.#chunks.push(step.value)
      this.#buffered += step.value.length
    }
    return true
  }
}

/** True when the request announces a body (`Transfer-Encoding`, or a `Content-Length` above 0). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

/**
 * `wsgi.input` of a request whose body something else read first (a hook that consumed
 * `request.raw`). Every read rejects at once with `ERR_WSGI_BODY_ALREADY_READ`: waiting on the
 * drained stream would hang forever (bridge-pitfalls A1).
 */
export class ConsumedInput implements InputStream {
  /** @throws WSGIError `ERR_WSGI_BODY_ALREADY_READ` (as a rejection) */
  read(_size?: number): Promise<Uint8Array> {
    return Promise.reject(bodyAlreadyRead())
  }

  /** @throws WSGIError `ERR_WSGI_BODY_ALREADY_READ` (as a rejection) */
  readline(_size?: number): Promise<Uint8Array> {
    return Promise.reject(bodyAlreadyRead())
  }

  /** @throws WSGIError `ERR_WSGI_BODY_ALREADY_READ` (as a rejection) */
  readlines(_hint?: number): Promise<Uint8Array[]> {
    return Promise.reject(bodyAlreadyRead())
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return { next: () => Promise.reject(bodyAlreadyRead()) }
  }
}

/** The error for a body that was read before the gateway side got to it. */
export function bodyAlreadyRead(): WSGIError {
  return new WSGIError(
    'ERR_WSGI_BODY_ALREADY_READ',
    'The request body was already read before the gateway side got to it; let no hook read ' +
      'request.raw first, or hand the bytes on as a new wsgi.input',
  )
}
