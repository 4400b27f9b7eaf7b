/**
 * Request paths and "bytes as latin-1", as PEP 3333 wants `SCRIPT_NAME` and `PATH_INFO`; the
 * decoding is core's `unquoteLatin1`.
 *
 * @module
 */
import { isLatin1, quoteLatin1 } from '@wsgi/core/util'

/** The path of a request target, without its query. */
export function pathOf(url: string): string {
  const question = url.indexOf('?')
  return question < 0 ? url : url.slice(0, question)
}

// What `wsgiref.util.request_uri` keeps besides the letters, digits and `_.-~` of `quoteLatin1`.
const PATH_SAFE = '/;=,'
// eslint-disable-next-line no-control-regex -- the latin-1 range starts at NUL by definition
const NOT_LATIN1_RUN = /([^\x00-\xff]+)/

/**
 * Percent-encode a latin-1 `PATH_INFO` back into a request path, keeping what
 * `wsgiref.util.request_uri` keeps (letters, digits, `_.-~` and `/;=,`).
 */
export function quotePath(s: string): string {
  if (isLatin1(s)) return quoteLatin1(s, PATH_SAFE)
  // Not latin-1 (so not from a gateway server): encode its UTF-8 bytes rather than fail, as
  // core's quoteLatin1 would. The split keeps each such run at an odd index.
  return s
    .split(NOT_LATIN1_RUN)
    .map((part, i) => (i % 2 === 1 ? encodeURIComponent(part) : quoteLatin1(part, PATH_SAFE)))
    .join('')
}
