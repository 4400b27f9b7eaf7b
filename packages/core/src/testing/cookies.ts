/**
 * The cookie jar of `TestClient`: stores what `Set-Cookie` says and sends it back as `Cookie`.
 *
 * A simple reading of RFC 6265 §5: `Domain` (host-only when absent), `Path` (the default path
 * when absent or not absolute), `Expires`, `Max-Age` (it wins over `Expires`; zero or less
 * deletes), `Secure` (sent over https only). `HttpOnly` and `SameSite` are kept but change nothing:
 * there are no scripts and no cross-site requests in a test. There is no public-suffix list and no
 * size limit. Node-free.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6265#section-5 RFC 6265 §5}
 * @module
 */

/** One stored cookie. */
export interface Cookie {
  readonly name: string
  readonly value: string
  /** The domain, lower case, without a leading dot. */
  readonly domain: string
  /** True when `Domain` was absent: the cookie goes back to exactly `domain`, no subdomain. */
  readonly hostOnly: boolean
  readonly path: string
  /** When the cookie expires, in milliseconds since the epoch; undefined for a session cookie. */
  readonly expires: number | undefined
  readonly secure: boolean
  readonly httpOnly: boolean
  readonly sameSite: string | undefined
}

/** Options of {@link CookieJar.set}. */
export interface SetCookieOptions {
  /** Default: `'127.0.0.1'`, the test client's default host. */
  readonly domain?: string
  /** Default `'/'`. */
  readonly path?: string
  /** Milliseconds since the epoch, or a `Date`. Default: a session cookie. */
  readonly expires?: number | Date
  readonly secure?: boolean
}

/** Options of {@link CookieJar.get} and {@link CookieJar.delete}. */
export interface CookieFilter {
  readonly domain?: string
  readonly path?: string
}

const DEFAULT_DOMAIN = '127.0.0.1'

// RFC 6265 §5.1.4: the directory of the request path, '/' when it has no other slash.
function defaultPath(requestPath: string): string {
  if (!requestPath.startsWith('/')) return '/'
  const cut = requestPath.lastIndexOf('/')
  return cut <= 0 ? '/' : requestPath.slice(0, cut)
}

// RFC 6265 §5.1.4: the cookie path is the request path, or a prefix of it ending at a '/'.
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true
  if (!requestPath.startsWith(cookiePath)) return false
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/'
}

