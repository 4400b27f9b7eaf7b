/**
 * The bytes of a request body that an Express body parser read and kept. Whether the body was
 * read at all, and what `wsgi.input` then serves, is core's one rule (`bodySource` of
 * `@wsgi/core/node`); this module only knows where Express's parsers leave the bytes.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'

import { bodySource as coreBodySource } from '@wsgi/core/node'
import type { BodySource } from '@wsgi/core/node'

/** The fields body parsers leave on a request. */
export interface ParsedRequest extends IncomingMessage {
  /** Set by every body parser; a Buffer for `express.raw()`, a string for `express.text()`. */
  body?: unknown
  /** Kept by users in a body-parser `verify` callback (`req.rawBody = buf`), a common idiom. */
  rawBody?: unknown
  /** body-parser 1.x (Express 4) sets it once it started reading. */
  _body?: unknown
}

/** How to keep the bytes, ending the `ERR_WSGI_BODY_ALREADY_READ` message. */
export const EXPRESS_ADVICE: string =
  'mount the app before the body parser, or keep the raw bytes (express.raw(), or a verify ' +
  'callback that sets req.rawBody)'

// Charsets that Buffer can encode back exactly as body-parser's iconv-lite decoded them.
const BUFFER_ENCODINGS: Readonly<Record<string, BufferEncoding>> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  'iso-8859-1': 'latin1',
  latin1: 'latin1',
  'utf-16le': 'utf16le',
  'ucs-2': 'utf16le',
}

/** Where the body of an Express request comes from: core's rule with Express's kept bytes. */
export function bodySource(req: ParsedRequest): BodySource {
  return coreBodySource(req, () => keptBytes(req))
}

/** The raw bytes `express.raw()` or `express.text()` kept in `req.body`, if any. */
function keptBytes(req: ParsedRequest): Uint8Array | undefined {
  if (req.body instanceof Uint8Array) return req.body
  if (typeof req.body === 'string') {
    // express.text() decoded with the request's charset, or utf-8 when it named none.
    const encoding = BUFFER_ENCODINGS[charsetOf(req.headers['content-type']) ?? 'utf-8']
    if (encoding !== undefined) return Buffer.from(req.body, encoding)
  }
  return undefined
}

/** The `charset` parameter of a Content-Type, lower-cased. */
function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')
  return match?.[1]?.toLowerCase()
}
