/**
 * fetch `Request` → CGI variables: the request half of `toFetch`.
 *
 * @module
 */
import { quoteLatin1, unquoteLatin1 } from '@wsgi/core/util'

import { connectionTokens, isHopByHopHeader } from './hop-by-hop.ts'
import { escapeRaw } from './latin1.ts'

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

/** `content-type` → `CONTENT_TYPE`; everything else → `HTTP_<NAME>`. */
function cgiName(name: string): string {
  const upper = name.toUpperCase().replace(/-/g, '_')
  return upper === 'CONTENT_TYPE' || upper === 'CONTENT_LENGTH' ? upper : `HTTP_${upper}`
}

/**
 * The CGI variables of a `Request`.
 *
 * Header values stay as fetch holds them (ByteStrings, which are PEP 3333's latin-1 strings);
 * repeated headers arrive joined with `, ` by fetch already. Hop-by-hop headers are dropped, and
 * so are names with `_`: `X_Forwarded_For` would land on the same key as `X-Forwarded-For` and
 * could spoof it (nginx and gunicorn drop them for that reason).
 */
export function requestCgiVars(request: Request, scriptName: string): Record<string, string> {
  const url = new URL(request.url)
  const scheme = url.protocol.slice(0, -1)
  const split = splitPath(url.pathname, url.search, scriptName)
  const vars: Record<string, string> = {
    REQUEST_METHOD: request.method,
    SCRIPT_NAME: split.SCRIPT_NAME,
    PATH_INFO: split.PATH_INFO,
    QUERY_STRING: url.search.slice(1),
    REQUEST_URI: split.REQUEST_URI,
    SERVER_NAME: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    SERVER_PORT: url.port !== '' ? url.port : scheme === 'https' ? '443' : '80',
    SERVER_PROTOCOL: 'HTTP/1.1',
  }
  if (scheme === 'https') vars['HTTPS'] = 'on'
  const listed = connectionTokens(request.headers.get('connection'))
  for (const [name, value] of request.headers) {
    if (name.includes('_') || isHopByHopHeader(name, listed)) continue
    vars[cgiName(name)] = value
  }
  // fetch runtimes keep the authority in the URL, not always in a Host header.
  vars['HTTP_HOST'] ??= url.host
  return vars
}
