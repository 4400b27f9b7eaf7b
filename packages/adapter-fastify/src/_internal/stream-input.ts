/**
 * The `wsgi.input` pieces a Fastify request needs besides core's reader over `request.raw`: a
 * body that is gone, and the check for whether there is one. A payload stream that a
 * `preParsing` hook put in place of `request.raw` (request decompression by `@fastify/compress`,
 * for example) is read by core's `InputReader` directly.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'

import { WSGIError } from '@wsgi/core/errors'
import type { InputStream } from '@wsgi/core/types'

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
