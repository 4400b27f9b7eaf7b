/**
 * The "bytes as latin-1" helpers (PEP 3333's native strings) that only the fetch bridge needs:
 * re-escaping a raw URL part and decoding a prefix of one. `quoteLatin1` and `unquoteLatin1` come
 * from `@wsgi/core/util`. Plain string code, no `node:` modules, no `Buffer`.
 *
 * @see {@link https://peps.python.org/pep-3333/#unicode-issues PEP 3333, Unicode issues}
 * @module
 */
import { WSGIError } from '@wsgi/core/errors'

const HEX = '0123456789ABCDEF'

function escapeCode(code: number): string {
  return '%' + HEX.charAt(code >> 4) + HEX.charAt(code & 15)
}

/**
 * Makes an already-encoded URL part (a raw request target or `QUERY_STRING`, which PEP 3333 keeps
 * as received) safe to hand to the URL parser without changing its bytes: `%XX` escapes and
 * printable ASCII stay; controls, space, `#`, `extra` and the latin-1 characters above U+007F
 * become `%XX` of their byte, where the URL parser would have UTF-8-encoded them.
 *
 * @throws WSGIError `ERR_WSGI_NOT_LATIN1` when a character is above U+00FF (as core's
 *   `quoteLatin1` does).
 */
export function escapeRaw(s: string, extra = ''): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const ch = s.charAt(i)
    const code = s.charCodeAt(i)
    if (code > 0xff) {
      const hex = code.toString(16).toUpperCase()
      throw new WSGIError(
        'ERR_WSGI_NOT_LATIN1',
        `Character U+${hex} at position ${i} is not latin-1`,
      )
    }
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
