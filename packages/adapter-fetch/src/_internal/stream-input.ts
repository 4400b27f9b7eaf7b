/**
 * `wsgi.input` over a fetch `Request` body: what `toFetch` hands the gateway application.
 *
 * A small local reader because the core's `InputReader` is internal to `@wsgi/core`; it follows
 * the same rules (pull on demand, buffer at most one source chunk beyond what a read asked for).
 *
 * @module
 */
import { WSGIError } from '@wsgi/core/errors'
import type { InputStream } from '@wsgi/core/types'

const EMPTY = new Uint8Array(0)
const NL = 0x0a

/**
 * An {@link InputStream} over a `ReadableStream` of bytes (`request.body`; `null` is an empty
 * body). The stream is read only when the application reads, one chunk at a time.
 */
export class StreamInput implements InputStream {
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  #stream: ReadableStream<Uint8Array> | null
  #buffer: Uint8Array = EMPTY
  #eof: boolean

  constructor(stream: ReadableStream<Uint8Array> | null) {
    this.#stream = stream
    this.#eof = stream === null
  }

  /** Read at most `size` bytes; everything left when `size` is omitted or negative. */
  async read(size?: number): Promise<Uint8Array> {
    const want = size === undefined || size < 0 ? Infinity : size
    while (this.#buffer.length < want && (await this.#pull()));
    return this.#take(Math.min(want, this.#buffer.length))
  }

  /** Read one line including its `\n`, or at most `size` bytes, or what is left at EOF. */
  async readline(size?: number): Promise<Uint8Array> {
    const limit = size === undefined || size < 0 ? Infinity : size
    let scanned = 0
    for (;;) {
      const nl = this.#buffer.indexOf(NL, scanned)
      if (nl >= 0) return this.#take(Math.min(nl + 1, limit))
      if (this.#buffer.length >= limit) return this.#take(limit)
      scanned = this.#buffer.length
      if (!(await this.#pull())) return this.#take(this.#buffer.length)
    }
  }

  /** Read lines until EOF, or until the lines read hold at least `hint` bytes. */
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

  /** Iterates lines, as PEP 3333's `__iter__` does. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const line = await this.readline()
      if (line.length === 0) return
      yield line
    }
  }

  #take(n: number): Uint8Array {
    if (n === 0) return EMPTY
    const out = this.#buffer.subarray(0, n)
    this.#buffer = this.#buffer.subarray(n)
    return out
  }

  /** Append one chunk of the stream to the buffer; false at EOF. */
  async #pull(): Promise<boolean> {
    if (this.#eof || this.#stream === null) return false
    this.#reader ??= this.#stream.getReader()
    let step: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>
    try {
      step = await this.#reader.read()
    } catch (error) {
      this.#eof = true
      throw new WSGIError('ERR_WSGI_INPUT_ERROR', 'The request body could not be read', {
        cause: error,
      })
    }
    if (step.done) {
      this.#eof = true
      return false
    }
    const chunk = step.value
    if (this.#buffer.length === 0) {
      this.#buffer = chunk
    } else {
      const joined = new Uint8Array(this.#buffer.length + chunk.length)
      joined.set(this.#buffer)
      joined.set(chunk, this.#buffer.length)
      this.#buffer = joined
    }
    return true
  }
}
