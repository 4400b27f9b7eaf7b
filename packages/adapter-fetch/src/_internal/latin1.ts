/**
 * The "bytes as latin-1" helper (PEP 3333's native strings) that only the fetch bridge needs:
 * re-escaping a raw URL part (core's `rawTarget` finds the raw parts). `quoteLatin1` and
 * `unquoteLatin1` come from `@wsgi/core/util`. Plain string code, no `node:` modules, no `Buffer`.
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
  // Nearly every part needs no escape: found by one scan, it is returned as it is (building the
  // copy character by character costs several times the scan).
  let i = 0
  for (; i < s.length; i++) {
    const code = s.charCodeAt(i)
    if (code <= 0x20 || code >= 0x7f || code === 0x23 || extra.includes(s.charAt(i))) break
  }
  if (i === s.length) return s
  let out = s.slice(0, i)
  for (; i < s.length; i++) {
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
