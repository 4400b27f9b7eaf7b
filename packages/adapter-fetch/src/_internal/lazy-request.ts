/**
 * A `Request` whose runtime object is built only when something beyond `method` and `url` is
 * read: the request half of `fromFetch` on its fast path.
 *
 * Building an undici `Request` is the largest single cost of `fromFetch` on a small request
 * (URL parsing, header validation, an `AbortController` that follows the client's signal, and
 * core's own signal behind it). A router reads `method` and `url` only; a handler that reads
 * the headers, the body or the signal pays for the `Request` then, once.
 *
 * The stand-in is an instance of `Request` (its prototype inherits `Request.prototype`), and
 * every member of `Request.prototype` reads through to the built object. So that `fetch(request)`,
 * `new Request(request)` and `request.clone()` see the real thing, the stand-in also reads the
 * runtime's internal slots through to it; that is only possible where those slots are symbol
 * properties (undici on Node), which is checked once at load by building a stand-in and copying
 * it with `new Request()`. Elsewhere (Bun, Deno, workerd, or a global `Request` replaced since),
 * `fromFetch` builds the `Request` at once, as before.
 *
 * A handler that reads the whole body first (`arrayBuffer()`, `bytes()`, `text()`, `json()`, as
 * Hono's `c.req.json()` does) gets it straight from its source, without the `Request` and the web
 * stream in between; a `Request` built after that has its body used, as a real one would.
 *
 * @module
 */
import { onUndici } from './undici-runtime.ts'

/** Builds the runtime's `Request`; `used`: the body was read already, so it must be used. */
type Build = (used: boolean) => Request

/** Reads the whole body from its source: what the built `Request`'s body would deliver. */
export type ReadBody = () => Promise<Uint8Array>

const decoder = new TextDecoder()

/** `bytes` as the `ArrayBuffer` a body read gives: unshared, exactly its length. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const buffer = bytes.buffer
  const whole =
    buffer instanceof ArrayBuffer &&
    bytes.byteOffset === 0 &&
    bytes.byteLength === buffer.byteLength
  return whole ? buffer : bytes.slice().buffer
}

// The methods whose spelling the `Request` constructor keeps as given (upper case already),
// that it accepts, and that a router matches on. Any other goes the eager way, which keeps
// fetch's normalisation (`get` → `GET`) and its refusal of `CONNECT` exactly.
const PLAIN_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'PATCH',
])

/** The stand-in. Its own members are the cheap ones; the rest are added below, forwarding. */
class LazyRequest {
  readonly #method: string
  readonly #url: string
  // The builder until the `Request` is built, then the `Request`.
  #state: Build | Request
  // Reads the body from its source; undefined for a null body, and once the body was taken.
  #readBody: ReadBody | undefined
  #bodyTaken = false

  constructor(method: string, url: string, build: Build, readBody: ReadBody | undefined) {
    this.#method = method
    this.#url = url
    this.#state = build
    this.#readBody = readBody
  }

