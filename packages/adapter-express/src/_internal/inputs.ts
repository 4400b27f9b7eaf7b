/**
 * The `wsgi.input` for a body that is gone, which Express needs beyond the streamed one. A body
 * replayed from bytes a body parser kept is core's `InputReader.fromBytes`.
 *
 * @module
 */
import { WSGIError } from '@wsgi/core/errors'
import type { InputStream } from '@wsgi/core/types'

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
