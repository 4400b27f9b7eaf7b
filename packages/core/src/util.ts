/**
 * Miscellaneous WSGI-related utilities. Port of Python's `wsgiref.util`.
 *
 * URL reconstruction, `SCRIPT_NAME`/`PATH_INFO` shifting for dispatchers, test environments, the
 * hop-by-hop header check and `FileWrapper`, plus the two helpers that read and write PEP 3333's
 * "bytes as latin-1" strings as UTF-8 text. Runs in any JavaScript runtime (no `node:` modules).
 *
 * @see {@link https://docs.python.org/3/library/wsgiref.html#module-wsgiref.util wsgiref.util}
 * @module
 */

import { WSGIError, describe, invalidArgType } from './errors.ts'
import type { FileLike, WSGIEnvironment } from './types.ts'
import { StringErrorStream } from './_internal/error-stream.ts'
import { InputReader } from './_internal/input.ts'
import { normpath, quoteLatin1 } from './_internal/latin1.ts'
// The client's own spelling of the target, for bridges that rebuild a URL from the environ.
export { rawTarget } from './_internal/raw-target.ts'
export type { RawTarget } from './_internal/raw-target.ts'

// The latin-1 rule of PEP 3333 ("bytes as unicode"), public so that servers and adapters
// convert the same way everywhere.
export {
  bytesToLatin1,
  isLatin1,
  latin1ToBytes,
  latin1ToUTF8,
  quoteLatin1,
  unquoteLatin1,
  utf8ToLatin1,
} from './_internal/latin1.ts'

type Environ = Readonly<Record<string, unknown>>

// Python's `environ.get(key)` for string keys: absent (undefined or null) gives undefined; any
// other non-string is a caller bug that Python would surface as a TypeError later on.
function optionalString(environ: Environ, key: string): string | undefined {
  const value = environ[key]
  if (value === undefined || value === null || typeof value === 'string') return value ?? undefined
  throw invalidArgType(`environ['${key}'] must be of type str (got ${describe(value)})`)
}

// Python's `environ[key]`, which raises KeyError when the key is missing.
function requiredString(environ: Environ, key: string): string {
  const value = optionalString(environ, key)
  if (value === undefined)
    throw invalidArgType(`environ['${key}'] is required (KeyError: '${key}')`)
  return value
}

/**
 * Guesses the URL scheme from the `HTTPS` CGI variable: `'https'` when it is exactly `'on'`,
 * `'yes'` or `'1'` (case-sensitive, as in Python), `'http'` otherwise.
 *
 * @example
 * ```ts
 * guessScheme({ HTTPS: 'on' }) // 'https'
 * ```
 */
export function guessScheme(environ: Environ): 'http' | 'https' {
  const https = environ['HTTPS']
  return https === 'on' || https === 'yes' || https === '1' ? 'https' : 'http'
}

/**
 * The base URI of the application: scheme, host and the quoted `SCRIPT_NAME` (`'/'` when empty).
 *
 * `HTTP_HOST`, when set, is used verbatim; otherwise `SERVER_NAME`, plus `:SERVER_PORT` unless the
 * port is the scheme's default (`'80'` for http, `'443'` for https, compared as strings).
 * `SCRIPT_NAME` is percent-encoded from its latin-1 bytes, keeping `/`.
 *
 * @example
 * ```ts
 * applicationURI({ 'wsgi.url_scheme': 'http', HTTP_HOST: 'example.com', SCRIPT_NAME: '/sp\xe4m' })
 * // 'http://example.com/sp%E4m'
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `wsgi.url_scheme` is missing, or when
 *   `HTTP_HOST` is empty and `SERVER_NAME` or `SERVER_PORT` is missing (Python's `KeyError`), or
 *   when one of these keys is not a string.
 * @throws WSGIError `ERR_WSGI_NOT_LATIN1` when `SCRIPT_NAME` holds a character above U+00FF.
 */
export function applicationURI(environ: Environ): string {
  const scheme = requiredString(environ, 'wsgi.url_scheme')
  let url = `${scheme}://`
  const host = optionalString(environ, 'HTTP_HOST')
  if (host) {
    url += host
  } else {
    url += requiredString(environ, 'SERVER_NAME')
    const port = requiredString(environ, 'SERVER_PORT')
    if (scheme === 'https' ? port !== '443' : port !== '80') url += `:${port}`
  }
  const scriptName = optionalString(environ, 'SCRIPT_NAME')
  return url + quoteLatin1(scriptName === undefined || scriptName === '' ? '/' : scriptName)
}

