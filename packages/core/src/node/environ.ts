/**
 * `http.IncomingMessage` -> environ: the CGI variables of one Node request, computed the way
 * Python's `wsgiref.simple_server.WSGIRequestHandler.get_environ()` computes them. The `wsgits.*`
 * extension keys (client-abort signal, trailers, the native request and response) live in
 * `extension-environ.ts` and are re-exported here.
 *
 * Deliberate differences from wsgiref (each marked below): no `CONTENT_TYPE` key when the
 * request has none; `REMOTE_ADDR` is the socket's own form (IPv4-mapped on a dual-stack
 * listener); request header names holding `_` are dropped; absolute-form targets are reduced to
 * their path; `REMOTE_PORT` is added; no process environment is copied in.
 *
 * @see {@link https://docs.python.org/3/library/wsgiref.html#wsgiref.simple_server.WSGIRequestHandler.get_environ wsgiref WSGIRequestHandler.get_environ}
 * @see {@link https://peps.python.org/pep-3333/#environ-variables PEP 3333, environ variables}
 * @module
 */
import type { IncomingMessage } from 'node:http'

import { unquoteLatin1 } from '../_internal/latin1.ts'

export {
  ADD_TRAILERS_KEY,
  NODE_REQUEST_KEY,
  NODE_RESPONSE_KEY,
  SIGNAL_KEY,
  addExtensionEnviron,
  clientAbortSignal,
  clientLeft,
  unreadSignalResponse,
} from './extension-environ.ts'

/** Options of {@link addRequestEnviron}. */
export interface RequestEnvironOptions {
  /**
   * The mount point of the application (`SCRIPT_NAME`), as a native (latin-1) string without a
   * trailing slash. When the request path starts with it, it is cut off `PATH_INFO`. Default: the
   * `SCRIPT_NAME` already in the environ, else `''`.
   */
  readonly scriptName?: string | undefined
  /**
   * `SERVER_NAME`. Default: the host name of the `Host` header, else the local address of the
   * socket. (wsgiref takes the name the server was bound to; see `WSGIServer`.)
   */
  readonly serverName?: string | undefined
}

/**
 * The environ key of one request header name: `bare` (`USER_AGENT`) and `http` (`HTTP_…`); one
 * object per `http` key, whatever the spelling of the name, so a repeat is seen by identity.
 */
interface HeaderKey {
  readonly bare: string
  readonly http: string
  /** `bare` may already be an environ key: a CGI variable's name, or an `HTTP_*` one. */
  readonly reserved: boolean
}

// The keys the environ may hold before the headers are read (the CGI variables wsgiref sets,
// and those this module sets); any other key present means a custom base environ.
const CGI_KEYS: ReadonlySet<string> = new Set([
  'SERVER_NAME',
  'GATEWAY_INTERFACE',
  'SERVER_PORT',
  'REMOTE_HOST',
  'CONTENT_LENGTH',
  'SCRIPT_NAME',
  'SERVER_PROTOCOL',
  'SERVER_SOFTWARE',
  'REQUEST_METHOD',
  'PATH_INFO',
  'QUERY_STRING',
  'REMOTE_ADDR',
  'REMOTE_PORT',
  'CONTENT_TYPE',
  'HTTPS',
  'REQUEST_URI',
])

// Header names repeat across requests (Host, User-Agent, Accept…), so each name is mapped once.
// Bounded, so that a client sending random names cannot grow it without limit.
const KEY_CACHE = new Map<string, HeaderKey | null>()
const KEY_BY_HTTP = new Map<string, HeaderKey>()
const KEY_CACHE_MAX = 1024

