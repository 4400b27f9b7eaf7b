/**
 * A path-prefix dispatcher: one gateway application that hands each request to the application
 * mounted at the longest matching prefix, moving that prefix from `PATH_INFO` to `SCRIPT_NAME`.
 *
 * Not part of `wsgiref`; it does what Werkzeug's `DispatcherMiddleware` and Rack's `URLMap` do, and
 * it is what `SCRIPT_NAME` exists for (PEP 3333: "the initial portion of the request URL's path
 * that corresponds to the application object"). Runs in any JavaScript runtime.
 *
 * @module
 */

import { describe, invalidArgType } from './errors.ts'
import type { StartResponse, WSGIApplication, WSGIEnvironment } from './types.ts'
import { utf8ToLatin1 } from './_internal/latin1.ts'

/** Options of {@link dispatch}. */
export interface DispatchOptions {
  /**
   * The application that answers when no prefix matches and nothing is mounted at `'/'`.
   * The default answers `404 Not Found` with a `text/plain` body.
   */
  notFound?: WSGIApplication
}

/** One compiled mount: a lower-cased host (or none), a latin-1 prefix without trailing `/`. */
interface Mount {
  readonly host: string | undefined
  readonly prefix: string
  readonly app: WSGIApplication
}

// `http://host[:port]/path` or `https://…`; the path may be missing.
const HOST_KEY = /^https?:\/\/([^/]+)(\/.*)?$/i

const NOT_FOUND_BODY = new TextEncoder().encode('Not Found\n')

function notFoundApp(_environ: WSGIEnvironment, startResponse: StartResponse): Uint8Array[] {
  startResponse('404 Not Found', [
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Content-Length', String(NOT_FOUND_BODY.length)],
  ])
  return [NOT_FOUND_BODY]
}

// Splits `host:port` (and `[v6]:port`), lower-casing the host; the port is '' when absent.
function splitHostPort(value: string): [host: string, port: string] {
  const lower = value.toLowerCase()
  const colon = lower.lastIndexOf(':')
  if (colon === -1 || lower.includes(']', colon)) return [lower, '']
  return [lower.slice(0, colon), lower.slice(colon + 1)]
}

function compile(key: string, app: unknown): Mount {
  if (typeof app !== 'function') {
    throw invalidArgType(
      `The application mounted at ${describe(key)} must be a function (got ${describe(app)})`,
    )
  }
  let host: string | undefined
  let path = key
  const match = HOST_KEY.exec(key)
  if (match) {
    host = (match[1] ?? '').toLowerCase()
    path = match[2] ?? ''
  }
  if (path !== '' && !path.startsWith('/')) {
    throw invalidArgType(`A mount prefix must be empty or start with '/' (got ${describe(key)})`)
  }
  // '/api/' and '/api' are one mount; '/' and '' are both the fallback.
  const prefix = utf8ToLatin1(path.replace(/\/+$/, ''))
  return { host, prefix, app: app as WSGIApplication }
}

// An environ value that should be a string, or '' when a broken environ lacks it.
function stringOr(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

function hostMatches(host: string, environ: WSGIEnvironment): boolean {
  const httpHost = environ['HTTP_HOST']
  const [wantName, wantPort] = splitHostPort(host)
  let name: string
  let port: string
  if (typeof httpHost === 'string' && httpHost !== '') {
    ;[name, port] = splitHostPort(httpHost)
  } else {
    name = stringOr(environ.SERVER_NAME).toLowerCase()
    port = stringOr(environ.SERVER_PORT)
  }
  return name === wantName && (wantPort === '' || port === wantPort)
}

/**
 * Builds a gateway application that routes each request by path prefix, like Werkzeug's
 * `DispatcherMiddleware` and Rack's `URLMap`.
 *
 * - The longest prefix wins, and a prefix matches only on a segment boundary: `'/api'` takes
 *   `/api` and `/api/x`, never `/apix`.
 * - The mounted application sees `SCRIPT_NAME` grown by the prefix and `PATH_INFO` holding the
 *   rest, `''` when the path is the prefix itself. So `requestURI(environ)` inside it still gives
 *   the URL the client asked for, and dispatchers nest.
 * - `'/'` (or `''`) is the fallback, called with `SCRIPT_NAME` and `PATH_INFO` unchanged. Without
 *   one, `options.notFound` answers, by default `404 Not Found` in `text/plain`.
 * - A trailing `/` on a prefix is ignored (`'/api/'` is `'/api'`). Prefixes are compared with the
 *   decoded path, case-sensitively: write them as text (`'/café'`, `'/a b'`), not
 *   percent-encoded; they are encoded to UTF-8 and then read as latin-1, as `PATH_INFO` is.
 * - A key may name a host, as in Rack: `'http://example.com/api'` matches only when `HTTP_HOST`
 *   (or, without it, `SERVER_NAME`) is `example.com`, case-insensitively; a host without a port
 *   matches any port, a host with one only that port. The scheme is ignored. Host keys are tried
 *   before the keys without a host; a request that none of them takes falls through to the rest.
 *
 * The environ is not mutated: the mounted application gets a shallow copy with the two keys
 * changed, so an outer middleware still sees its own `SCRIPT_NAME` and `PATH_INFO` after the call.
 * Changes the mounted application makes to its environ are therefore not seen by the caller.
 *
 * @example
 * ```ts
 * import { dispatch } from '@wsgi/core/dispatch'
 *
 * const app = dispatch({ '/': frontend, '/api': api, '/api/v2': apiV2 })
 * // GET /api/v2/users -> apiV2 with SCRIPT_NAME '/api/v2', PATH_INFO '/users'
 * // GET /apix          -> frontend with SCRIPT_NAME '', PATH_INFO '/apix'
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when a mounted value is not a function, when a
 *   prefix does not start with `/`, or when two keys name the same mount (`'/a'` and `'/a/'`).
 */
export function dispatch(
  mounts: Readonly<Record<string, WSGIApplication>>,
  options: DispatchOptions = {},
): WSGIApplication {
  if (typeof mounts !== 'object' || (mounts as unknown) === null) {
    throw invalidArgType(
      `mounts must be an object of prefix -> application (got ${describe(mounts)})`,
    )
  }
  const seen = new Set<string>()
  const table: Mount[] = []
  for (const [key, app] of Object.entries(mounts)) {
    const mount = compile(key, app)
    const id = `${mount.host ?? ''} ${mount.prefix}`
    if (seen.has(id)) throw invalidArgType(`Two keys name the same mount: ${describe(key)}`)
    seen.add(id)
    table.push(mount)
  }
  // Hosts first, then the longest prefix: the first match in this order is the one to use.
  table.sort(
    (a, b) =>
      Number(a.host === undefined) - Number(b.host === undefined) ||
      b.prefix.length - a.prefix.length,
  )
  const notFound = options.notFound ?? notFoundApp

  return function dispatcher(environ, startResponse) {
    const pathInfo = stringOr(environ.PATH_INFO)
    for (const { host, prefix, app } of table) {
      if (host !== undefined && !hostMatches(host, environ)) continue
      if (prefix === '') return app(environ, startResponse)
      if (!pathInfo.startsWith(prefix)) continue
      if (pathInfo.length !== prefix.length && pathInfo.charCodeAt(prefix.length) !== 0x2f) continue
      const scriptName = stringOr(environ.SCRIPT_NAME)
      const inner: WSGIEnvironment = {
        ...environ,
        SCRIPT_NAME: scriptName + prefix,
        PATH_INFO: pathInfo.slice(prefix.length),
      }
      return app(inner, startResponse)
    }
    return notFound(environ, startResponse)
  }
}