  /** The runtime's `Request`, built on first use. */
  static real(request: LazyRequest): Request {
    const state = request.#state
    if (typeof state !== 'function') return state
    const built = state(request.#bodyTaken)
    request.#state = built
    return built
  }

  static unbuilt(request: LazyRequest): boolean {
    return typeof request.#state === 'function'
  }

  /**
   * The whole body read from its source, while no `Request` is built and nothing read the body;
   * otherwise undefined (the built `Request` answers then, and refuses a used body).
   */
  static takeBody(request: LazyRequest): Promise<Uint8Array> | undefined {
    const read = request.#readBody
    if (read === undefined || typeof request.#state !== 'function') return undefined
    request.#readBody = undefined
    request.#bodyTaken = true
    return read()
  }

  get method(): string {
    return this.#method
  }

  get url(): string {
    return this.#url
  }

  // Only reading the body makes it used.
  get bodyUsed(): boolean {
    const state = this.#state
    return typeof state === 'function' ? this.#bodyTaken : state.bodyUsed
  }
}

/** The whole-body reads that take the body from its source, and what each makes of the bytes. */
const WHOLE_BODY_READS: Readonly<Record<string, (bytes: Uint8Array) => unknown>> = {
  arrayBuffer: ownBuffer,
  bytes: (bytes) => new Uint8Array(ownBuffer(bytes)),
  text: (bytes) => decoder.decode(bytes),
  json: (bytes) => JSON.parse(decoder.decode(bytes)) as unknown,
}

const OWN: ReadonlySet<PropertyKey> = new Set(['constructor', 'method', 'url', 'bodyUsed'])

function real(self: unknown): Request {
  // A member read on something that is not a stand-in (`Object.create(LazyRequest.prototype)`)
  // fails as it would on a Request.prototype getter: with a TypeError.
  if (!(self instanceof LazyRequest)) throw new TypeError('Illegal invocation')
  return LazyRequest.real(self)
}

/** Defines on the stand-in's prototype a member that reads `key` of the built `Request`. */
function forward(key: PropertyKey, descriptor: PropertyDescriptor | undefined): void {
  const proto = LazyRequest.prototype as unknown as Record<PropertyKey, unknown>
  if (descriptor === undefined || OWN.has(key)) return
  if (descriptor.get !== undefined) {
    Object.defineProperty(proto, key, {
      configurable: true,
      enumerable: descriptor.enumerable === true,
      get(this: unknown) {
        return (real(this) as unknown as Record<PropertyKey, unknown>)[key]
      },
    })
  } else if (typeof descriptor.value === 'function') {
    const method = descriptor.value as (...args: unknown[]) => unknown
    const convert = typeof key === 'string' ? WHOLE_BODY_READS[key] : undefined
    // A method shorthand keeps the name and has no prototype, like the original.
    const forwarding =
      convert === undefined
        ? {
            [method.name](this: unknown, ...args: unknown[]): unknown {
              return method.apply(real(this), args)
            },
          }
        : {
            [method.name](this: unknown, ...args: unknown[]): unknown {
              const taken = this instanceof LazyRequest ? LazyRequest.takeBody(this) : undefined
              return taken === undefined ? method.apply(real(this), args) : taken.then(convert)
            },
          }
    Object.defineProperty(proto, key, {
      configurable: true,
      enumerable: descriptor.enumerable === true,
      writable: true,
      value: forwarding[method.name],
    })
  }
}

/** Defines on the stand-in's prototype an internal slot (a symbol) read from the built object. */
function forwardSlot(key: symbol): void {
  Object.defineProperty(LazyRequest.prototype, key, {
    configurable: true,
    enumerable: false,
    get(this: unknown) {
      return (real(this) as unknown as Record<symbol, unknown>)[key]
    },
    set(this: unknown, value: unknown) {
      ;(real(this) as unknown as Record<symbol, unknown>)[key] = value
    },
  })
}

/** True when the runtime's `Request` keeps its state where a stand-in can read it through. */
function setUp(): boolean {
  // Node's fetch is undici, whose internal slots are symbol properties.
  if (!onUndici()) return false
  try {
    const probe = (): Request =>
      new Request('http://probe.invalid/a?b', {
        method: 'POST',
        headers: [['x-probe', '1']],
        body: 'probe',
        signal: new AbortController().signal,
      })
    const slots = Object.getOwnPropertySymbols(probe())
    if (slots.length === 0) return false
    Object.setPrototypeOf(LazyRequest.prototype, Request.prototype)
    // `request.constructor === Request`, as on the real one.
    Object.defineProperty(LazyRequest.prototype, 'constructor', {
      value: Request,
      writable: true,
      configurable: true,
      enumerable: false,
    })
    for (const key of Reflect.ownKeys(Request.prototype)) {
      if (key === Symbol.toStringTag) continue
      forward(key, Object.getOwnPropertyDescriptor(Request.prototype, key))
    }
    for (const slot of slots) forwardSlot(slot)
    // The check that matters: the runtime's own constructor (what `fetch()` calls) accepts the
    // stand-in as the Request it stands for.
    const stand = new LazyRequest(
      'POST',
      'http://probe.invalid/a?b',
      probe,
      undefined,
    ) as unknown as Request
    const copy = new Request(stand)
    return (
      stand instanceof Request &&
      copy.url === 'http://probe.invalid/a?b' &&
      copy.method === 'POST' &&
      copy.headers.get('x-probe') === '1' &&
      copy.body !== null
    )
  } catch {
    return false
  }
}

const LAZY = setUp()
// The `Request` the stand-in was set up against; a global replaced since gets real objects.
const SET_UP_FOR = LAZY ? Request : undefined

// A URL the WHATWG parser gives back as it is, so `Request#url` would be the same string:
// lower-case `http(s)`, a host that is a lower-case name (labels starting with a letter, no
// IDN `xn--` label) or a dotted-decimal IPv4 address without leading zeros, an optional port
// without leading zeros, then a path and a query of characters the parser keeps. Anything else
// (dot segments, a default port, `'` in a query, upper case in the host…) is parsed.
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
const ORIGIN = new RegExp(
  '^(https?)://(?:(?:[a-z][a-z0-9-]*\\.)*[a-z][a-z0-9-]*|' +
    `${OCTET}(?:\\.${OCTET}){3})(?::([1-9][0-9]{0,4}))?$`,
)
const PATH_AND_QUERY = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*)?$/
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?:[/?]|$)/i

