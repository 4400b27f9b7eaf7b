/**
 * The two `wsgi.input` streams that Express needs beyond the streamed one: a body replayed from
 * bytes a body parser kept, and a body that is gone.
 *
 * @module
 */
import { WSGIError } from '@wsgi/core/errors'
import type { InputStream } from '@wsgi/core/types'

const EMPTY = new Uint8Array(0)
const NL = 0x0a

/**
 * `wsgi.input` over bytes already in memory (`express.raw()`'s Buffer, a `rawBody` kept by a
 * `verify` callback). The bytes are held anyway by the request, so serving them costs no copy.
 */
export class BytesInput implements InputStream {
  #bytes: Uint8Array
  #pos = 0

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes
  }

  /** Read at most `size` bytes; all that is left when `size` is omitted or negative. */
  read(size?: number): Promise<Uint8Array> {
    const left = this.#bytes.length - this.#pos
    const n = size === undefined || size < 0 ? left : Math.min(size, left)
    return Promise.resolve(this.#take(n))
  }

  /** Read one line including its `\n`, or at most `size` bytes, or what is left. */
  readline(size?: number): Promise<Uint8Array> {
    const left = this.#bytes.length - this.#pos
    const limit = size === undefined || size < 0 ? left : Math.min(size, left)
    const nl = this.#bytes.indexOf(NL, this.#pos)
    const n = nl < 0 ? limit : Math.min(nl - this.#pos + 1, limit)
    return Promise.resolve(this.#take(n))
  }

  /** Read lines until the end, or until the lines read hold at least `hint` bytes. */
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

  #take(n: number): Uint8Array {
    if (n <= 0) return EMPTY
    const out = this.#bytes.subarray(this.#pos, this.#pos + n)
    this.#pos += n
    return out
  }
}

/**
 * `wsgi.input` of a request whose body a host-side parser has read and not kept as bytes
 * (`express.json()`, `express.urlencoded()`, multer). Every read rejects at once with
 * `ERR_WSGI_BODY_ALREADY_READ`, because waiting on the drained stream would hang forever
 * (bridge-pitfalls A1).
 */
export class ConsumedInput implements InputStream {
  #error(): WSGIError {
    return new WSGIError(
      'ERR_WSGI_BODY_ALREADY_READ',
      'The request body was already read by a body parser before the gateway app ran; ' +
        'mount the app before the parser, or keep the raw bytes (express.raw(), or a verify ' +
        'callback that sets req.rawBody)',
    )
  }

  /** @throws WSGIError `ERR_WSGI_BODY_ALREADY_READ` (as a rejection) */
  read(_size?: number): Promise<Uint8Array> {
    return Promise.reject(this.#error())
  }

  /** @throws WSGIError `ERR_WSGI_BODY_ALREADY_READ` (as a rejection) */
  readline(_size?: number): Promise<Uint8Array> {
    return Promise.reject(this.#error())
  }

  /** @throws WSGIError `ERR_WSGI_BODY_ALREADY_READ` (as a rejection) */
  readlines(_hint?: number): Promise<Uint8Array[]> {
    return Promise.reject(this.#error())
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return { next: () => Promise.reject(this.#error()) }
  }
}
