/**
 * Did something in the Express chain read the request body before the gateway app? And if so,
 * are its bytes still known? (bridge-pitfalls A1: never wait on a drained stream.)
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'

/** The fields body parsers leave on a request. */
export interface ParsedRequest extends IncomingMessage {
  /** Set by every body parser; a Buffer for `express.raw()`, a string for `express.text()`. */
  body?: unknown
  /** Kept by users in a body-parser `verify` callback (`req.rawBody = buf`), a common idiom. */
  rawBody?: unknown
  /** body-parser 1.x (Express 4) sets it once it started reading. */
  _body?: unknown
}

/** What `wsgi.input` should serve. */
export type BodySource =
  | { readonly kind: 'stream' }
  | { readonly kind: 'replay'; readonly bytes: Uint8Array }
  | { readonly kind: 'consumed' }

const EMPTY = new Uint8Array(0)

// Charsets that Buffer can encode back exactly as body-parser's iconv-lite decoded them.
const BUFFER_ENCODINGS: Readonly<Record<string, BufferEncoding>> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  'iso-8859-1': 'latin1',
  latin1: 'latin1',
  'utf-16le': 'utf16le',
  'ucs-2': 'utf16le',
}

/**
 * Decide where the body comes from: the live request stream, bytes a parser kept, or nowhere.
 *
 * The stream counts as read when it ended (`readableEnded`, what body-parser 2, multer and
 * raw-body leave behind), body-parser 1 flagged it (`_body`), or it is `complete` and every
 * byte was taken. Whether `req.body` is set says
 * nothing by itself: body-parser sets it to `{}` even when it skipped the request, which is how
 * graphql-yoga#1336 misfired.
 */
export function bodySource(req: ParsedRequest): BodySource {
  if (!wasRead(req)) return { kind: 'stream' }
  const bytes = keptBytes(req)
  if (bytes !== undefined) return { kind: 'replay', bytes }
  // Nothing was lost when there was nothing to read (a GET whose stream was resumed).
  if (!expectsBody(req)) return { kind: 'replay', bytes: EMPTY }
  return { kind: 'consumed' }
}

/**
 * True when the stream was read to its end: `'end'` was emitted, body-parser 1 flagged it, or
 * everything arrived and was taken (`'end'` is only due at the next read).
 */
function wasRead(req: ParsedRequest): boolean {
  return (
    req._body === true ||
    req.readableEnded ||
    (req.complete && req.readableDidRead && req.readableLength === 0)
  )
}

/** The raw bytes a parser or the user kept, if any. */
function keptBytes(req: ParsedRequest): Uint8Array | undefined {
  if (req.rawBody instanceof Uint8Array) return req.rawBody
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

/** True when the request announced a body (chunked, or a non-zero Content-Length). */
function expectsBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}