/**
 * The full request URI: {@link applicationURI}, the quoted `PATH_INFO` and, when `includeQuery`
 * is true, `?QUERY_STRING` (verbatim, not re-quoted).
 *
 * `PATH_INFO` keeps `/;=,` unquoted. As in Python, when `SCRIPT_NAME` is empty the first character
 * of the quoted `PATH_INFO` is dropped (it is the `/` already ending the application URI).
 *
 * @example
 * ```ts
 * requestURI({ 'wsgi.url_scheme': 'http', HTTP_HOST: 'h', SCRIPT_NAME: '/app',
 *   PATH_INFO: '/a b', QUERY_STRING: 'x=1' }) // 'http://h/app/a%20b?x=1'
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` as {@link applicationURI} does.
 * @throws WSGIError `ERR_WSGI_NOT_LATIN1` when `SCRIPT_NAME` or `PATH_INFO` holds a character
 *   above U+00FF.
 */
export function requestURI(environ: Environ, includeQuery = true): string {
  let url = applicationURI(environ)
  const pathInfo = quoteLatin1(optionalString(environ, 'PATH_INFO') ?? '', '/;=,')
  url += optionalString(environ, 'SCRIPT_NAME') ? pathInfo : pathInfo.slice(1)
  const query = optionalString(environ, 'QUERY_STRING')
  if (includeQuery && query) url += `?${query}`
  return url
}

/**
 * Moves one path segment from `PATH_INFO` to the end of `SCRIPT_NAME` and returns it; returns
 * `undefined` (Python's `None`) when `PATH_INFO` is empty, leaving `environ` untouched.
 *
 * Empty and `.` segments inside `PATH_INFO` are skipped (the last segment is kept as it is), and
 * the new `SCRIPT_NAME` is normalised like Python's `posixpath.normpath`, so `..` removes a
 * segment from it. A trailing `/` in `PATH_INFO` is shifted as the name `''`, and `SCRIPT_NAME`
 * then ends with `/`. A shifted `.` gives `undefined`. Percent-escapes are not decoded.
 *
 * @example
 * ```ts
 * const environ = { SCRIPT_NAME: '/a', PATH_INFO: '/x/y' }
 * shiftPathInfo(environ) // 'x'; environ is now { SCRIPT_NAME: '/a/x', PATH_INFO: '/y' }
 * ```
 * @throws WSGIError `ERR_WSGI_INVALID_PATH` when `PATH_INFO` is not empty and does not start with
 *   `/` (Python raises `IndexError` when it holds no `/` at all).
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `PATH_INFO` or `SCRIPT_NAME` is not a string.
 */
export function shiftPathInfo(environ: Record<string, unknown>): string | undefined {
  const pathInfo = optionalString(environ, 'PATH_INFO') ?? ''
  if (pathInfo === '') return undefined
  // Divergence from wsgiref: Python only fails (IndexError) when there is no '/' at all, and
  // shifts garbage out of 'x/y'; PEP 3333 requires PATH_INFO to start with '/', so we insist.
  if (!pathInfo.startsWith('/')) {
    throw new WSGIError(
      'ERR_WSGI_INVALID_PATH',
      `PATH_INFO must be empty or start with '/' (got ${describe(pathInfo)})`,
    )
  }
  const parts = pathInfo.split('/')
  const last = parts.length - 1 // >= 1: PATH_INFO starts with '/'
  // parts[0] is '' (the leading '/'); interior '' and '.' go, the last segment always stays.
  const kept = ['']
  for (let i = 1; i < last; i++) {
    const part = parts[i] ?? ''
    if (part !== '' && part !== '.') kept.push(part)
  }
  kept.push(parts[last] ?? '')
  const name = kept[1] ?? ''
  kept.splice(1, 1)

  let scriptName = normpath(`${optionalString(environ, 'SCRIPT_NAME') ?? ''}/${name}`)
  if (scriptName.endsWith('/')) scriptName = scriptName.slice(0, -1)
  if (name === '' && !scriptName.endsWith('/')) scriptName += '/'
  environ['SCRIPT_NAME'] = scriptName
  environ['PATH_INFO'] = kept.join('/')
  return name === '.' ? undefined : name
}

function setDefault(environ: Record<string, unknown>, key: string, value: unknown): void {
  if (!Object.hasOwn(environ, key)) environ[key] = value
}