function canonicalOrigin(origin: string): boolean {
  const match = ORIGIN.exec(origin)
  if (match === null || origin.includes('xn--')) return false
  const port = match[2]
  if (port === undefined) return true
  const number = Number(port)
  return number <= 65535 && number !== (match[1] === 'https' ? 443 : 80)
}

// The origin last found canonical: a server's requests nearly all share one, so its (costlier)
// test runs once, not per request.
let knownOrigin = ''

/** True when `url` is one the URL parser would serialise unchanged (false: it may or may not). */
export function canonical(url: string): boolean {
  // A host has no `/`: the first one after `//` starts the path.
  const slash = url.indexOf('/', url.indexOf('//') + 2)
  if (slash < 0) return false
  const rest = url.slice(slash)
  if (!PATH_AND_QUERY.test(rest) || DOT_SEGMENT.test(rest)) return false
  const origin = url.slice(0, slash)
  if (origin === knownOrigin) return true
  if (!canonicalOrigin(origin)) return false
  knownOrigin = origin
  return true
}

/**
 * A stand-in for the `Request` that `build` makes, whose `method` is `method` and `url` is `url`,
 * or undefined when this runtime, this method or this URL cannot have one (the caller builds the
 * `Request` at once). `url` must be what `build`'s `Request` would say; it is checked here by
 * parsing it as the constructor would. `readBody` reads the body `build`'s `Request` would stream
 * (undefined for a null body), and `build(true)` must give a `Request` whose body is used.
 */
export function lazyRequest(
  method: string,
  url: string,
  build: Build,
  readBody?: ReadBody,
): Request | undefined {
  if (!LAZY || globalThis.Request !== SET_UP_FOR || !PLAIN_METHODS.has(method)) return undefined
  let href = url
  if (!canonical(url)) {
    try {
      const parsed = new URL(url)
      // The constructor refuses these; the eager path throws its own error for them.
      if (parsed.username !== '' || parsed.password !== '') return undefined
      href = parsed.href
    } catch {
      return undefined
    }
  }
  return new LazyRequest(method, href, build, readBody) as unknown as Request
}

/**
 * Whether `request` is a stand-in whose runtime `Request` is still unbuilt (true) or built
 * (false); undefined for anything else. For tests, and for a bridge that must know.
 */
export function isUnbuilt(request: unknown): boolean | undefined {
  return request instanceof LazyRequest ? LazyRequest.unbuilt(request) : undefined
}
