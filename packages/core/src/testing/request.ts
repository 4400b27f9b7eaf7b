/**
 * From `client.get(path, options)` to the CGI variables of one request, and from a redirect to
 * the next request. Node-free.
 *
 * @module
 */
import { describe, invalidArgType } from '../errors.ts'
import { Headers } from '../headers.ts'
import type { HeaderList } from '../types.ts'
import { latin1ToBytes, quoteLatin1, unquoteLatin1 } from '../_internal/latin1.ts'
import { encodeBody, encodeForm } from './body.ts'
import type { BodyOptions, EncodedBody, FormInit } from './body.ts'

/** Request headers: an object (an array value repeats the header), or `[name, value]` pairs. */
export type HeadersInit =
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | Iterable<readonly [string, string]>

/** Options of one request (`client.get(path, options)` and the others). */
export interface TestRequestOptions extends BodyOptions {
  /** Added to the query string of `path`: a string (sent as it is) or fields to urlencode. */
  readonly query?: string | FormInit | undefined
  /** Request headers. `Host` replaces `HTTP_HOST`; `Content-Type` replaces the implied one. */
  readonly headers?: HeadersInit | undefined
  /** `SCRIPT_NAME` for this request (a native string); overrides the client's. */
  readonly scriptName?: string | undefined
  /** Environ keys set last, over everything else (`REMOTE_ADDR`, `wsgi.url_scheme`…). */
  readonly environ?: Readonly<Record<string, unknown>> | undefined
  /** Follow redirects for this request; overrides the client's `followRedirects`. */
  readonly followRedirects?: boolean | undefined
}

/** One request, resolved: where it goes and what it carries. */
export interface PreparedRequest {
  readonly method: string
  readonly scheme: 'http' | 'https'
  /** `HTTP_HOST`: the host name, and the port when it is not the scheme's default. */
  readonly host: string
  /** `SCRIPT_NAME`, a native string. */
  readonly scriptName: string
  /** `PATH_INFO`, a native string (percent-decoded bytes as latin-1). */
  readonly pathInfo: string
  /** `QUERY_STRING`, as sent. */
  readonly query: string
  readonly headers: HeaderList
  readonly body: EncodedBody | undefined
  readonly environ: Readonly<Record<string, unknown>>
}

/** Where requests go unless a path says otherwise. */
export interface RequestDefaults {
  readonly scheme: 'http' | 'https'
  readonly host: string
  readonly scriptName: string
}

/**
 * Where requests go by default: the scheme and host of `baseURL` (default `'http://127.0.0.1'`,
 * the host of `setupTestingDefaults`), and its path, percent-decoded, as `SCRIPT_NAME` unless
 * `scriptName` is given.
 *
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` for a `baseURL` that is not an absolute http(s)
 *   URL, or a bad `scriptName`.
 */
export function requestDefaults(
  baseURL: string | undefined,
  scriptName: string | undefined,
): RequestDefaults {
  const base = baseURL ?? 'http://127.0.0.1'
  const url = URL.canParse(base) ? new URL(base) : undefined
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw invalidArgType(`baseURL must be an absolute http(s) URL (got ${describe(base)})`)
  }
  return {
    scheme: url.protocol === 'https:' ? 'https' : 'http',
    host: url.host,
    scriptName: normaliseScriptName(
      scriptName ?? unquoteLatin1(url.pathname === '/' ? '' : url.pathname),
    ),
  }
}

const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const ABSOLUTE = /^https?:\/\//i

/**
 * Percent-encode, as UTF-8, what a browser would not put raw in a URL (spaces, controls and
 * everything beyond ASCII); existing `%XX` escapes are kept as they are.
 */
export function encodeURLText(text: string): string {
  return text.replace(/[^\x21-\x7e]+/gu, (run) => encodeURIComponent(run))
}

/** A native (latin-1) string made into URL text: each byte from 0x80 up becomes `%XX`. */
function latin1ToURLText(text: string): string {
  return text.replace(/[\x80-\xff]/g, (c) => quoteLatin1(c))
}

/**
 * A `SCRIPT_NAME` as PEP 3333 wants it: empty, or starting with `/` and not ending with one.
 *
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when it is not a string, or is not empty and does
 *   not start with `/`.
 */
