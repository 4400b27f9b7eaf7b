/**
 * The few "bytes as latin-1" helpers (PEP 3333's native strings) that the fetch bridge needs.
 *
 * Local stand-ins for `quoteLatin1`/`unquoteLatin1` of `@wsgi/core`'s internal latin-1 module,
 * which is not exported; plain string code, no `node:` modules, no `Buffer`.
 *
 * @see {@link https://peps.python.org/pep-3333/#unicode-issues PEP 3333, Unicode issues}
 * @module
 */

const HEX = '0123456789ABCDEF'

// RFC 3986 unreserved characters: never percent-encoded.
const UNRESERVED = /[A-Za-z0-9_.~-]/

function escapeCode(code: number): string {
  return '%' + HEX.charAt(code >> 4) + HEX.charAt(code & 15)
}

/**
 * Percent-encodes a native string for a URL path: unreserved characters and those of `safe`
 * stay, every other character becomes `%XX` of its latin-1 byte (Python's
 * `quote(s, safe, encoding='latin1')`).
 *
 * @throws RangeError when a character is above U+00FF (not a native string).
 */
export function quoteLatin1(s: string, safe: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const ch = s.charAt(i)
    const code = s.charCodeAt(i)
    if (code > 0xff) throw new RangeError(`Character at position ${i} of ${s} is not latin-1`)
    out += code < 0x80 && (UNRESERVED.test(ch) || safe.includes(ch)) ? ch : escapeCode(code)
  }
  return out
}

/**
 * Makes an already-encoded URL part (a raw request target or `QUERY_STRING`, which PEP 3333 keeps
 * as received) safe to hand to the URL parser without changing its bytes: `%XX` escapes and
 * printable ASCII stay; controls, space, `#`, `extra` and the latin-1 characters above U+007F
 * become `%XX` of their byte, where the URL parser would have UTF-8-encoded them.
 */
export function escapeRaw(s: string, extra = ''): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const ch = s.charAt(i)
    const code = s.charCodeAt(i)
    if (code > 0xff) throw new RangeError(`Character at position ${i} of ${s} is not latin-1`)
    out += code <= 0x20 || code >= 0x7f || ch === '#' || extra.includes(ch) ? escapeCode(code) : ch
  }
  return out
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30
  const lower = code | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10
  return -1
}

/**
 * Percent-decodes a URL path to a native string: each valid `%XX` becomes the character of that
 * byte, anything else is kept (Python's `unquote(s, 'latin-1')`). Characters above U+007F that a
 * URL parser left unescaped cannot occur in a serialized WHATWG URL.
 */
export function unquoteLatin1(s: string): string {
  return decodePrefix(s, Infinity).decoded
}

/**
 * Decodes `raw` until `length` decoded characters were produced; gives the decoded text and how
 * many characters of `raw` it took. Used to find where a decoded prefix ends in the raw form.
 */
export function decodePrefix(raw: string, length: number): { decoded: string; consumed: number } {
  let decoded = ''
  let i = 0
  while (i < raw.length && decoded.length < length) {
    const code = raw.charCodeAt(i)
    if (code === 0x25 && i + 2 < raw.length) {
      const hi = hexValue(raw.charCodeAt(i + 1))
      const lo = hexValue(raw.charCodeAt(i + 2))
      if (hi >= 0 && lo >= 0) {
        decoded += String.fromCharCode(hi * 16 + lo)
        i += 3
        continue
      }
    }
    decoded += raw.charAt(i)
    i++
  }
  return { decoded, consumed: i }
}