/**
 * Fills `environ` with the keys a minimal request needs, for tests; keys already present are kept,
 * even when their value is `undefined` or `null`. Mutates and returns the same object.
 *
 * Keys, in CPython's order: `SERVER_NAME` `'127.0.0.1'`, `SERVER_PROTOCOL` `'HTTP/1.0'`,
 * `HTTP_HOST` (= `SERVER_NAME`), `REQUEST_METHOD` `'GET'`, then `SCRIPT_NAME` `''` and `PATH_INFO`
 * `'/'` only when neither is present, `wsgi.version` `[1, 0]`, `wsgi.run_once`,
 * `wsgi.multithread`, `wsgi.multiprocess` (all `false`), an empty `wsgi.input`, a string-backed
 * `wsgi.errors`, `wsgi.url_scheme` from {@link guessScheme}, and `SERVER_PORT` `'80'` or `'443'`
 * for http or https. No `QUERY_STRING` nor `CONTENT_*`.
 *
 * The return type trusts that keys already present hold values of the right type.
 *
 * @example
 * ```ts
 * const environ = setupTestingDefaults({ PATH_INFO: '/hello' })
 * requestURI(environ) // 'http://127.0.0.1/hello'
 * ```
 */
export function setupTestingDefaults(environ: Record<string, unknown>): WSGIEnvironment {
  setDefault(environ, 'SERVER_NAME', '127.0.0.1')
  setDefault(environ, 'SERVER_PROTOCOL', 'HTTP/1.0')
  setDefault(environ, 'HTTP_HOST', environ['SERVER_NAME'])
  setDefault(environ, 'REQUEST_METHOD', 'GET')
  if (!Object.hasOwn(environ, 'SCRIPT_NAME') && !Object.hasOwn(environ, 'PATH_INFO')) {
    environ['SCRIPT_NAME'] = ''
    environ['PATH_INFO'] = '/'
  }
  setDefault(environ, 'wsgi.version', [1, 0])
  // Divergence from wsgiref: booleans, as PEP 3333 and WSGIEnvironment type them (Python uses 0).
  setDefault(environ, 'wsgi.run_once', false)
  setDefault(environ, 'wsgi.multithread', false)
  setDefault(environ, 'wsgi.multiprocess', false)
  setDefault(environ, 'wsgi.input', InputReader.fromBytes(new Uint8Array()))
  setDefault(environ, 'wsgi.errors', new StringErrorStream())
  setDefault(environ, 'wsgi.url_scheme', guessScheme(environ))
  const scheme = environ['wsgi.url_scheme']
  if (scheme === 'http') setDefault(environ, 'SERVER_PORT', '80')
  else if (scheme === 'https') setDefault(environ, 'SERVER_PORT', '443')
  // A cast, not `satisfies`: the object was filled at run time and keeps the caller's values.
  return environ as WSGIEnvironment
}

// RFC 2616 §13.5.1, with CPython's spelling 'trailers' (so 'Trailer' is not hop-by-hop there).
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailers',
  'transfer-encoding',
  'upgrade',
])
const HOP_BY_HOP_LENGTHS: ReadonlySet<number> = new Set([...HOP_BY_HOP].map((name) => name.length))

/**
 * True when `name` is an HTTP/1.1 hop-by-hop header (any case), which an application must not
 * set: `Connection`, `Keep-Alive`, `Proxy-Authenticate`, `Proxy-Authorization`, `TE`, `Trailers`,
 * `Transfer-Encoding`, `Upgrade`.
 *
 * As in CPython the list says `Trailers` (RFC 2616's wording), so `Trailer` gives false.
 *
 * @example
 * ```ts
 * isHopByHop('Keep-Alive') // true
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `name` is not a string.
 */
export function isHopByHop(name: string): boolean {
  if (typeof name !== 'string') {
    throw invalidArgType(`Header name must be of type str (got ${describe(name)})`)
  }
  // Runs for every header of every response: most names cannot be hop-by-hop by their length
  // alone (toLowerCase() keeps the length of every name that folds to one of these).
  return HOP_BY_HOP_LENGTHS.has(name.length) && HOP_BY_HOP.has(name.toLowerCase())
}

// Header name → environ key, remembered: the same few dozen names come with every request.
// Bounded, so that a client sending made-up names cannot grow it without end.
const ENVIRON_KEYS = new Map<string, string>()
const ENVIRON_KEYS_MAX = 512

