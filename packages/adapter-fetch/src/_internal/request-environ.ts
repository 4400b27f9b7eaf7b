/**
 * fetch `Request` → CGI variables: the request half of `toFetch`.
 *
 * @module
 */
import { environKey, quoteLatin1, unquoteLatin1 } from '@wsgi/core/util'

import { connectionListed, isHopByHopHeader } from './hop-by-hop.ts'
import { escapeRaw } from './latin1.ts'
import { requestURLParts } from './request-url-parts.ts'
import type { URLParts } from './request-url-parts.ts'

/**
 * Normalises a mount prefix to PEP 3333's `SCRIPT_NAME` form: a leading `/`, no trailing `/`,
 * and `''` for the root.
 */
export function normalizeScriptName(scriptName: string | undefined): string {
  if (scriptName === undefined) return ''
  const trimmed = scriptName.replace(/\/+$/, '')
  if (trimmed === '') return ''
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`
}

/** `SCRIPT_NAME`, `PATH_INFO` and the raw request target for a request path. */
export interface SplitPath {
  SCRIPT_NAME: string
  PATH_INFO: string
  REQUEST_URI: string
}

/**
 * Splits the raw (percent-encoded) path of a `Request` URL at the mount prefix `scriptName`.
 *
 * Two URLs can arrive for a handler mounted at `/legacy`: the full one the client asked for
 * (`/legacy/users`: a host that does not rewrite, or Hono's `mount()` with
 * `replaceRequest: false`), or one whose prefix a router already cut off (`/users`: Hono's
 * default `mount()`). A path equal to the prefix or continuing it with `/` is taken for the
 * first kind; any other path for the second, and the prefix is put back in front of it. Either
 * way `SCRIPT_NAME + PATH_INFO`, and so `requestURI(environ)`, is the path the client asked for.
 */
export function splitPath(rawPath: string, search: string, scriptName: string): SplitPath {
  const decoded = unquoteLatin1(rawPath)
  if (scriptName === '') {
    return { SCRIPT_NAME: '', PATH_INFO: decoded, REQUEST_URI: rawPath + search }
  }
  if (decoded === scriptName || decoded.startsWith(`${scriptName}/`)) {
    return {
      SCRIPT_NAME: scriptName,
      PATH_INFO: decoded.slice(scriptName.length),
      REQUEST_URI: rawPath + search,
    }
  }
  // The prefix was stripped by a router: the client's URL was prefix + path.
  return {
    SCRIPT_NAME: scriptName,
    PATH_INFO: decoded,
    REQUEST_URI: quoteLatin1(scriptName, "/:@!$&'()*+,;=") + escapeRaw(rawPath) + search,
  }
}

/**
 * Add the CGI variables of a `Request` to `vars` (an environ being built).
 *
 * Header values stay as fetch holds them (ByteStrings, which are PEP 3333's latin-1 strings);
 * repeated headers arrive joined with `, ` by fetch already. Hop-by-hop headers are dropped
 * (except `Transfer-Encoding` of a body without a length, see below), and so are names with
 * `_`: `X_Forwarded_For` would land on the same key as `X-Forwarded-For` and could spoof it
 * (nginx and gunicorn drop them for that reason).
 *
 * @param url - `request.url` already parsed, when the caller has it
 */
export function addRequestCgiVars(
  vars: Record<string, unknown>,
  request: Request,
  scriptName: string,
  url: URLParts = requestURLParts(request.url),
): void {
  const scheme = url.scheme
  const split = splitPath(url.pathname, url.search, scriptName)
  const hostname = url.hostname
  vars['REQUEST_METHOD'] = request.method
  vars['SCRIPT_NAME'] = split.SCRIPT_NAME
  vars['PATH_INFO'] = split.PATH_INFO
  vars['QUERY_STRING'] = url.search.slice(1)
  vars['REQUEST_URI'] = split.REQUEST_URI
  vars['SERVER_NAME'] =
    hostname.charCodeAt(0) === 0x5b && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  vars['SERVER_PORT'] = url.port !== '' ? url.port : scheme === 'https' ? '443' : '80'
  vars['SERVER_PROTOCOL'] = 'HTTP/1.1'
  if (scheme === 'https') vars['HTTPS'] = 'on'
  const headers = request.headers
  const connection = headers.get('connection')
  const listed = connectionListed(connection)
  let host = false
  let length = false
  let chunked: string | undefined
  for (const [name, value] of headers) {
    if (name === 'transfer-encoding') chunked = value
    if (name.includes('_') || isHopByHopHeader(name, listed)) continue
    vars[environKey(name)] = value
    if (name === 'host') host = true
    else if (name === 'content-length') length = true
  }
  // fetch runtimes keep the authority in the URL, not always in a Host header.
  if (!host) vars['HTTP_HOST'] = url.host
  // A body without a length came chunked (HTTP/1.1 has no other way), and an HTTP/1.1 server's
  // environ says so: without this key a reader that goes by the headers, as a Node listener
  // behind fromNodeListener does, sees no body at all. The host de-chunked it already; the
  // header is kept (or, where the runtime dropped it, restored) as wsgiref and gunicorn keep it.
  if (!length && (chunked !== undefined || hasUnsizedBody(request))) {
    vars['HTTP_TRANSFER_ENCODING'] = chunked ?? 'chunked'
  }
}

// Read only without a Content-Length: on @hono/node-server, `body` builds the real Request.
function hasUnsizedBody(request: Request): boolean {
  const method = request.method
  return method !== 'GET' && method !== 'HEAD' && request.body !== null
}

/** The CGI variables of a `Request` (see {@link addRequestCgiVars}). */
export function requestCgiVars(request: Request, scriptName: string): Record<string, string> {
  const vars: Record<string, string> = {}
  addRequestCgiVars(vars, request, scriptName)
  return vars
}
