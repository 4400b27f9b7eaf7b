/**
 * `proxyFix(app, options)`: trust the `X-Forwarded-*` headers of a known number of reverse
 * proxies, the way Werkzeug's `ProxyFix` middleware does.
 *
 * Behind a proxy the environ describes the hop from the proxy, not the client: `REMOTE_ADDR` is
 * the proxy's address, `wsgi.url_scheme` is `http` even when the client used https, and
 * `HTTP_HOST` may be an internal name. Each proxy appends what it saw to `X-Forwarded-For`,
 * `-Proto`, `-Host`, `-Port` and `-Prefix`. Only the values added by proxies you run can be
 * trusted (a client can send any header it likes), so trust is set per header, as a number of
 * hops counted from the right; 0 leaves that header alone. Node-free.
 *
 * @see {@link https://werkzeug.palletsprojects.com/en/stable/middleware/proxy_fix/ Werkzeug ProxyFix}
 * @module
 */
import { describe, invalidArgType } from './errors.ts'
import type { WSGIApplication } from './types.ts'
import { unquoteLatin1 } from './_internal/latin1.ts'

/** How many proxies to trust for each header (0: ignore that header). */
export interface ProxyFixOptions {
  /** `X-Forwarded-For` → `REMOTE_ADDR`. Default 1. */
  readonly for?: number | undefined
  /** `X-Forwarded-Proto` → `wsgi.url_scheme`. Default 1. */
  readonly proto?: number | undefined
  /** `X-Forwarded-Host` → `HTTP_HOST`, `SERVER_NAME` and `SERVER_PORT`. Default 0. */
  readonly host?: number | undefined
  /** `X-Forwarded-Port` → `SERVER_PORT` and the port of `HTTP_HOST`. Default 0. */
  readonly port?: number | undefined
  /** `X-Forwarded-Prefix` → `SCRIPT_NAME`. Default 0. */
  readonly prefix?: number | undefined
}

/**
 * The values `proxyFix` found before changing them, at `environ['wsgits.proxy_fix.orig']`
 * (Werkzeug's `werkzeug.proxy_fix.orig`); a key absent from the environ is `undefined`.
 */
export interface ProxyFixOriginal {
  readonly REMOTE_ADDR: string | undefined
  readonly 'wsgi.url_scheme': string | undefined
  readonly HTTP_HOST: string | undefined
  readonly SERVER_NAME: string | undefined
  readonly SERVER_PORT: string | undefined
  readonly SCRIPT_NAME: string | undefined
}

/** The environ key of {@link ProxyFixOriginal}. */
export const PROXY_FIX_ORIG_KEY = 'wsgits.proxy_fix.orig'

/**
 * The items of a comma-separated header list, as Werkzeug's `parse_list_header` reads them:
 * commas inside double quotes do not separate, items are trimmed, empty items dropped, and quoted
 * items unquoted (`\"` becomes `"`, `\\` becomes `\`); an unclosed quote gives no items.
 */
