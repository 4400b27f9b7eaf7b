/**
 * Small URL helpers for mapping Koa's (percent-encoded) paths onto `SCRIPT_NAME`/`PATH_INFO`
 * (percent-decoded, bytes as latin-1, PEP 3333).
 *
 * @module
 */
import { quoteLatin1 } from '@wsgi/core/util'

/** The path part of a request target (`/a/b?x=1` -> `/a/b`); `''` for a target not in origin form. */
export function pathOf(target: string): string {
  if (target.charCodeAt(0) !== 0x2f /* / */) return ''
  const end = target.search(/[?#]/)
  return end === -1 ? target : target.slice(0, end)
}

// RFC 3986 `pchar` plus `/`, beyond the letters, digits and `-._~` that `quoteLatin1` always
// keeps: what may stand in a path without percent-encoding.
const PATH_SAFE = "!$&'()*+,;=:@/"

/**
 * Percent-encode a native (latin-1) path for Koa's `ctx.path`: each character outside the path
 * characters of RFC 3986 becomes `%XX` of its byte value. The reverse of core's `unquoteLatin1`.
 *
 * @throws WSGIError `ERR_WSGI_NOT_LATIN1` when `s` holds a character above U+00FF.
 */
export function quoteLatin1Path(s: string): string {
  return quoteLatin1(s, PATH_SAFE)
}