export function normaliseScriptName(scriptName: unknown): string {
  if (typeof scriptName !== 'string' || (scriptName !== '' && !scriptName.startsWith('/'))) {
    throw invalidArgType(
      `scriptName must be '' or a string starting with '/' (got ${describe(scriptName)})`,
    )
  }
  return scriptName.replace(/\/+$/, '')
}

/** `SCRIPT_NAME` and `PATH_INFO` for a full URL path: the mount is cut off when it is there. */
function splitMount(path: string, scriptName: string): [scriptName: string, pathInfo: string] {
  if (scriptName === '') return ['', path]
  if (path === scriptName || path.startsWith(`${scriptName}/`)) {
    return [scriptName, path.slice(scriptName.length)]
  }
  // Outside the mount: the whole path goes to the application, with no mount (as Werkzeug does).
  return ['', path]
}

function headerList(init: HeadersInit | undefined): HeaderList {
  const list: HeaderList = []
  if (init === undefined) return list
  if (Symbol.iterator in init) {
    for (const [name, value] of init as Iterable<readonly [string, string]>) {
      list.push([name, value])
    }
  } else {
    for (const [name, value] of Object.entries(init)) {
      if (value === undefined) continue
      for (const item of typeof value === 'string' ? [value] : value) list.push([name, item])
    }
  }
  // The Headers constructor checks types and control characters; then every value must be latin-1.
  new Headers(list)
  for (const [name, value] of list) latin1ToBytes(name + value)
  return list
}

/**
 * Resolve a request: `path` is relative to the mount (it becomes `PATH_INFO`), or an absolute
 * `http(s)://` URL whose path is cut at the mount when it lies inside it.
 *
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` for a method that is not an HTTP token, a path
 *   that is neither absolute nor empty nor a URL, or bad options.
 * @throws WSGIError `ERR_WSGI_INVALID_HEADER`, `ERR_WSGI_NOT_LATIN1` for bad header names or values.
 */
export function prepareRequest(
  method: string,
  path: string,
  options: TestRequestOptions,
  defaults: RequestDefaults,
): PreparedRequest {
  if (typeof method !== 'string' || !METHOD.test(method)) {
    throw invalidArgType(`method must be an HTTP token (got ${describe(method)})`)
  }
  if (typeof path !== 'string') {
    throw invalidArgType(`path must be a string (got ${describe(path)})`)
  }
  const text = encodeURLText(path.split('#', 1)[0] ?? '')
  let scheme = defaults.scheme
  let host = defaults.host
  let scriptName =
    options.scriptName === undefined ? defaults.scriptName : normaliseScriptName(options.scriptName)
  let pathInfo: string
  let query: string
  if (ABSOLUTE.test(text)) {
    const url = new URL(text)
    scheme = url.protocol === 'https:' ? 'https' : 'http'
    host = url.host
    ;[scriptName, pathInfo] = splitMount(unquoteLatin1(url.pathname), scriptName)
    query = url.search.slice(1)
  } else {
    if (text !== '' && !text.startsWith('/') && !text.startsWith('?')) {
      throw invalidArgType(`path must start with '/' or be an http(s) URL (got ${describe(path)})`)
    }
    const cut = text.indexOf('?')
    pathInfo = unquoteLatin1(cut < 0 ? text : text.slice(0, cut))
    query = cut < 0 ? '' : text.slice(cut + 1)
  }
  const extra = options.query
  if (extra !== undefined) {
    const more =
      typeof extra === 'string' ? encodeURLText(extra.replace(/^\?/, '')) : encodeForm(extra)
    if (more !== '') query = query === '' ? more : `${query}&${more}`
  }
  return {
    method,
    scheme,
    host,
    scriptName,
    pathInfo,
    query,
    headers: headerList(options.headers),
    body: encodeBody(options),
    environ: options.environ ?? {},
  }
}

/** The URL of a request, as a browser would have it (for cookies and redirects). */
export function requestURL(request: PreparedRequest): URL {
  const path = quoteLatin1(request.scriptName + request.pathInfo || '/', "/;=,:@!$&'()*+")
  const query = request.query === '' ? '' : `?${request.query}`
  return new URL(`${request.scheme}://${request.host}${path}${query}`)
}