function headerKey(name: string): HeaderKey | null {
  let key = KEY_CACHE.get(name)
  if (key === undefined) {
    // Divergence from wsgiref: a name holding `_` is dropped. wsgiref maps `X_Foo` and `X-Foo`
    // both onto HTTP_X_FOO, so a client could forge a header a proxy vouches for (the Django
    // CVE-2015-0219 class of bug; gunicorn, waitress and werkzeug drop them too).
    if (name.includes('_')) {
      key = null
    } else {
      const bare = name.replaceAll('-', '_').toUpperCase()
      const http = `HTTP_${bare}`
      key = KEY_BY_HTTP.get(http)
      if (key === undefined) {
        key = { bare, http, reserved: CGI_KEYS.has(bare) || bare.startsWith('HTTP_') }
        KEY_BY_HTTP.set(http, key)
      }
    }
    if (KEY_CACHE.size >= KEY_CACHE_MAX) {
      KEY_CACHE.clear()
      KEY_BY_HTTP.clear()
    }
    KEY_CACHE.set(name, key)
  }
  return key
}

/** True for a CGI variable's name or a dotted key (`wsgi.*`…): not a custom environ key. */
export function isCGIKey(key: string): boolean {
  return CGI_KEYS.has(key) || key.includes('.')
}

/** True when `env` holds a key that is neither a CGI variable nor dotted (`wsgi.*`…). */
export function hasCustomKeys(env: Readonly<Record<string, unknown>>): boolean {
  for (const key in env) {
    if (!CGI_KEYS.has(key) && !key.includes('.') && env[key] !== undefined) return true
  }
  return false
}

// Python's str.strip() on a latin-1 string: ASCII whitespace, the separators U+001C-U+001F,
// U+0085 and U+00A0. llhttp already cut spaces and tabs, so this rarely has work to do.
function isPyBlank(c: number): boolean {
  return c <= 0x20 ? c === 0x20 || (c >= 0x09 && c <= 0x0d) || c >= 0x1c : c === 0x85 || c === 0xa0
}

function pyStrip(s: string): string {
  const n = s.length
  if (n === 0 || (!isPyBlank(s.charCodeAt(0)) && !isPyBlank(s.charCodeAt(n - 1)))) return s
  let start = 0
  let end = n
  while (start < end && isPyBlank(s.charCodeAt(start))) start++
  while (end > start && isPyBlank(s.charCodeAt(end - 1))) end--
  return s.slice(start, end)
}

/**
 * An absolute-form target (`http://h/p?q`) reduced to origin form (`/p?q`).
 *
 * Divergence from wsgiref: wsgiref would put `http://h/p` into PATH_INFO; RFC 9112 §3.2.2 says a
 * server must accept the absolute form, and what the app wants is the path.
 */
function originForm(url: string): string {
  const scheme = url.indexOf('://')
  if (scheme < 0) return url
  let end = scheme + 3
  while (end < url.length) {
    const c = url.charCodeAt(end)
    if (c === 0x2f /* / */ || c === 0x3f /* ? */ || c === 0x23 /* # */) break
    end++
  }
  const rest = url.slice(end)
  return rest.charCodeAt(0) === 0x2f ? rest : `/${rest}`
}

/** `host` of a `Host` header value (`h`, `h:80`, `[::1]:80`), without the port. */
function hostName(host: string): string {
  if (host.charCodeAt(0) === 0x5b /* [ */) {
    const close = host.indexOf(']')
    return close < 0 ? host : host.slice(0, close + 1)
  }
  const colon = host.indexOf(':')
  return colon < 0 ? host : host.slice(0, colon)
}