export function parseListHeader(value: string): string[] {
  const items: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i)
    if (quoted && c === '\\' && i + 1 < value.length) {
      current += c + value.charAt(++i)
    } else if (c === '"') {
      quoted = !quoted
      current += c
    } else if (c === ',' && !quoted) {
      items.push(current)
      current = ''
    } else {
      current += c
    }
  }
  // An unclosed quoted string makes the whole header malformed: trust none of it.
  if (quoted) return []
  items.push(current)
  const out: string[] = []
  for (const raw of items) {
    const item = raw.trim()
    if (item === '') continue
    out.push(
      item.length >= 2 && item.startsWith('"') && item.endsWith('"')
        ? item.slice(1, -1).replace(/\\([\\"])/g, '$1')
        : item,
    )
  }
  return out
}

/** The value `trusted` hops from the right, or undefined when there are fewer values than that. */
function trustedValue(trusted: number, header: unknown): string | undefined {
  if (trusted === 0 || typeof header !== 'string' || header === '') return undefined
  const values = parseListHeader(header)
  return values.length >= trusted ? values[values.length - trusted] : undefined
}

/** Split `host:port` (an IPv6 literal `[::1]` has no port unless one follows the bracket). */
function splitHost(host: string): [name: string, port: string | undefined] {
  const colon = host.lastIndexOf(':')
  if (colon < 0 || host.endsWith(']')) return [host, undefined]
  return [host.slice(0, colon), host.slice(colon + 1)]
}

function hops(options: ProxyFixOptions, key: keyof ProxyFixOptions, fallback: number): number {
  const value = options[key] ?? fallback
  if (!Number.isInteger(value) || value < 0) {
    throw invalidArgType(
      `proxyFix option '${key}' must be an integer >= 0 (got ${describe(value)})`,
    )
  }
  return value
}

/**
 * Wraps `app` so that it sees the client's address, scheme, host, port and mount as the trusted
 * proxies reported them in `X-Forwarded-*`.
 *
 * For each header whose trust `n` is above 0, the `n`-th value from the right is used, and only
 * when the header holds at least `n` values (fewer means a proxy is missing, so nothing is
 * changed for that header):
 *
 * | header | sets |
 * |---|---|
 * | `X-Forwarded-For` | `REMOTE_ADDR` |
 * | `X-Forwarded-Proto` | `wsgi.url_scheme` |
 * | `X-Forwarded-Host` | `HTTP_HOST` and `SERVER_NAME`; `SERVER_PORT` too when it holds a port |
 * | `X-Forwarded-Port` | `SERVER_PORT`, and the port of `HTTP_HOST` |
 * | `X-Forwarded-Prefix` | `SCRIPT_NAME` |
 *
 * Before changing anything it stores the original values in
 * `environ['wsgits.proxy_fix.orig']` ({@link ProxyFixOriginal}).
 *
 * Divergence from Werkzeug: a forwarded scheme other than `http`/`https` (any case, stored lower
 * case), or a forwarded port that is not 1 to 5 digits, is ignored, since PEP 3333 and the
 * validator accept nothing else; a forwarded prefix is percent-decoded into a native string, as
 * `SCRIPT_NAME` always is, loses its trailing `/`, and is ignored unless it starts with `/`.
 *
 * @example
 * ```ts
 * // One proxy (nginx) in front, which sets X-Forwarded-For, -Proto and -Host.
 * const app = proxyFix(inner, { for: 1, proto: 1, host: 1 })
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when a hop count is not an integer >= 0.
 * @see {@link https://werkzeug.palletsprojects.com/en/stable/middleware/proxy_fix/ Werkzeug ProxyFix}
 */
export function proxyFix(app: WSGIApplication, options: ProxyFixOptions = {}): WSGIApplication {
  const xFor = hops(options, 'for', 1)
  const xProto = hops(options, 'proto', 1)
  const xHost = hops(options, 'host', 0)
  const xPort = hops(options, 'port', 0)
  const xPrefix = hops(options, 'prefix', 0)

  return function proxyFixApp(environ, startResponse) {
    const env = environ as Record<string, unknown>
    const orig = (key: string): string | undefined => {
      const value = env[key]
      return typeof value === 'string' ? value : undefined
    }
    env[PROXY_FIX_ORIG_KEY] = {
      REMOTE_ADDR: orig('REMOTE_ADDR'),
      'wsgi.url_scheme': orig('wsgi.url_scheme'),
      HTTP_HOST: orig('HTTP_HOST'),
      SERVER_NAME: orig('SERVER_NAME'),
      SERVER_PORT: orig('SERVER_PORT'),
      SCRIPT_NAME: orig('SCRIPT_NAME'),
    } satisfies ProxyFixOriginal

    const forwardedFor = trustedValue(xFor, env['HTTP_X_FORWARDED_FOR'])
    if (forwardedFor !== undefined) env['REMOTE_ADDR'] = forwardedFor

    const proto = trustedValue(xProto, env['HTTP_X_FORWARDED_PROTO'])?.toLowerCase()
    if (proto === 'http' || proto === 'https') env['wsgi.url_scheme'] = proto

    const host = trustedValue(xHost, env['HTTP_X_FORWARDED_HOST'])
    if (host !== undefined) {
      const [name, port] = splitHost(host)
      env['HTTP_HOST'] = host
      env['SERVER_NAME'] = name
      if (port !== undefined) env['SERVER_PORT'] = port
    }

    const port = trustedValue(xPort, env['HTTP_X_FORWARDED_PORT'])
    if (port !== undefined && /^\d{1,5}$/.test(port)) {
      const current = env['HTTP_HOST']
      if (typeof current === 'string' && current !== '') {
        env['HTTP_HOST'] = `${splitHost(current)[0]}:${port}`
      }
      env['SERVER_PORT'] = port
    }

    const prefix = trustedValue(xPrefix, env['HTTP_X_FORWARDED_PREFIX'])
    if (prefix !== undefined) {
      const scriptName = unquoteLatin1(prefix).replace(/\/+$/, '')
      if (scriptName === '' || scriptName.startsWith('/')) env['SCRIPT_NAME'] = scriptName
    }

    return app(environ, startResponse)
  }
}