// RFC 6265 §5.1.3, without the IP-address exception (a test has no reason to need it).
function domainMatches(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`)
}

function matches(cookie: Cookie, filter: CookieFilter): boolean {
  return (
    (filter.domain === undefined || cookie.domain === filter.domain.toLowerCase()) &&
    (filter.path === undefined || cookie.path === filter.path)
  )
}

/**
 * Cookies kept across the requests of one `TestClient`.
 *
 * @example
 * ```ts
 * const client = new TestClient(app)
 * await client.post('/login', { form: { user: 'ann' } })
 * client.cookies.get('session') // the value the app set
 * client.cookies.set('theme', 'dark') // sent with every later request to 127.0.0.1
 * ```
 */
export class CookieJar implements Iterable<Cookie> {
  #cookies: Cookie[] = []

  /** The number of cookies stored (expired ones are dropped when met). */
  get size(): number {
    return this.#live(Date.now()).length
  }

  /** The value of the first live cookie called `name` (narrowed by `filter`), or undefined. */
  get(name: string, filter: CookieFilter = {}): string | undefined {
    return this.#live(Date.now()).find((c) => c.name === name && matches(c, filter))?.value
  }

  /** Store a cookie by hand, as if a response had set it. */
  set(name: string, value: string, options: SetCookieOptions = {}): void {
    const { expires } = options
    this.#store({
      name,
      value,
      domain: (options.domain ?? DEFAULT_DOMAIN).toLowerCase(),
      hostOnly: options.domain === undefined,
      path: options.path ?? '/',
      expires: expires instanceof Date ? expires.getTime() : expires,
      secure: options.secure ?? false,
      httpOnly: false,
      sameSite: undefined,
    })
  }

  /** Remove every cookie called `name` (narrowed by `filter`). */
  delete(name: string, filter: CookieFilter = {}): void {
    this.#cookies = this.#cookies.filter((c) => !(c.name === name && matches(c, filter)))
  }

  /** Remove every cookie. */
  clear(): void {
    this.#cookies = []
  }

  /** Every live cookie. */
  [Symbol.iterator](): Iterator<Cookie> {
    return this.#live(Date.now())[Symbol.iterator]()
  }

  /**
   * Store the cookies of a response's `Set-Cookie` headers, as a browser would for a response
   * from `url`. Malformed headers and cookies for another domain are ignored, as RFC 6265 says.
   */
  storeResponseCookies(setCookies: Iterable<string>, url: URL): void {
    const now = Date.now()
    for (const header of setCookies) {
      const cookie = parseSetCookie(header, url, now)
      if (cookie !== undefined) this.#store(cookie)
    }
  }

  /** The `Cookie` header for a request to `url`, or undefined when no cookie applies. */
  cookieHeader(url: URL): string | undefined {
    const host = url.hostname.toLowerCase()
    const path = url.pathname === '' ? '/' : url.pathname
    const secure = url.protocol === 'https:'
    const sent = this.#live(Date.now()).filter(
      (c) =>
        (c.hostOnly ? host === c.domain : domainMatches(host, c.domain)) &&
        pathMatches(path, c.path) &&
        (secure || !c.secure),
    )
    if (sent.length === 0) return undefined
    // RFC 6265 §5.4: longer paths first; Array#sort is stable, so older cookies stay first.
    sent.sort((a, b) => b.path.length - a.path.length)
    return sent.map((c) => `${c.name}=${c.value}`).join('; ')
  }

  #store(cookie: Cookie): void {
    const kept = this.#cookies.filter(
      (c) => !(c.name === cookie.name && c.domain === cookie.domain && c.path === cookie.path),
    )
    if (cookie.expires === undefined || cookie.expires > Date.now()) kept.push(cookie)
    this.#cookies = kept
  }

  #live(now: number): Cookie[] {
    const live = this.#cookies.filter((c) => c.expires === undefined || c.expires > now)
    if (live.length !== this.#cookies.length) this.#cookies = live
    return live
  }
}

/**
 * One `Set-Cookie` header as RFC 6265 §5.2 reads it, for a response from `url`; undefined when
 * the header must be ignored.
 */
export function parseSetCookie(header: string, url: URL, now: number): Cookie | undefined {
  const [pair = '', ...attributes] = header.split(';')
  const eq = pair.indexOf('=')
  if (eq < 0) return undefined
  const name = pair.slice(0, eq).trim()
  if (name === '') return undefined
  const host = url.hostname.toLowerCase()
  let domain = ''
  let path: string | undefined
  let expires: number | undefined
  let maxAge: number | undefined
  let secure = false
  let httpOnly = false
  let sameSite: string | undefined
  for (const attribute of attributes) {
    const cut = attribute.indexOf('=')
    const key = (cut < 0 ? attribute : attribute.slice(0, cut)).trim().toLowerCase()
    const value = cut < 0 ? '' : attribute.slice(cut + 1).trim()
    if (key === 'expires') {
      const time = Date.parse(value)
      if (!Number.isNaN(time)) expires = time
    } else if (key === 'max-age') {
      if (/^-?\d+$/.test(value)) maxAge = Number(value)
    } else if (key === 'domain') {
      if (value !== '') domain = value.replace(/^\./, '').toLowerCase()
    } else if (key === 'path') {
      path = value.startsWith('/') ? value : undefined
    } else if (key === 'secure') {
      secure = true
    } else if (key === 'httponly') {
      httpOnly = true
    } else if (key === 'samesite') {
      sameSite = value
    }
  }
  // A cookie for a domain the response's host does not belong to is refused (§5.3 step 6).
  if (domain !== '' && !domainMatches(host, domain)) return undefined
  // Max-Age wins over Expires (§5.3 step 3); zero or less means "already expired".
  if (maxAge !== undefined) expires = maxAge <= 0 ? 0 : now + maxAge * 1000
  return {
    name,
    value: pair.slice(eq + 1).trim(),
    domain: domain === '' ? host : domain,
    hostOnly: domain === '',
    path: path ?? defaultPath(url.pathname),
    expires,
    secure,
    httpOnly,
    sameSite,
  }
}
