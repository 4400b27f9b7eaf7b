/**
 * "Bytes as latin-1" helpers (PEP 3333's native strings) and the pieces of Python's `urllib.parse`
 * and `posixpath` that `wsgiref.util` relies on: `quote`/`unquote` with the latin-1 codec, and
 * `normpath`.
 *
 * Plain string and `Uint8Array` code only, no `node:` modules and no `Buffer`, so everything here
 * also runs in browsers and Workers.
 *
 * @see {@link https://peps.python.org/pep-3333/#unicode-issues PEP 3333, Unicode issues}
 * @module
 */

import { WSGIError } from '../errors.ts'

// Large enough to amortise the call, small enough to stay below every engine's argument limit.
const CHUNK = 8192

// eslint-disable-next-line no-control-regex -- the latin-1 range starts at NUL by definition
const NOT_LATIN1 = /[^\x00-\xff]/
// ASCII is the same string in latin-1 and in UTF-8: the codecs have nothing to do for it.
// eslint-disable-next-line no-control-regex -- the ASCII range starts at NUL by definition
const ASCII = /^[\x00-\x7f]*$/

// One of each, shared: making a TextEncoder or TextDecoder costs more than most conversions.
const ENCODER = new TextEncoder()
const DECODER = new TextDecoder('utf-8')
const FATAL_DECODER = new TextDecoder('utf-8', { fatal: true })

function notLatin1(s: string, index: number): WSGIError {
  const cp = s.codePointAt(index) ?? 0
  const hex = cp.toString(16).toUpperCase().padStart(4, '0')
  return new WSGIError(
    'ERR_WSGI_NOT_LATIN1',
    `Character U+${hex} (${JSON.stringify(String.fromCodePoint(cp))}) at position ${index} ` +
      'is not latin-1: native strings may only hold U+0000-U+00FF',
  )
}

/**
 * Encodes a native string to bytes, one byte per code unit (Python's `s.encode('latin-1')`).
 *
 * @throws WSGIError `ERR_WSGI_NOT_LATIN1` when a character is above U+00FF (the message names it
 *   and its position); unlike `Buffer.from(s, 'latin1')`, nothing is silently truncated.
 */
export function latin1ToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0xff) throw notLatin1(s, i)
    out[i] = c
  }
  return out
}

/**
 * Decodes bytes to a native string, each byte becoming the code point of the same value
 * (Python's `b.decode('latin-1')`).
 *
 * `TextDecoder('latin1')` is not used on purpose: WHATWG maps that label to windows-1252, which
 * turns 0x80-0x9F into other characters.
 */
export function bytesToLatin1(bytes: Uint8Array): string {
  if (bytes.length <= CHUNK) return Reflect.apply(String.fromCharCode, null, bytes) as string
  const parts: string[] = []
  for (let i = 0; i < bytes.length; i += CHUNK) {
    parts.push(Reflect.apply(String.fromCharCode, null, bytes.subarray(i, i + CHUNK)) as string)
  }
  return parts.join('')
}

/** True when every character of `s` is in U+0000-U+00FF (a valid PEP 3333 native string). */
export function isLatin1(s: string): boolean {
  return !NOT_LATIN1.test(s)
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  const lower = c | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10
  return -1
}

/**
 * Percent-decodes `s` with the latin-1 codec: Python's `urllib.parse.unquote(s, 'iso-8859-1')`.
 *
 * Each `%XX` (hex digits of either case) becomes the character with that code; an invalid escape
 * (`%zz`, `%4`, a trailing `%`) stays as it is, and every other character is kept unchanged.
 */
