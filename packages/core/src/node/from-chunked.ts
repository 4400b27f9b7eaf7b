/**
 * Body bytes from the chunked transfer coding (RFC 9112 §7.1): an incremental decoder for what
 * Node's `ServerResponse` writes to its socket when `res.chunkedEncoding` is true.
 *
 * `fromNodeListener` turns a response back into a gateway body, so the framing that Node adds
 * (`<hex size>\r\n<data>\r\n ... 0\r\n<trailers>\r\n`) must come off again. Node writes the size
 * line, the data and the CRLF as separate socket writes, so the decoder takes them one at a time,
 * in any split, and hands data on as views of the written buffers (no copy). Framing is parsed one
 * character at a time with plain comparisons: no regular expression in the per-chunk path.
 *
 * @module
 */

import { Buffer } from 'node:buffer'

/** Receives the body bytes found by a {@link ChunkedDecoder}. */
export interface ChunkedSink {
  pushBody(data: Uint8Array): void
}

const CR = 0x0d
const LF = 0x0a

// Decoder states. Plain numbers: `erasableSyntaxOnly` rules out enums.
const SIZE = 0
const EXTENSION = 1
const SIZE_LF = 2
const DATA = 3
const DATA_CR = 4
const DATA_LF = 5
const TRAILER_LINE_START = 6
const TRAILER_LINE = 7
const TRAILER_END_LF = 8
const END = 9

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  const lower = c | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10
  return -1
}

/**
 * Incremental decoder of the chunked transfer coding.
 *
 * Feed it every chunk written after the response head with {@link write}. Data goes to the sink;
 * the trailer section is kept in {@link trailers} (latin-1 text, lines ending in CRLF) and
 * {@link ended} turns true after the final empty line.
 *
 * @throws Error from {@link write} when the framing is malformed (Node never writes that).
 */
export class ChunkedDecoder {
  /** The raw trailer section: `'Name: value\r\n'` lines, empty when there are no trailers. */
  trailers = ''
  #sink: ChunkedSink
  #state = SIZE
  #size = 0
  #remaining = 0

  constructor(sink: ChunkedSink) {
    this.#sink = sink
  }

  /** True once the last chunk and the trailer section were read. */
  get ended(): boolean {
    return this.#state === END
  }

  /** Decodes one written chunk: a Buffer, or a string in the given encoding. */
  write(chunk: Buffer | string, encoding: BufferEncoding): void {
    if (typeof chunk === 'string') {
      // Framing (sizes, CRLF, trailers) is ASCII/latin-1 text; body data is encoded first.
      let i = 0
      while (i < chunk.length && this.#state !== DATA) {
        this.#frame(chunk.charCodeAt(i))
        i++
      }
      if (i === chunk.length) return
      chunk = Buffer.from(i === 0 ? chunk : chunk.slice(i), encoding)
    }
    this.#writeBytes(chunk)
  }

  #writeBytes(bytes: Uint8Array): void {
    let i = 0
    const length = bytes.length
    while (i < length) {
      if (this.#state === DATA) {
        const n = Math.min(this.#remaining, length - i)
        this.#sink.pushBody(i === 0 && n === length ? bytes : bytes.subarray(i, i + n))
        i += n
        this.#remaining -= n
        if (this.#remaining === 0) this.#state = DATA_CR
      } else {
        this.#frame(bytes[i] ?? 0)
        i++
      }
    }
  }

  #frame(c: number): void {
    switch (this.#state) {
      case SIZE: {
        const digit = hexValue(c)
        if (digit >= 0) this.#size = this.#size * 16 + digit
        else if (c === CR) this.#state = SIZE_LF
        else if (c === 0x3b || c === 0x20 || c === 0x09) this.#state = EXTENSION
        else throw malformed(c)
        return
      }
      case EXTENSION:
        if (c === CR) this.#state = SIZE_LF
        return
      case SIZE_LF:
        if (c !== LF) throw malformed(c)
        if (this.#size === 0) {
          this.#state = TRAILER_LINE_START
        } else {
          this.#remaining = this.#size
          this.#size = 0
          this.#state = DATA
        }
        return
      case DATA_CR:
        if (c !== CR) throw malformed(c)
        this.#state = DATA_LF
        return
      case DATA_LF:
        if (c !== LF) throw malformed(c)
        this.#state = SIZE
        return
      case TRAILER_LINE_START:
        if (c === CR) {
          this.#state = TRAILER_END_LF
          return
        }
        this.#state = TRAILER_LINE
        this.trailers += String.fromCharCode(c)
        return
      case TRAILER_LINE:
        this.trailers += String.fromCharCode(c)
        if (c === LF) this.#state = TRAILER_LINE_START
        return
      case TRAILER_END_LF:
        if (c !== LF) throw malformed(c)
        this.#state = END
        return
      default:
        // END: nothing may follow the message; Node never writes more, so ignore it.
        return
    }
  }
}

function malformed(c: number): Error {
  return new Error(`Malformed chunked framing from the response (byte 0x${c.toString(16)})`)
}