/**
 * The environ key of a request header (CGI's rule, PEP 3333 section "environ Variables"):
 * `Content-Type` and `Content-Length` become `CONTENT_TYPE` and `CONTENT_LENGTH`, any other name
 * `HTTP_` plus the name upper-cased with `-` as `_`. Not in wsgiref (its servers inline it);
 * here so that every server and adapter converts names the same way.
 *
 * It does not decide whether a header may enter the environ: names with `_` (which would share
 * a key with the dashed spelling) are for the caller to drop.
 *
 * @example
 * ```ts
 * environKey('x-request-id') // 'HTTP_X_REQUEST_ID'
 * environKey('content-type') // 'CONTENT_TYPE'
 * ```
 */
export function environKey(name: string): string {
  const known = ENVIRON_KEYS.get(name)
  if (known !== undefined) return known
  const upper = name.toUpperCase().replaceAll('-', '_')
  const key = upper === 'CONTENT_TYPE' || upper === 'CONTENT_LENGTH' ? upper : `HTTP_${upper}`
  if (ENVIRON_KEYS.size < ENVIRON_KEYS_MAX) ENVIRON_KEYS.set(name, key)
  return key
}

// Environ key → header name, remembered and bounded like ENVIRON_KEYS above.
const HEADER_NAMES = new Map<string, string>()

/**
 * The request header name of an environ key, the inverse of {@link environKey}: `HTTP_X_FOO`
 * becomes `x-foo` (lower case, as Node and HTTP/2 give names), `CONTENT_TYPE` and
 * `CONTENT_LENGTH` become `content-type` and `content-length`. Any other key is not a header
 * and gives `undefined`. Every adapter that turns an environ back into a request uses this one.
 *
 * @example
 * ```ts
 * headerName('HTTP_X_REQUEST_ID') // 'x-request-id'
 * headerName('CONTENT_TYPE') // 'content-type'
 * headerName('PATH_INFO') // undefined
 * ```
 */
export function headerName(key: string): string | undefined {
  const known = HEADER_NAMES.get(key)
  if (known !== undefined) return known
  let name: string
  if (key.startsWith('HTTP_')) name = key.slice(5).toLowerCase().replaceAll('_', '-')
  else if (key === 'CONTENT_TYPE') name = 'content-type'
  else if (key === 'CONTENT_LENGTH') name = 'content-length'
  else return undefined
  if (HEADER_NAMES.size < ENVIRON_KEYS_MAX) HEADER_NAMES.set(key, name)
  return name
}

/**
 * Turns a file-like object into a response body that reads it in blocks of `blksize` bytes
 * (default 8192) until `read()` returns an empty chunk. It is its own async iterator, as the
 * Python class is its own iterator.
 *
 * `read()` may return the chunk or a promise of it. Iterating to the end does not close the file;
 * `close()` does, and the server calls it once, as for every body.
 *
 * Divergence from wsgiref: `close()` always exists and calls `filelike.close()` only when there is
 * one; CPython gives the wrapper a `close` attribute only when the file-like object has one.
 *
 * @example
 * ```ts
 * const app: WSGIApplication = (environ, startResponse) => {
 *   startResponse('200 OK', [['Content-Type', 'application/octet-stream']])
 *   return new FileWrapper(myFileLike, 65536)
 * }
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` from the constructor when `filelike` has no
 *   `read` method.
 */
export class FileWrapper implements AsyncIterableIterator<Uint8Array> {
  /** The wrapped file-like object. */
  readonly filelike: FileLike
  /** The block size passed to `filelike.read()`. */
  readonly blksize: number

  constructor(filelike: FileLike, blksize = 8192) {
    if (typeof (filelike as Partial<FileLike> | null)?.read !== 'function') {
      throw invalidArgType(`filelike must have a read() method (got ${describe(filelike)})`)
    }
    this.filelike = filelike
    this.blksize = blksize
  }

  /** Reads the next block; done when `read()` gives an empty (or no) chunk. */
  async next(): Promise<IteratorResult<Uint8Array, undefined>> {
    const data = await this.filelike.read(this.blksize)
    // Python stops on any falsy chunk; `?.` also ends on a null/undefined from a loose reader.
    if ((data as Uint8Array | null | undefined)?.length) return { done: false, value: data }
    return { done: true, value: undefined }
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  /** Closes the file-like object, when it has a `close()`. */
  close(): void | Promise<void> {
    return this.filelike.close?.()
  }
}