export function unquoteLatin1(s: string): string {
  let i = s.indexOf('%')
  if (i === -1) return s
  let out = s.slice(0, i)
  while (i < s.length) {
    const c = s.charCodeAt(i)
    if (c === 0x25 && i + 2 < s.length) {
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

// Python's always-safe set for quote(): ASCII letters, digits and `_.-~`.
const ALWAYS_SAFE = new Uint8Array(128)
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~') {
  ALWAYS_SAFE[ch.charCodeAt(0)] = 1
}

const HEX = '0123456789ABCDEF'

/**
 * Percent-encodes `s` with the latin-1 codec: Python's `urllib.parse.quote(s, safe, encoding='latin1')`.
 *
 * Letters, digits, `_.-~` and the ASCII characters of `safe` are kept; every other character
 * becomes `%XX`, the upper-case hex of its latin-1 byte. As in Python, non-ASCII characters in
 * `safe` have no effect. This is not `encodeURIComponent`, which encodes UTF-8 and keeps a
 * different set.
 *
 * @throws WSGIError `ERR_WSGI_NOT_LATIN1` for a character above U+00FF (Python raises
 *   `UnicodeEncodeError`).
 */
export function quoteLatin1(s: string, safe = '/'): string {
  let out = ''
  let start = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80 && (ALWAYS_SAFE[c] === 1 || safe.includes(s.charAt(i)))) continue
    if (c > 0xff) throw notLatin1(s, i)
    out += s.slice(start, i) + '%' + HEX.charAt(c >> 4) + HEX.charAt(c & 15)
    start = i + 1
  }
  return start === 0 ? s : out + s.slice(start)
}

/**
 * Reads a native string as UTF-8 text: the latin-1 characters are taken as bytes, which are then
 * decoded as UTF-8 (Python's `s.encode('latin-1').decode('utf-8')`).
 *
 * This is how an application reads `PATH_INFO` (or any other environ value) as Unicode.
 * Malformed UTF-8 becomes U+FFFD unless `fatal` is set.
 *
 * @example
 * ```ts
 * latin1ToUTF8('/\xe2\x82\xac') // '/€'
 * ```
 * @throws WSGIError `ERR_WSGI_NOT_LATIN1` when `s` holds a character above U+00FF.
 * @throws TypeError when `options.fatal` is set and the bytes are not valid UTF-8.
 */
export function latin1ToUTF8(s: string, options?: { fatal?: boolean }): string {
  if (ASCII.test(s)) return s
  // decode() without { stream: true } resets the decoder, so sharing one is safe.
  return (options?.fatal === true ? FATAL_DECODER : DECODER).decode(latin1ToBytes(s))
}

/**
 * Turns Unicode text into a native string: the text is encoded as UTF-8 and each byte becomes the
 * latin-1 character of the same value (Python's `text.encode('utf-8').decode('latin-1')`).
 *
 * The inverse of {@link latin1ToUTF8}; use it to put Unicode into `PATH_INFO` or a header value.
 *
 * @example
 * ```ts
 * utf8ToLatin1('/€') // '/\xe2\x82\xac'
 * ```
 */
export function utf8ToLatin1(text: string): string {
  if (ASCII.test(text)) return text
  return bytesToLatin1(ENCODER.encode(text))
}

/**
 * Python's `posixpath.normpath(p)`, exactly.
 *
 * Resolves `.` and `..`, collapses repeated slashes and drops a trailing slash; keeps exactly two
 * leading slashes (POSIX leaves `//` implementation-defined), turns three or more into one, and
 * gives `'.'` for an empty result. Node's `path.posix.normalize` differs on all of these.
 */
export function normpath(p: string): string {
  if (p === '') return '.'
  let lead = 0
  if (p.startsWith('/')) lead = p.startsWith('//') && !p.startsWith('///') ? 2 : 1
  const out: string[] = []
  for (const comp of p.split('/')) {
    if (comp === '' || comp === '.') continue
    if (comp !== '..' || (lead === 0 && out.length === 0) || out[out.length - 1] === '..') {
      out.push(comp)
    } else if (out.length > 0) {
      out.pop()
    }
  }
  const joined = '/'.repeat(lead) + out.join('/')
  return joined === '' ? '.' : joined
}
