/**
 * `wsgi.input` over any chunk source: pulls on demand, buffers only what a read asked for.
 *
 * Every server and bridge (Node, CGI, fetch) hands its body stream to an {@link InputReader}, so
 * read/readline/readlines behave the same everywhere. Node-free: it runs in fetch runtimes too.
 *
 * @module
 */
import { WSGIError, isWSGIError } from '../errors.ts'
import type { InputStream } from '../types.ts'

const EMPTY = new Uint8Array(0)
const NL = 0x0a

// Node's allocator of memory that is not zero-filled, where there is one (found, not imported:
// this module is Node-free). A body read whole is joined into one new array that the copy fills
// entirely, and zero-filling it first costs about twice the copy itself (64 KiB echo profile).
type Allocator = (size: number) => { buffer: ArrayBufferLike; byteOffset: number }
const allocUnsafeSlow = (globalThis as { Buffer?: { allocUnsafeSlow?: Allocator } }).Buffer
  ?.allocUnsafeSlow
// Below this, a zero-filled array costs no more (V8 may even keep it on its own heap).
const UNFILLED_MIN = 4096

/** A plain `Uint8Array` of `size` bytes, every one of which the caller overwrites. */
function allocateFilled(size: number): Uint8Array {
  if (allocUnsafeSlow === undefined || size < UNFILLED_MIN) return new Uint8Array(size)
  // Never pooled: the view is the whole of its own ArrayBuffer, as `new Uint8Array(size)` is.
  const memory = allocUnsafeSlow(size)
  return new Uint8Array(memory.buffer, memory.byteOffset, size)
}

/** Options of {@link InputReader}. */
export interface InputReaderOptions {
  /** Called once, just before the first pull from the source (sends `100 Continue`). */
  onFirstRead?: () => void
  /** Most bytes the source may deliver; more fails with `ERR_WSGI_BODY_TOO_LARGE`. */
  limit?: number
}

/**
 * An {@link InputStream} over an async (or sync) iterable of byte chunks.
 *
 * Reads pull from the source only when the buffer cannot answer them, so memory holds at most
 * what the caller asked for plus one source chunk. `read(size)` fills up to `size` bytes or EOF,
 * like Python's buffered `read(n)`, because `read(int(CONTENT_LENGTH))` is the common idiom.
 * Iterating yields lines, as PEP 3333's `__iter__` does.
 *
 * @example
 * ```ts
 * const input = new InputReader(req) // a Node Readable is an async iterable of Buffers
 * const head = await input.readline()
 * ```
 */
export class InputReader implements InputStream {
  #source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>
  #iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array> | undefined
  #chunks: Uint8Array[] = []
  #buffered = 0
  #eof = false
  #received = 0
  #onFirstRead: (() => void) | undefined
  #limit: number

  constructor(
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options: InputReaderOptions = {},
  ) {
    this.#source = source
    this.#onFirstRead = options.onFirstRead
    this.#limit = options.limit ?? Infinity
  }

  /** A reader over bytes already in memory (a string is encoded as UTF-8). */
  static fromBytes(bytes: Uint8Array | string): InputReader {
    const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes
    return new InputReader(data.length > 0 ? [data] : [])
  }

  /** Bytes delivered by the source so far (read or buffered). */
  get bytesReceived(): number {
    return this.#received
  }

  /** True once the source is exhausted and the buffer is empty. */
  get ended(): boolean {
    return this.#eof && this.#buffered === 0
  }

