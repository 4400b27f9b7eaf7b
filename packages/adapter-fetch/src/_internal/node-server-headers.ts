/**
 * The request headers of `@hono/node-server`'s lightweight `Request`, read from the Node request
 * it stands for, without making the fetch `Headers` it would make.
 *
 * That host hands the fetch handler a stand-in `Request` that keeps its Node `IncomingMessage`
 * (also given as `env.incoming`) and makes its `headers` on first read; iterating them then makes
 * an undici `Headers` (one `append` per field, validated) and sorts it. `toFetch` reads every
 * header of every request, so when nothing read `request.headers` before it, the same pairs are
 * taken from `incoming.rawHeaders` here: lower-cased names in sorted order, repeats joined with
 * `, ` (`; ` for `Cookie`), values trimmed of HTTP whitespace: what iterating the `Headers` gives.
 * Whatever that would refuse or treat apart (a name that is no token, a value with NUL, CR or LF,
 * a `Set-Cookie` field) leaves the answer to the `Headers` as before.
 *
 * Once anything read `request.headers`, they may have been changed in place (a Hono middleware's
 * `c.req.raw.headers.set(…)`), so they are read as before. The host keeps its Node request and its
 * headers under private symbols; which ones is learnt from a request whose headers were read, by
 * identity (the own symbol whose value is `env.incoming`, the one whose value is
 * `request.headers`), never by name. Any other `Request` (undici's, Bun's, Deno's, workerd's, one
 * a router rebuilt) has no own property holding `env.incoming`, and is always read as before.
 *
 * @module
 */

/** Where a stand-in `Request` of one prototype keeps its Node request and its headers. */
interface StandInKeys {
  readonly incoming: symbol
  readonly headers: symbol
  /** The global `Headers` when this was learnt (and checked to agree with {@link rawHeaderPairs}). */
  readonly headersClass: unknown
}

// Per prototype (a handful in a process, never one per request): its keys, or null when its
// requests are not stand-ins.
const KEYS = new WeakMap<object, StandInKeys | null>()

// What a fetch `Headers` accepts as a name (RFC 9110 token).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const BAD_VALUE = /[\0\r\n]/
// Past this many fields, the plain `Headers` path (no quadratic joining here).
const MAX_FIELDS = 64

interface NodeRequestLike {
  readonly rawHeaders: readonly string[]
}

/** `env.incoming` when it is a Node request with raw headers, else undefined. */
function incomingOf(env: unknown): NodeRequestLike | undefined {
  if (typeof env !== 'object' || env === null) return undefined
  const incoming = (env as { incoming?: unknown }).incoming
  if (typeof incoming !== 'object' || incoming === null) return undefined
  return Array.isArray((incoming as { rawHeaders?: unknown }).rawHeaders)
    ? (incoming as NodeRequestLike)
    : undefined
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d
}

/** The value as a fetch `Headers` stores it: leading and trailing HTTP whitespace removed. */
function normalizeValue(value: string): string {
  let start = 0
  let end = value.length
  while (start < end && isWhitespace(value.charCodeAt(start))) start++
  while (end > start && isWhitespace(value.charCodeAt(end - 1))) end--
  return start === 0 && end === value.length ? value : value.slice(start, end)
}

/** The header pairs of `raw` as iterating a `Headers` made from them gives them, or undefined. */
export function rawHeaderPairs(raw: readonly string[]): [string, string][] | undefined {
  if (raw.length > 2 * MAX_FIELDS) return undefined
  const pairs: [string, string][] = []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const rawName = raw[i] ?? ''
    // HTTP/2 pseudo-headers (`:path`) are no fields; the host skips them too.
    if (rawName.charCodeAt(0) === 0x3a) continue
    const value = normalizeValue(raw[i + 1] ?? '')
    if (!TOKEN.test(rawName) || BAD_VALUE.test(value)) return undefined
    const name = rawName.toLowerCase()
    if (name === 'set-cookie') return undefined
    let joined = false
    for (const pair of pairs) {
      if (pair[0] === name) {
        pair[1] = `${pair[1]}${name === 'cookie' ? '; ' : ', '}${value}`
        joined = true
        break
      }
    }
    if (joined) continue
    // Insertion in sorted order, as `Headers` iterates them.
    let at = pairs.length
    while (at > 0 && (pairs[at - 1]?.[0] ?? '') > name) at--
    pairs.splice(at, 0, [name, value])
  }
  return pairs
}

/**
 * The pairs `request.headers` would iterate, taken from `env.incoming.rawHeaders`, when `request`
 * is a stand-in for that Node request whose headers nothing has read; undefined otherwise (read
 * `request.headers`, then call {@link learnStandIn}).
 */
export function standInHeaderPairs(request: Request, env: unknown): [string, string][] | undefined {
  const incoming = unreadStandIn(request, env)
  return incoming === undefined ? undefined : rawHeaderPairs(incoming.rawHeaders)
}

/** `env.incoming` when `request` is a stand-in for it whose headers nothing has read. */
function unreadStandIn(request: object, env: unknown): NodeRequestLike | undefined {
  const incoming = incomingOf(env)
  if (incoming === undefined) return undefined
  const keys = KEYS.get(Object.getPrototypeOf(request) as object)
  if (keys?.headersClass !== globalThis.Headers) return undefined
  const own = request as Record<symbol, unknown>
  if (own[keys.incoming] !== incoming || own[keys.headers] !== undefined) return undefined
  return incoming
}

/**
 * True when `value` is the host's stand-in `Request` for `env.incoming` (so a `Request` by
 * construction) and its headers are unread: a shape check that reads `headers` would make them.
 */
export function isUnreadStandIn(value: unknown, env: unknown): boolean {
  return typeof value === 'object' && value !== null && unreadStandIn(value, env) !== undefined
}

/**
 * After `request.headers` was read: learn (once per prototype) whether `request` is a stand-in
 * for `env.incoming`, and under which symbols it keeps that and its headers.
 */
export function learnStandIn(request: Request, env: unknown): void {
  const incoming = incomingOf(env)
  if (incoming === undefined) return
  const proto = Object.getPrototypeOf(request) as object | null
  if (proto === null || KEYS.has(proto)) return
  const headers = request.headers
  const own = request as unknown as Record<symbol, unknown>
  let incomingKey: symbol | undefined
  let headersKey: symbol | undefined
  for (const key of Object.getOwnPropertySymbols(request)) {
    const value = own[key]
    if (value === incoming) incomingKey = key
    else if (value === headers) headersKey = key
  }
  KEYS.set(
    proto,
    incomingKey !== undefined && headersKey !== undefined && sameAsHeaders()
      ? { incoming: incomingKey, headers: headersKey, headersClass: globalThis.Headers }
      : null,
  )
}

// A field list whose iteration shows each rule of rawHeaderPairs: order, case, repeats, cookies, spaces.
const PROBE = ['b', '1', 'a', ' x\t', 'A', 'y', 'Cookie', 'c=1', 'cookie', 'd=2', 'B', '2']

/** True when the global `Headers` iterates fields as {@link rawHeaderPairs} does (once, when learning). */
function sameAsHeaders(): boolean {
  const headers = new globalThis.Headers()
  for (let i = 0; i < PROBE.length; i += 2) headers.append(PROBE[i] ?? '', PROBE[i + 1] ?? '')
  return JSON.stringify([...headers]) === JSON.stringify(rawHeaderPairs(PROBE))
}