// For SERVER_NAME only: a local address of a dual-stack socket is a name for URLs, so an IPv4 one
// is written as IPv4 (`::ffff:127.0.0.1` -> `127.0.0.1`). REMOTE_ADDR keeps the socket's form.
function plainAddress(address: string | undefined): string {
  if (address === undefined) return ''
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

/**
 * Write the CGI variables of `req` into `env`, following wsgiref's `get_environ()`.
 *
 * Sets `SERVER_PROTOCOL`, `REQUEST_METHOD`, `SCRIPT_NAME`, `PATH_INFO` (percent-decoded, bytes as
 * latin-1), `QUERY_STRING` (raw), `REQUEST_URI` (the target as sent: `req.originalUrl` when
 * Express's router cut `req.url`, else `req.url`), `REMOTE_ADDR`, `REMOTE_PORT`, `CONTENT_TYPE` (only when sent),
 * `CONTENT_LENGTH` (`''` when absent), one `HTTP_*` key per header, and — when `env` lacks them —
 * `SERVER_NAME`, `SERVER_PORT`, `GATEWAY_INTERFACE` `'CGI/1.1'`, `REMOTE_HOST` `''` and `HTTPS`
 * `'on'` for TLS sockets. Keys already in `env` win over headers mapping onto them, as in
 * wsgiref: a `Request-Method` header never overwrites `REQUEST_METHOD`.
 *
 * Repeated headers are joined with `,` (no space) in arrival order, values are stripped, and
 * names holding `_` are dropped. HTTP/2 pseudo-headers (`http2` compat API) are not headers:
 * `:method`/`:path` are `REQUEST_METHOD`/`PATH_INFO`/`QUERY_STRING` already, `:authority` is
 * `HTTP_HOST` (and `SERVER_NAME`) when no `Host` header came, and `:scheme` `https` sets `HTTPS`
 * (so `wsgi.url_scheme`); `SERVER_PROTOCOL` is `HTTP/2.0`.
 *
 * @example
 * ```ts
 * const env: Record<string, unknown> = {}
 * addRequestEnviron(env, req)
 * env['PATH_INFO'] // '/caf\xe9' for GET /caf%E9
 * ```
 */
export function addRequestEnviron(
  env: Record<string, unknown>,
  req: IncomingMessage,
  options?: RequestEnvironOptions,
): void {
  fillRequestEnviron(env, req, options, hasCustomKeys(env))
}

/**
 * {@link addRequestEnviron}, told whether `env` may hold keys other than CGI variables and dotted
 * ones (`custom`); when it cannot, headers are only looked up in `env` when their key is a CGI
 * name or an `HTTP_*` one. For servers that build the environ themselves.
 */
export function fillRequestEnviron(
  env: Record<string, unknown>,
  req: IncomingMessage,
  options: RequestEnvironOptions | undefined,
  custom: boolean,
): void {
  const socket = req.socket as IncomingMessage['socket'] | null | undefined
  let url = req.url ?? '/'
  if (url.charCodeAt(0) !== 0x2f /* / */ && url !== '*') url = originForm(url)
  const version = req.httpVersion
  // Nearly every request is HTTP/1.1: no string to build for it.
  env['SERVER_PROTOCOL'] = version === '1.1' ? 'HTTP/1.1' : `HTTP/${version}`
  env['REQUEST_METHOD'] = req.method ?? 'GET'
  // The target as the client sent it (gunicorn's RAW_URI), so that a bridge rebuilding a URL
  // keeps `%2F` and friends; Express keeps it in `originalUrl` once its router cut `url`.
  const original = (req as IncomingMessage & { originalUrl?: unknown }).originalUrl
  env['REQUEST_URI'] = typeof original === 'string' ? original : (req.url ?? '/')

  const question = url.indexOf('?')
  let pathInfo = unquoteLatin1(question < 0 ? url : url.slice(0, question))
  const scriptName = options?.scriptName ?? (env['SCRIPT_NAME'] as string | undefined) ?? ''
  if (
    scriptName !== '' &&
    pathInfo.startsWith(scriptName) &&
    (pathInfo.length === scriptName.length || pathInfo.charCodeAt(scriptName.length) === 0x2f)
  ) {
    pathInfo = pathInfo.slice(scriptName.length)
  }
  env['SCRIPT_NAME'] = scriptName
  env['PATH_INFO'] = pathInfo
  env['QUERY_STRING'] = question < 0 ? '' : url.slice(question + 1)
  // As the socket gave it (`::ffff:127.0.0.1` on a dual-stack listener), as gunicorn does: a
  // framework behind fromNodeListener then sees the address (and family) its own server shows,
  // so `trust proxy` lists and `req.ip` behave as native.
  env['REMOTE_ADDR'] = socket?.remoteAddress ?? ''
  // Divergence from wsgiref: REMOTE_PORT is added (not in wsgiref nor PEP 3333, but in CGI
  // practice: Apache, nginx, uWSGI).
  env['REMOTE_PORT'] = socket?.remotePort === undefined ? '' : String(socket.remotePort)
  env['CONTENT_LENGTH'] ??= ''
  // Present before the headers are read, so that headers mapping onto them are skipped.
  const nameFromHost = env['SERVER_NAME'] === undefined && options?.serverName === undefined
  env['SERVER_NAME'] ??= options?.serverName ?? ''
  if (env['SERVER_PORT'] === undefined) {
    env['SERVER_PORT'] = socket?.localPort === undefined ? '' : String(socket.localPort)
  }
  env['GATEWAY_INTERFACE'] ??= 'CGI/1.1'
  env['REMOTE_HOST'] ??= ''
  if ((socket as { encrypted?: boolean } | null | undefined)?.encrypted === true) {
    env['HTTPS'] ??= 'on'
  }

  let host: string | undefined
  let authority: string | undefined
  // A header whose key may already be in the environ must be looked up (wsgiref skips it); for
  // the rest, only repeats are joined, found among the keys seen so far (no environ lookups).
  const seen: HeaderKey[] = []
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]
    const rawValue = raw[i + 1]
    if (name === undefined || rawValue === undefined) break
    if (name.charCodeAt(0) === 0x3a /* : */) {
      // An HTTP/2 pseudo-header (the compat API lists them in rawHeaders): not a header.
      // :method and :path are req.method and req.url already; :authority stands for Host.
      if (name === ':authority') authority ??= rawValue
      else if (name === ':scheme' && rawValue === 'https') env['HTTPS'] ??= 'on'
      continue
    }
    const key = headerKey(name)
    if (key === null) continue
    const value = pyStrip(rawValue)
    const bare = key.bare
    if (bare === 'CONTENT_TYPE') {
      // Divergence from wsgiref: no CONTENT_TYPE key when the request has no Content-Type.
      // wsgiref's 'text/plain' default comes from the email package, not from CGI or PEP 3333,
      // and would tell an app a body type the client never claimed.
      env['CONTENT_TYPE'] ??= value
      continue
    }
    if (bare === 'CONTENT_LENGTH') {
      if (env['CONTENT_LENGTH'] === '' && value !== '') env['CONTENT_LENGTH'] = value
      continue
    }
    if ((key.reserved || custom) && env[bare] !== undefined) continue
    if (bare === 'HOST') host ??= value
    if (seen.includes(key)) {
      env[key.http] = `${env[key.http] as string},${value}`
    } else {
      // A header named like an HTTP_* key seen as a CGI name (`Http-Foo` after `Foo`) was
      // skipped above; a key from a custom environ as well.
      if ((key.reserved || custom) && env[key.http] !== undefined) {
        env[key.http] = `${env[key.http] as string},${value}`
      } else {
        env[key.http] = value
      }
      seen.push(key)
    }
  }

  // HTTP/2 (RFC 9113 §8.3.1): :authority replaces Host, which a client may still send instead.
  if (host === undefined && authority !== undefined && env['HTTP_HOST'] === undefined) {
    host = authority
    env['HTTP_HOST'] = authority
  }
  if (nameFromHost) {
    env['SERVER_NAME'] =
      host !== undefined && host !== '' ? hostName(host) : plainAddress(socket?.localAddress)
  }
}

/**
 * True when `req` asks for `100 Continue` before sending its body (HTTP/1.1 and an `Expect`
 * header naming `100-continue`, as Node's server decides it).
 */
export function expectsContinue(env: Readonly<Record<string, unknown>>): boolean {
  const expect = env['HTTP_EXPECT']
  return (
    typeof expect === 'string' &&
    env['SERVER_PROTOCOL'] === 'HTTP/1.1' &&
    /(?:^|\W)100-continue(?:$|\W)/i.test(expect)
  )
}
