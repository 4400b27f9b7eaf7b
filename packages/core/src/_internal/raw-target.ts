/**
 * The request target as the client sent it (`REQUEST_URI`, or gunicorn's `RAW_URI`), cut into
 * the raw spellings of `SCRIPT_NAME` and `PATH_INFO` where it still agrees with them.
 *
 * Why: `PATH_INFO` is percent-decoded, so a bridge that rebuilds a URL from it turns `%2F` into
 * `/` (`/admin%2Fsecret` reaches the app as `/admin/secret`), `%2e%2e` into `..`, and a malformed
 * escape into a well-formed one. Where the raw target still says the same as the environ, the
 * bridge hands on the client's own bytes instead; what a dispatcher changed is rebuilt.
 *
 * Plain string code, no `node:` modules: the fetch bridge uses it too.
 *
 * @module
 */
import type { WSGIEnvironment } from '../types.ts'
import { unquoteLatin1 } from './latin1.ts'

/** What {@link rawTarget} found; an `undefined` part is to be rebuilt from the environ. */
export interface RawTarget {
  /** `SCRIPT_NAME` as the client spelled it, when the target still starts with it. */
  readonly scriptName: string | undefined
  /** `PATH_INFO` as the client spelled it, when the target still ends with it. */
  readonly pathInfo: string | undefined
  /**
   * `?` and the query as the client sent it when it is still `QUERY_STRING` (a bare `?` kept),
   * else `?QUERY_STRING`, or `''` for an empty one.
   */
  readonly search: string
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30
  const lower = code | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10
  return -1
}

/**
 * The origin-form path and query of a raw target (`http://h/p?q` gives `/p?q`), or undefined
 * when there is none to use: no target, `*`, or a character a parsed request line cannot hold
 * (a server that put one there did not keep the client's bytes).
 */
function originTarget(environ: WSGIEnvironment): string | undefined {
  const given: unknown = environ['REQUEST_URI'] ?? environ['RAW_URI']
  if (typeof given !== 'string') return undefined
  let raw = given
  if (raw.charCodeAt(0) !== 0x2f /* / */) {
    // The absolute form (RFC 9112 section 3.2.2): the path starts after the authority.
    const scheme = raw.indexOf('://')
    if (scheme < 0) return undefined
    const slash = raw.indexOf('/', scheme + 3)
    const question = raw.indexOf('?', scheme + 3)
    if (slash < 0 || (question >= 0 && question < slash)) return undefined
    raw = raw.slice(slash)
  }
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    if (c <= 0x20 || c >= 0x7f) return undefined
  }
  return raw
}

/**
 * Where `pathInfo` starts in `rawPath`, read from the end: -1 when the end of `rawPath` does not
 * decode (as `unquoteLatin1` does) to `pathInfo`, or when the cut is not at a literal `/` (a
 * `%2F` the environ split at was one segment to the client, so no raw spelling is safe there).
 *
 * Reading backwards decodes as reading forwards would: a valid `%XX` cannot overlap another.
 */
function pathInfoStart(rawPath: string, pathInfo: string): number {
  let r = rawPath.length
  for (let p = pathInfo.length - 1; p >= 0; p--) {
    if (r === 0) return -1
    let code = rawPath.charCodeAt(r - 1)
    let width = 1
    if (r >= 3 && rawPath.charCodeAt(r - 3) === 0x25 /* % */) {
      const hi = hexValue(rawPath.charCodeAt(r - 2))
      const lo = hexValue(code)
      if (hi >= 0 && lo >= 0) {
        code = hi * 16 + lo
        width = 3
      }
    }
    if (code !== pathInfo.charCodeAt(p)) return -1
    r -= width
  }
  if (pathInfo === '') return r
  return rawPath.charCodeAt(r) === 0x2f /* / */ ? r : -1
}

/**
 * The raw spellings of `SCRIPT_NAME`, `PATH_INFO` and the query in the environ's `REQUEST_URI`
 * (else `RAW_URI`), as far as they still agree with the environ.
 *
 * - `pathInfo`: the end of the raw path that decodes (latin-1, as the environ was built) to
 *   `PATH_INFO`, starting at a literal `/`. A dispatcher that moved segments into `SCRIPT_NAME`
 *   (`shiftPathInfo`, a mount) leaves it raw.
 * - `scriptName`: the rest in front of it, when it decodes to `SCRIPT_NAME`.
 * - `search`: the raw query when it is `QUERY_STRING`.
 *
 * @example
 * ```ts
 * rawTarget({ SCRIPT_NAME: '/api', PATH_INFO: '/a/b', QUERY_STRING: '', REQUEST_URI: '/api/a%2Fb' })
 * // { scriptName: '/api', pathInfo: '/a%2Fb', search: '' }
 * ```
 */
export function rawTarget(environ: WSGIEnvironment): RawTarget {
  const scriptName = typeof environ.SCRIPT_NAME === 'string' ? environ.SCRIPT_NAME : ''
  const pathInfo = typeof environ.PATH_INFO === 'string' ? environ.PATH_INFO : ''
  const query = typeof environ.QUERY_STRING === 'string' ? environ.QUERY_STRING : ''
  let search = query === '' ? '' : `?${query}`
  const raw = originTarget(environ)
  if (raw === undefined) return { scriptName: undefined, pathInfo: undefined, search }
  const question = raw.indexOf('?')
  const rawPath = question < 0 ? raw : raw.slice(0, question)
  if (question >= 0 && raw.slice(question + 1) === query) search = raw.slice(question)
  const start = pathInfoStart(rawPath, pathInfo)
  if (start < 0) return { scriptName: undefined, pathInfo: undefined, search }
  const prefix = rawPath.slice(0, start)
  return {
    scriptName: unquoteLatin1(prefix) === scriptName ? prefix : undefined,
    pathInfo: rawPath.slice(start),
    search,
  }
}
