/**
 * The URL of the fetch `Request` that `fromFetch` builds from an environ: the inverse of how
 * `toFetch` splits a `Request` URL into `SCRIPT_NAME`, `PATH_INFO` and `QUERY_STRING`.
 *
 * @module
 */
import { WSGIError, describe } from '@wsgi/core/errors'
import type { WSGIEnvironment } from '@wsgi/core/types'
import { quoteLatin1, rawTarget } from '@wsgi/core/util'

import { escapeRaw } from './latin1.ts'

// Divergence from wsgiref: `request_uri()` keeps only `/;=,` unescaped; RFC 3986 allows every
// sub-delim plus `:` and `@` in a path segment, and a router that matches on the raw path (Hono
// does) should see `/a:b` as the client most likely sent it, not `/a%3Ab`.
const PATH_SAFE = "/:@!$&'()*+,;="

function stringKey(environ: WSGIEnvironment, key: string): string {
  const value = environ[key]
  return typeof value === 'string' ? value : ''
}

// RFC 9112 section 3.2 and RFC 3986 section 3.2.2: `host [":" port]`, the host an IP literal in
// brackets or a reg-name (unreserved, pct-encoded and sub-delims characters).
const HOST_HEADER = /^(?:\[[0-9A-Za-z:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?$/

// The origin made from the last valid `Host`: a server's requests nearly all name the same host,
// so the test and the concatenation run once, and every request gets the same string.
let lastHost = ''
let lastScheme = ''
let lastOrigin = ''

/**
 * `scheme://host[:port]` of the environ: `HTTP_HOST` verbatim, else `SERVER_NAME` with
 * `SERVER_PORT` unless it is the scheme's default (as `applicationURI` does), an IPv6 literal in
 * brackets.
 *
 * @throws WSGIError `ERR_WSGI_BAD_REQUEST` when `HTTP_HOST` is not a valid `Host` value. Node's
 *   parser lets any visible character through, and one such as `/`, `?`, `#` or `@` would move
 *   part of the URL built here: `Host: x/admin?` in front of `/public` makes `/admin`, so the
 *   fetch handler would route a path the server (and any gateway middleware) never saw.
 */
export function environOrigin(environ: WSGIEnvironment): string {
  const scheme = stringKey(environ, 'wsgi.url_scheme') || 'http'
  const httpHost = environ['HTTP_HOST']
  if (httpHost !== undefined && httpHost !== '') {
    if (httpHost === lastHost && scheme === lastScheme) return lastOrigin
    if (!HOST_HEADER.test(httpHost)) {
      throw new WSGIError(
        'ERR_WSGI_BAD_REQUEST',
        `The Host header is not a valid host[:port] (got ${describe(httpHost)})`,
      )
    }
    lastHost = httpHost
    lastScheme = scheme
    lastOrigin = `${scheme}://${httpHost}`
    return lastOrigin
  }
  let host = stringKey(environ, 'SERVER_NAME') || 'localhost'
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`
  const port = stringKey(environ, 'SERVER_PORT')
  const defaultPort = scheme === 'https' ? '443' : '80'
  return port === '' || port === defaultPort ? `${scheme}://${host}` : `${scheme}://${host}:${port}`
}

// The segments a WHATWG URL parser resolves away (https://url.spec.whatwg.org/#single-dot-path-segment).
const DOT_SEGMENTS: ReadonlySet<string> = new Set(['.', '..', '%2e', '.%2e', '%2e.', '%2e%2e'])

/**
 * Check that a URL path reaches the handler as it is: no `.` or `..` segment (in any spelling),
 * which `new Request()` would resolve, so that the handler would see another path than the server
 * did (`/public/../admin` becomes `/admin` there); and not the asterisk-form `*` of
 * `OPTIONS *`, which a URL cannot hold (it would become `/*`).
 *
 * @throws WSGIError `ERR_WSGI_BAD_REQUEST` for such a path.
 */
function checkPath(path: string): void {
  if (path === '*') {
    throw new WSGIError(
      'ERR_WSGI_BAD_REQUEST',
      'A fetch Request cannot carry the target * (OPTIONS *)',
    )
  }
  if (!path.includes('.') && !/%2e/i.test(path)) return
  for (const segment of path.split('/')) {
    if (DOT_SEGMENTS.has(segment.toLowerCase())) {
      throw new WSGIError(
        'ERR_WSGI_BAD_REQUEST',
        `The path ${describe(path)} has a dot segment, which a fetch Request would resolve away`,
      )
    }
  }
}

/**
 * The absolute URL for an environ.
 *
 * With `stripScriptName` false it is the URL the client asked for:
 * origin + `SCRIPT_NAME` + `PATH_INFO` + `?QUERY_STRING`. With it true the mount prefix is left
 * out, as a router that strips it would pass the URL on.
 *
 * @throws WSGIError `ERR_WSGI_NOT_LATIN1` when `SCRIPT_NAME`, `PATH_INFO` or `QUERY_STRING` holds
 *   a character above U+00FF (not a PEP 3333 native string).
 * @throws WSGIError `ERR_WSGI_BAD_REQUEST` when the URL would not carry the request unchanged: an
 *   invalid `Host`, a path with `.`/`..` segments, the target `*` (`OPTIONS *`).
 */
export function environURL(environ: WSGIEnvironment, stripScriptName: boolean): string {
  const scriptName = stringKey(environ, 'SCRIPT_NAME')
  const pathInfo = stringKey(environ, 'PATH_INFO')
  // The server's raw target (`REQUEST_URI`, as uWSGI and Apache set it, or gunicorn's `RAW_URI`)
  // where it still agrees with the environ: the client's own percent-encoding (`%2F`, `%3A` …)
  // survives, which decoding had flattened. What a dispatcher changed is quoted again.
  const raw = rawTarget(environ)
  const prefix = stripScriptName ? '' : (raw.scriptName ?? quoteLatin1(scriptName, PATH_SAFE))
  // `?` cannot be in a raw path (the target was split at the first one) and `#` is always
  // escaped; `\` is, because special URLs read it as `/`.
  let path = escapeRaw(prefix + (raw.pathInfo ?? quoteLatin1(pathInfo, PATH_SAFE)), '\\')
  checkPath(path)
  if (!path.startsWith('/')) path = `/${path}`
  return environOrigin(environ) + path + escapeRaw(raw.search)
}
