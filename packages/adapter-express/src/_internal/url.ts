/**
 * Percent-decoding to "bytes as latin-1", as PEP 3333 wants `SCRIPT_NAME` and `PATH_INFO`.
 *
 * @module
 */

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  const lower = c | 0x20
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1
}

/**
 * Python's `urllib.parse.unquote(s, 'latin-1')`: each valid `%XX` becomes the character of that
 * code; invalid escapes and every other character stay as they are.
 */
export function unquoteLatin1(s: string): string {
  if (!s.includes('%')) return s
  let out = ''
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 0x25 && i + 2 < s.length) {
      const hi = hexValue(s.charCodeAt(i + 1))
      const lo = hexValue(s.charCodeAt(i + 2))
      if (hi >= 0 && lo >= 0) {
        out += String.fromCharCode(hi * 16 + lo)
        i += 2
        continue
      }
    }
    out += s.charAt(i)
  }
  return out
}

/** The path of a request target, without its query. */
export function pathOf(url: string): string {
  const question = url.indexOf('?')
  return question < 0 ? url : url.slice(0, question)
}

const ALWAYS_SAFE = /[A-Za-z0-9_.\-~/;=,]/

/**
 * Percent-encode a latin-1 `PATH_INFO` back into a request path, keeping what
 * `wsgiref.util.request_uri` keeps (letters, digits, `_.-~` and `/;=,`).
 */
export function quotePath(s: string): string {
  let out = ''
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0
    if (code < 0x80 && ALWAYS_SAFE.test(ch)) out += ch
    else if (code <= 0xff) out += `%${code.toString(16).toUpperCase().padStart(2, '0')}`
    // Not latin-1 (so not from a gateway server): encode its UTF-8 bytes rather than fail.
    else out += encodeURIComponent(ch)
  }
  return out
}
