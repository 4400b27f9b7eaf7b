/**
 * Conditional and range requests for `staticFiles`: `If-None-Match`, `If-Modified-Since` and
 * `Range` read as RFC 9110 §13 and §14 say, for one representation whose validators are known.
 * Node-free.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9110#section-13 RFC 9110 §13 (conditional requests)}
 * @see {@link https://www.rfc-editor.org/rfc/rfc9110#section-14 RFC 9110 §14 (range requests)}
 * @module
 */

/** What {@link evaluatePreconditions} needs to know. */
export interface Preconditions {
  /** The `If-None-Match` request header. */
  readonly ifNoneMatch: string | undefined
  /** The `If-Modified-Since` request header. */
  readonly ifModifiedSince: string | undefined
  /** The representation's `ETag`, if it has one. */
  readonly etag: string | undefined
  /** Its modification time in whole seconds since the epoch (HTTP dates have no finer unit). */
  readonly mtime: number
}

/** The opaque part of an entity tag: `W/"x"` and `"x"` both give `"x"`. */
function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag
}

/**
 * For a `GET` or `HEAD`: `'not-modified'` when the client's copy is current (answer 304), else
 * `'send'`.
 *
 * When `If-None-Match` is present it decides alone (weak comparison; `*` matches any current
 * representation) and `If-Modified-Since` is ignored (RFC 9110 §13.1.3); an unparsable date is
 * ignored too.
 */
export function evaluatePreconditions(p: Preconditions): 'not-modified' | 'send' {
  if (p.ifNoneMatch !== undefined) {
    const value = p.ifNoneMatch.trim()
    if (value === '*') return 'not-modified'
    if (p.etag === undefined) return 'send'
    const mine = opaque(p.etag)
    const match = value.split(',').some((tag) => opaque(tag.trim()) === mine)
    return match ? 'not-modified' : 'send'
  }
  if (p.ifModifiedSince !== undefined) {
    const since = Date.parse(p.ifModifiedSince)
    if (!Number.isNaN(since) && p.mtime * 1000 <= since) return 'not-modified'
  }
  return 'send'
}

/** One satisfiable byte range, both ends included. */
export interface ByteRange {
  readonly start: number
  readonly end: number
}

/**
 * A `Range` header for a representation of `size` bytes: the one range to send;
 * `'unsatisfiable'` (answer 416) when the range starts past the end; `undefined` when the header
 * must be ignored and the whole representation sent: another unit than `bytes`, a malformed
 * range, or several ranges (multipart/byteranges is not produced).
 */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = /^\s*bytes\s*=\s*(.*)$/i.exec(header)
  if (match === null) return undefined
  const specs = (match[1] ?? '').split(',').map((s) => s.trim())
  if (specs.length !== 1) return undefined
  const spec = /^(\d*)-(\d*)$/.exec(specs[0] ?? '')
  if (spec === null) return undefined
  const [, first = '', last = ''] = spec
  if (first === '') {
    // A suffix: the last N bytes.
    if (last === '') return undefined
    const n = Number(last)
    if (n === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - n), end: size - 1 }
  }
  const start = Number(first)
  if (last !== '' && Number(last) < start) return undefined
  if (start >= size) return 'unsatisfiable'
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) }
}