  /** Read at most `size` bytes; all that is left when `size` is omitted or negative. */
  async read(size?: number): Promise<Uint8Array> {
    const want = size === undefined || size < 0 ? Infinity : size
    if (want === 0) return EMPTY
    while (this.#buffered < want && (await this.#pull()));
    return this.#take(Math.min(want, this.#buffered))
  }

  /**
   * Read at most `size` bytes with at most one pull from the source (Python's buffered
   * `read1(size)`): what the buffer holds if it holds anything, else what the next chunk brings.
   * Returns the bytes of one chunk, never copied; empty only at EOF. All of one chunk when `size`
   * is omitted or negative.
   *
   * For bulk reads (uploads, piping the body on): `read(size)` fills `size` bytes exactly, which
   * copies whenever the source's chunks do not line up with `size`; `read1` never does.
   *
   * @example
   * ```ts
   * for (let chunk = await input.read1(65536); chunk.length > 0; chunk = await input.read1(65536)) {
   *   total += chunk.length
   * }
   * ```
   */
  async read1(size?: number): Promise<Uint8Array> {
    const want = size === undefined || size < 0 ? Infinity : size
    if (want === 0) return EMPTY
    // An empty chunk from the source is not EOF: pull again (a pull that adds nothing is cheap).
    while (this.#buffered === 0) if (!(await this.#pull())) return EMPTY
    const first = this.#chunks[0]
    return first === undefined ? EMPTY : this.#take(Math.min(want, first.length))
  }

  /** Read one line including its `\n`, or at most `size` bytes, or what is left at EOF. */
  async readline(size?: number): Promise<Uint8Array> {
    const limit = size === undefined || size < 0 ? Infinity : size
    if (limit === 0) return EMPTY
    let scanned = 0
    for (;;) {
      const end = this.#findNewline(scanned, limit)
      if (end >= 0) return this.#take(end)
      scanned = this.#buffered
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

  /** Read and discard the rest of the body, up to `max` bytes; true if it reached EOF. */
  async discard(max: number = Infinity): Promise<boolean> {
    let dropped = this.#buffered
    this.#chunks = []
    this.#buffered = 0
    while (dropped <= max && (await this.#pull())) {
      dropped += this.#buffered
      this.#chunks = []
      this.#buffered = 0
    }
    return this.#eof
  }

  /** Offset of the end of the first line within the buffer (after `\n`), or -1. */
  #findNewline(from: number, limit: number): number {
    let base = 0
    for (const chunk of this.#chunks) {
      if (base + chunk.length > from) {
        const start = Math.max(0, from - base)
        const i = chunk.indexOf(NL, start)
        if (i >= 0) return Math.min(base + i + 1, limit)
      }
      base += chunk.length
      if (base >= limit) return -1
    }
    return -1
  }

  /** Remove and return the first `n` buffered bytes, copying only when they span chunks. */
  #take(n: number): Uint8Array {
    if (n === 0) return EMPTY
    const first = this.#chunks[0]
    if (first !== undefined && first.length >= n) {
      this.#buffered -= n
      if (first.length === n) this.#chunks.shift()
      else this.#chunks[0] = first.subarray(n)
      return first.length === n ? first : first.subarray(0, n)
    }
    const out = allocateFilled(n)
    let filled = 0
    while (filled < n) {
      const chunk = this.#chunks[0]
      if (chunk === undefined) break
      const part = Math.min(chunk.length, n - filled)
      out.set(part === chunk.length ? chunk : chunk.subarray(0, part), filled)
      filled += part
      if (part === chunk.length) this.#chunks.shift()
      else this.#chunks[0] = chunk.subarray(part)
    }
    this.#buffered -= filled
    // Never reached (n is at most what is buffered); if it were, no stale memory may show.
    if (filled < n) out.fill(0, filled)
    return out
  }

  /** Pull one chunk from the source into the buffer; false at EOF. */
  async #pull(): Promise<boolean> {
    if (this.#eof) return false
    if (this.#iterator === undefined) {
      this.#onFirstRead?.()
      const source = this.#source
      this.#iterator =
        Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]()
    }
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
    const chunk = step.value
    this.#received += chunk.length
    if (this.#received > this.#limit) {
      this.#eof = true
      await this.#iterator.return?.()
      throw new WSGIError(
        'ERR_WSGI_BODY_TOO_LARGE',
        `The request body is larger than the limit of ${this.#limit} bytes`,
      )
    }
    if (chunk.length > 0) {
      this.#chunks.push(chunk)
      this.#buffered += chunk.length
    }
    return true
  }
}

/** A `wsgi.input` that also has Python's `read1(size)`, as {@link InputReader} has. */
interface BulkInput extends InputStream {
  read1(size: number): Promise<Uint8Array>
}

/**
 * Read the next piece of a body being passed on (to a Node `Readable`, a WHATWG stream): at most
 * `size` bytes, empty only at EOF. With `read1` (any {@link InputReader}) each chunk goes on as
 * the source delivered it; another server's `wsgi.input` has only `read(size)`, which joins
 * chunks to fill `size` exactly, a copy of nearly every block when they do not line up.
 */
export function readChunk(input: InputStream, size: number): Promise<Uint8Array> {
  const bulk = input as Partial<BulkInput>
  return typeof bulk.read1 === 'function' ? bulk.read1(size) : input.read(size)
}