/**
 * `SERVER_NAME` and `SERVER_PORT` from an `HTTP_HOST`-style host and the scheme.
 */
function serverOf(host: string, scheme: 'http' | 'https'): [name: string, port: string] {
  const match = /^(.*?)(?::(\d+))?$/.exec(host)
  const name = match?.[1] ?? host
  return [name, match?.[2] ?? (scheme === 'https' ? '443' : '80')]
}

/** The environ key of a request header name (`Content-Type` has no `HTTP_` prefix). */
function environKey(name: string): string {
  const key = name.toUpperCase().replace(/-/g, '_')
  return key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH' ? key : `HTTP_${key}`
}

/**
 * The CGI variables of a request, in the way `setupTestingDefaults` and a real server fill them.
 *
 * `cookie` is the jar's `Cookie` header; it follows any `Cookie` header the request carries.
 */
export function cgiVariables(
  request: PreparedRequest,
  cookie: string | undefined,
): Record<string, string> {
  const [serverName, serverPort] = serverOf(request.host, request.scheme)
  const vars: Record<string, string> = {
    REQUEST_METHOD: request.method,
    SCRIPT_NAME: request.scriptName,
    PATH_INFO: request.pathInfo,
    QUERY_STRING: request.query,
    SERVER_NAME: serverName,
    SERVER_PORT: serverPort,
    SERVER_PROTOCOL: 'HTTP/1.0',
    HTTP_HOST: request.host,
    REMOTE_ADDR: '127.0.0.1',
  }
  if (request.scheme === 'https') vars['HTTPS'] = 'on'
  const body = request.body
  if (body !== undefined) {
    if (body.source instanceof Uint8Array) vars['CONTENT_LENGTH'] = String(body.source.length)
    if (body.contentType !== undefined) vars['CONTENT_TYPE'] = body.contentType
  }
  const given = new Set<string>()
  for (const [name, value] of request.headers) {
    const key = environKey(name)
    const previous = given.has(key) ? vars[key] : undefined
    // Repeated headers are joined as a server joins them; Cookie with '; ' (RFC 6265 §5.4).
    vars[key] =
      previous === undefined ? value : `${previous}${key === 'HTTP_COOKIE' ? '; ' : ', '}${value}`
    given.add(key)
  }
  if (cookie !== undefined) {
    const own = given.has('HTTP_COOKIE') ? vars['HTTP_COOKIE'] : undefined
    vars['HTTP_COOKIE'] = own === undefined ? cookie : `${own}; ${cookie}`
  }
  return vars
}

const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308])

/** True for the status codes a client follows: 301, 302, 303, 307, 308. */
export function isRedirect(statusCode: number): boolean {
  return REDIRECTS.has(statusCode)
}

/**
 * The request a redirect leads to, or undefined when it cannot be followed: a `Location` that is
 * not a URL, leads to another host, or would have to send again a body that was a stream.
 *
 * 301, 302 and 303 become a `GET` without a body (a `HEAD` stays a `HEAD`); 307 and 308 keep the
 * method and the body. A location inside the mount keeps `SCRIPT_NAME` and maps the rest to
 * `PATH_INFO`; one outside it clears `SCRIPT_NAME`.
 */
export function redirectRequest(
  request: PreparedRequest,
  statusCode: number,
  location: string,
): PreparedRequest | undefined {
  let target: URL
  try {
    target = new URL(latin1ToURLText(location), requestURL(request))
  } catch {
    return undefined
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return undefined
  if (target.host !== requestURL(request).host) return undefined
  const keep = statusCode === 307 || statusCode === 308
  if (keep && request.body !== undefined && !(request.body.source instanceof Uint8Array)) {
    return undefined
  }
  const [scriptName, pathInfo] = splitMount(unquoteLatin1(target.pathname), request.scriptName)
  return {
    ...request,
    method: keep || request.method === 'HEAD' ? request.method : 'GET',
    scheme: target.protocol === 'https:' ? 'https' : 'http',
    host: target.host,
    scriptName,
    pathInfo,
    query: target.search.slice(1),
    headers: keep
      ? request.headers
      : request.headers.filter(([name]) => !/^content-(?:type|length)$/i.test(name)),
    body: keep ? request.body : undefined,
  }
}
