/**
 * Small URL helpers for mapping Koa's (percent-encoded) paths onto `SCRIPT_NAME`/`PATH_INFO`
 * (percent-decoded, bytes as latin-1, PEP 3333).
 *
 * @module
 */

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  const lower = c | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10
  return -1
}

/**
 * Percent-decode `s` to a native string: each `%XX` becomes the character of that byte value,
 * everything else is kept as it is (Node gives request targets as latin-1 already), and a `%`
 * not followed by two hex digits stays literal, as Python's `unquote` leaves it.
 */
export function unquoteToLatin1(s: string): string {
  let i = s.indexOf('%')
  if (i === -1) return s
  let out = s.slice(0, i)
  while (i < s.length) {
    if (s.charCodeAt(i) === 0x25 && i + 2 < s.length) {
      const hi = hexValue(s.charCodeAt(i + 1))
      const lo = hexValue(s.charCodeAt(i + 2))
      if (hi >= 0 && lo >= 0) {
        out += String.fromCharCode(hi * 16 + lo)
        i += 3
        continue
      }
    }
    out += s.charAt(i)
    i++
  }
  return out
}

/** The path part of a request target (`/a/b?x=1` -> `/a/b`); `''` for a target not in origin form. */
export function pathOf(target: string): string {
  if (target.charCodeAt(0) !== 0x2f /* / */) return ''
  const end = target.search(/[?#]/)
  return end === -1 ? target : target.slice(0, end)
}

// RFC 3986 `pchar` plus `/`: what may stand in a path without percent-encoding.
const PATH_SAFE = new Uint8Array(128)
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/") {
  PATH_SAFE[ch.charCodeAt(0)] = 1
}

/**
 * Percent-encode a native (latin-1) path for Koa's `ctx.path`: each character outside the path
 * characters of RFC 3986 becomes `%XX` of its byte value. The reverse of {@link unquoteToLatin1}.
 */
export function quoteLatin1Path(s: string): string {
  let out = ''
  let start = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80 && PATH_SAFE[c] === 1) continue
    out += s.slice(start, i) + '%' + (c & 0xff).toString(16).toUpperCase().padStart(2, '0')
    start = i + 1
  }
  return start === 0 ? s : out + s.slice(start)
}
