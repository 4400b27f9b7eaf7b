/**
 * The parts of a `Request` URL that `toFetch` turns into CGI variables, read without the URL
 * parser when the URL is already in the form the parser would give back.
 *
 * Why: `new URL()` is a noticeable share of a mounted hello world on Node. A `Request` URL is
 * almost always serialized already (`request.url` is an href); `@hono/node-server`'s lightweight
 * request builds it from the request line, restricted to characters the parser keeps. For such a
 * URL the parts can be cut out by hand; anything unusual goes to `new URL()`, so the result is
 * always the parser's.
 *
 * @module
 */

/** The parts of an absolute `http:`/`https:` URL, as `URL` spells them. */
export interface URLParts {
  /** `'http'` or `'https'` (`URL#protocol` without the colon). */
  readonly scheme: string
  /** `URL#hostname` (an IPv6 literal keeps its brackets). */
  readonly hostname: string
  /** `URL#port`: `''` for the scheme's default port. */
  readonly port: string
  /** `URL#host`: hostname and `:port` when there is one. */
  readonly host: string
  /** `URL#pathname`, percent-encoded. */
  readonly pathname: string
  /** `URL#search`: `''` or `?` and the query. */
  readonly search: string
}

// Characters the URL parser keeps as they are in the path and the query of a special URL (no
// `'`, which the query encodes; no `\`, which special URLs read as `/`; no `#`, `"`, `<`, `>`,
// `` ` ``, `{`, `}`, space or controls). `?` is a delimiter, allowed in the query only.
const KEPT = new Uint8Array(128)
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&()*+,;=:@/%') {
  KEPT[ch.charCodeAt(0)] = 1
}

// A registered name as the host parser returns it: lower-case letters, digits, `-` and `.`.
const HOST = new Uint8Array(128)
for (const ch of 'abcdefghijklmnopqrstuvwxyz0123456789-.') HOST[ch.charCodeAt(0)] = 1

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39
}

/**
 * True when `host` comes out of the host parser unchanged: lower-case letters, digits, `-` and
 * `.`, no punycode label (which the parser checks), and, when its last label starts with a digit
 * (an IPv4 address to the parser), a plain dotted quad.
 */
function isPlainHost(host: string): boolean {
  if (host.length === 0) return false
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i)
    if (c >= 128 || HOST[c] === 0) return false
  }
  if (host.includes('xn--')) return false
  const lastDot = host.lastIndexOf('.', host.length - 2)
  if (!isDigit(host.charCodeAt(lastDot + 1))) return true
  return isDottedQuad(host)
}

/** `a.b.c.d`, each part 0 to 255 in decimal without a leading zero: as the parser prints IPv4. */
function isDottedQuad(host: string): boolean {
  let parts = 0
  let value = 0
  let digits = 0
  for (let i = 0; i <= host.length; i++) {
    const c = i === host.length ? 0x2e : host.charCodeAt(i)
    if (c === 0x2e) {
      if (digits === 0 || value > 255) return false
      parts++
      value = 0
      digits = 0
    } else if (isDigit(c)) {
      if (digits > 0 && value === 0) return false
      value = value * 10 + (c - 0x30)
      digits++
      if (digits > 3) return false
    } else {
      return false
    }
  }
  return parts === 4
}

/** True when `port` is what the parser keeps: 1 to 65535 without a leading zero, not `deflt`. */
function isPlainPort(port: string, deflt: string): boolean {
  if (port.length === 0 || port.length > 5 || port.charCodeAt(0) === 0x30 || port === deflt)
    return false
  for (let i = 0; i < port.length; i++) if (!isDigit(port.charCodeAt(i))) return false
  return Number(port) <= 65535
}

// The last authority found plain, and its parts: a server's requests nearly all share one, so
// its tests run once, not per request.
let lastAuthority = ''
let lastScheme = ''
let lastHostname = ''
let lastPort = ''

/** The parts of `url` by hand, or undefined when only the URL parser can say. */
function plainParts(url: string): URLParts | undefined {
  let scheme: string
  let start: number
  if (url.startsWith('http://')) {
    scheme = 'http'
    start = 7
  } else if (url.startsWith('https://')) {
    scheme = 'https'
    start = 8
  } else {
    return undefined
  }
  const slash = url.indexOf('/', start)
  if (slash === -1) return undefined
  const authority = url.slice(start, slash)
  let hostname: string
  let port: string
  if (authority === lastAuthority && scheme === lastScheme) {
    hostname = lastHostname
    port = lastPort
  } else {
    const colon = authority.indexOf(':')
    hostname = colon === -1 ? authority : authority.slice(0, colon)
    port = colon === -1 ? '' : authority.slice(colon + 1)
    if (!isPlainHost(hostname)) return undefined
    if (colon !== -1 && !isPlainPort(port, scheme === 'https' ? '443' : '80')) return undefined
    lastAuthority = authority
    lastScheme = scheme
    lastHostname = hostname
    lastPort = port
  }
  let query = -1
  for (let i = slash; i < url.length; i++) {
    const c = url.charCodeAt(i)
    if (c === 0x3f) {
      if (query === -1) query = i
    } else if (c >= 128 || KEPT[c] === 0) {
      return undefined
    }
  }
  const pathname = query === -1 ? url.slice(slash) : url.slice(slash, query)
  // Dot segments (`.`, `..`, `%2e` …) are resolved by the parser.
  if (pathname.includes('/.') || (pathname.includes('%') && /%2e/i.test(pathname))) return undefined
  // A bare `?` is no search to the parser.
  const search = query === -1 || query === url.length - 1 ? '' : url.slice(query)
  return { scheme, hostname, port, host: authority, pathname, search }
}

/**
 * The parts of an absolute request URL, as `new URL(url)` gives them.
 *
 * @throws TypeError (`ERR_INVALID_URL`) from the URL parser for a URL it refuses.
 */
export function requestURLParts(url: string): URLParts {
  const plain = plainParts(url)
  if (plain !== undefined) return plain
  const parsed = new URL(url)
  return {
    scheme: parsed.protocol.slice(0, -1),
    hostname: parsed.hostname,
    port: parsed.port,
    host: parsed.host,
    pathname: parsed.pathname,
    search: parsed.search,
  }
}
