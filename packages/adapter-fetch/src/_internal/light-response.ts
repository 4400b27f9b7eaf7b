/**
 * A `Response` that keeps a string or bytes body (or none), its status and its header fields as given, and
 * builds the runtime's `Response` only when something beyond those is read: the response half
 * of `fromFetch`'s fast path, put in place of the global `Response` when asked
 * (`FromFetchOptions.overrideGlobalResponse`), as `@hono/node-server` does by default.
 *
 * On Node, `new Response('Hello')` costs more than a whole hello world through `node:http`: the
 * undici constructor validates its init through WebIDL, fills a `Headers`, and makes a
 * `ReadableStream` for the body at once. A handler's `c.text()` or `new Response(text, init)`
 * keeps its parts here instead, and `fromFetch` reads them straight from the object.
 *
 * Only what the runtime would keep unchanged takes the light path: a string body, a copy of a
 * `Uint8Array` or `ArrayBuffer` body (the runtime copies it too), or none; a plain `init` whose
 * `status` is an integer from 200 to 599 (and no body for 204/205/304), no `statusText`, and
 * headers (a plain object, a list of pairs, or a `Headers`) of token names and latin-1 values
 * without NUL, CR, LF or surrounding whitespace. Everything else (streams, other views, a
 * `Blob`, a bad status, a bad header) is the runtime's own object, made at once by its own
 * constructor, so it throws exactly what the runtime throws; a subclass of the light class gets
 * the runtime's object with the subclass's prototype.
 *
 * The light object answers `status`, `ok`, `statusText`, `type`, `url`, `redirected` and
 * `headers` itself; any other member builds the runtime's `Response` from the parts and reads
 * it there. `headers` gives a runtime `Headers` filled as the constructor would fill it, and a
 * change made through it reaches the built `Response` and `fromFetch`. Two differences are
 * left: a `Headers` taken before something built the `Response` stays the light object's, so a
 * change made through it after that is not seen (undici's `headers` is the `Response`'s own for
 * life); and a runtime object made through the light class has the runtime's class as its
 * `constructor` (as a `Response` from `fetch()` has).
 *
 * @module
 */

import { onUndici } from './undici-runtime.ts'

type Pair = [name: string, value: string]

/** The header fields as the runtime's `Headers` iterates them, and what `fromFetch` asks of them. */
export interface LightHeaders {
  get(name: string): string | null
  [Symbol.iterator](): Iterator<[string, string]>
  getSetCookie(): string[]
}

/** What `fromFetch` takes from a light `Response`: the parts, read once. */
export interface LightParts {
  readonly status: number
  readonly statusText: ''
  readonly headers: LightHeaders | Headers
  /** A string as given, bytes as a copy of their own (as the runtime takes them), or none. */
  readonly body: string | Uint8Array | null
}

// Where a light class keeps the runtime's: another copy of this module (a second install, a
// test runner's fresh module graph) may have put its own in place already.
const RUNTIME = Symbol.for('wsgi-ts.runtimeResponse')

/** The runtime's `Response` class, whichever light class stands in its place. */
export const RuntimeResponse: typeof Response =
  (globalThis.Response as unknown as Record<symbol, typeof Response | undefined>)[RUNTIME] ??
  globalThis.Response
const NativeResponse = RuntimeResponse
const NativeHeaders = globalThis.Headers

// RFC 9110 token: what a header name must be.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// A value the runtime keeps as given: latin-1 (a ByteString), no NUL, CR or LF, no HTTP
// whitespace at either end (which it would strip).
const PLAIN_VALUE = /^(?![\t ])[^\0\n\r\u0100-\uffff]*(?<![\t ])$/
// What undici adds for a string body when the headers have no Content-Type.
const TEXT_TYPE = 'text/plain;charset=UTF-8'

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function plainField(name: unknown, value: unknown, into: Pair[]): boolean {
  if (typeof name !== 'string' || typeof value !== 'string') return false
  if (!TOKEN.test(name) || !PLAIN_VALUE.test(value)) return false
  into.push([name.toLowerCase(), value])
  return true
}

/** The fields of a `HeadersInit`, in order, or undefined when the runtime must judge them. */
function initFields(init: object): Pair[] | undefined {
  const fields: Pair[] = []
  if (init instanceof NativeHeaders) {
    // Already validated; its iteration gives what a copy would hold (cookies apart).
    for (const [name, value] of init) fields.push([name, value])
    return fields
  }
  if (Array.isArray(init)) {
    for (const item of init as unknown[]) {
      if (!Array.isArray(item) || item.length !== 2) return undefined
      if (!plainField(item[0], item[1], fields)) return undefined
    }
    return fields
  }
  // A record: WebIDL would refuse a symbol key, and reads own enumerable keys only.
  if (!isPlainObject(init) || Object.getOwnPropertySymbols(init).length > 0) return undefined
  const record = init as Record<string, unknown>
  for (const name of Object.keys(record)) {
    if (!plainField(name, record[name], fields)) return undefined
  }
  return fields
}

interface Parts {
  status: number
  body: string | Uint8Array | null
  fields: Pair[]
}

/**
 * A copy of a bytes body (the runtime copies it too, so a change to the caller's bytes after
 * `new Response()` is not seen): a `Uint8Array` (a `Buffer`) or an `ArrayBuffer` of this realm,
 * not shared, not empty (an empty view may be over a detached buffer, which the runtime
 * refuses); undefined for anything else.
 */
function ownBytes(body: unknown): Uint8Array | undefined {
  if (body instanceof Uint8Array) {
    if (body.byteLength === 0 || !(body.buffer instanceof ArrayBuffer)) return undefined
    return new Uint8Array(body)
  }
  if (body instanceof ArrayBuffer && body.byteLength > 0) return new Uint8Array(body.slice(0))
  return undefined
}

/** The parts of `new Response(body, init)` when they take the light path, else undefined. */
function lightParts(body: unknown, init: unknown): Parts | undefined {
  let kept: string | Uint8Array | null
  if (typeof body === 'string') kept = body
  else if (body === undefined || body === null) kept = null
  else {
    const bytes = ownBytes(body)
    if (bytes === undefined) return undefined
    kept = bytes
  }
  let status = 200
  let fields: Pair[] = []
  if (init !== undefined) {
    if (typeof init !== 'object' || init === null || !isPlainObject(init)) return undefined
    const given = init as { status?: unknown; statusText?: unknown; headers?: unknown }
    const code = given.status
    if (code !== undefined) {
      if (typeof code !== 'number' || !Number.isInteger(code) || code < 200 || code > 599) {
        return undefined
      }
      status = code
    }
    if (given.statusText !== undefined) return undefined
    const headers = given.headers
    if (headers !== undefined) {
      if (typeof headers !== 'object' || headers === null) return undefined
      const listed = initFields(headers)
      if (listed === undefined) return undefined
      fields = listed
    }
  }
  if (kept !== null) {
    // The constructor refuses a body with a null-body status.
    if (status === 204 || status === 205 || status === 304) return undefined
    const typed = typeof kept !== 'string' || fields.some((field) => field[0] === 'content-type')
    if (!typed) fields.push(['content-type', TEXT_TYPE])
  }
  return { status, body: kept, fields }
}

/** The fields as the runtime's `Headers` iterates them: sorted, repeats joined, cookies apart. */
class FieldView implements LightHeaders {
  readonly #sorted: Pair[]
  readonly #cookies: string[]

  constructor(fields: readonly Pair[]) {
    const cookies: string[] = []
    let sorted: Pair[]
    if (fields.length === 1 && fields[0]?.[0] !== 'set-cookie') {
      sorted = fields as Pair[]
    } else {
      const joined = new Map<string, string>()
      for (const [name, value] of fields) {
        if (name === 'set-cookie') {
          cookies.push(value)
          continue
        }
        const before = joined.get(name)
        joined.set(name, before === undefined ? value : `${before}, ${value}`)
      }
      sorted = [...joined]
      for (const cookie of cookies) sorted.push(['set-cookie', cookie])
      // Stable: the cookies keep their order.
      sorted.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    }
    this.#sorted = sorted
    this.#cookies = cookies
  }

  get(name: string): string | null {
    for (const [field, value] of this.#sorted) if (field === name) return value
    return null
  }

  [Symbol.iterator](): Iterator<[string, string]> {
    return this.#sorted[Symbol.iterator]()
  }

  getSetCookie(): string[] {
    return this.#cookies
  }
}

const noop = (): void => undefined

/** The light `Response`. Its own members are the cheap ones; the rest are added below. */
class LightResponse {
  readonly #status!: number
  readonly #body!: string | Uint8Array | null
  readonly #fields!: Pair[]
  #headers: Headers | undefined
  #real: Response | undefined
  // fromFetch took the parts: the body counts as read.
  #taken = false

  constructor(body?: unknown, init?: unknown) {
    if (new.target !== LightResponse) {
      // A subclass: the runtime's object with the subclass's prototype, so its members hold.
      return Reflect.construct(NativeResponse, [body, init], new.target) as LightResponse
    }
    const parts = lightParts(body, init)
    // Anything else is the runtime's own, made by its constructor (which throws what it throws),
    // untouched: its members are the runtime's, at the runtime's speed.
    if (parts === undefined) {
      return new NativeResponse(body as null, init as undefined) as unknown as LightResponse
    }
    this.#status = parts.status
    this.#body = parts.body
    this.#fields = parts.fields
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    // A `Response` from `fetch()` or `Response.json()` is one too.
    return value instanceof NativeResponse
  }

  /** True for an object the light path made (built since or not). */
  static isLight(value: unknown): value is LightResponse {
    return typeof value === 'object' && value !== null && #status in value
  }

  /** The runtime's `Response` for `self`: itself when it is one, else built once from the parts. */
  static real(self: unknown): Response {
    if (!LightResponse.isLight(self)) return self as Response
    if (self.#real !== undefined) return self.#real
    const headers = self.#headers
    const real = new NativeResponse(self.#body, {
      status: self.#status,
      headers: headers ?? self.#fields,
    })
    // A Content-Type deleted through `headers` stays deleted.
    if (headers !== undefined && typeof self.#body === 'string' && !headers.has('content-type')) {
      real.headers.delete('content-type')
    }
    // fromFetch took the body: the built one is used, as after a full read.
    if (self.#taken && real.body !== null) real.body.getReader().cancel().catch(noop)
    self.#real = real
    return real
  }

  static unbuilt(value: unknown): boolean | undefined {
    return LightResponse.isLight(value) ? value.#real === undefined : undefined
  }

  /** The parts for `fromFetch`, once, while nothing built the runtime's `Response`. */
  static take(value: unknown): LightParts | undefined {
    if (!LightResponse.isLight(value) || value.#real !== undefined || value.#taken) return undefined
    value.#taken = true
    return {
      status: value.#status,
      statusText: '',
      headers: value.#headers ?? new FieldView(value.#fields),
      body: value.#body,
    }
  }

  get status(): number {
    return LightResponse.isLight(this) ? this.#status : native('status', this)
  }

  get ok(): boolean {
    return LightResponse.isLight(this) ? this.#status < 300 : native('ok', this)
  }

  get statusText(): string {
    return LightResponse.isLight(this) ? '' : native('statusText', this)
  }

  get type(): string {
    return LightResponse.isLight(this) ? 'default' : native('type', this)
  }

  get url(): string {
    return LightResponse.isLight(this) ? '' : native('url', this)
  }

  get redirected(): boolean {
    return LightResponse.isLight(this) ? false : native('redirected', this)
  }

  get headers(): Headers {
    if (!LightResponse.isLight(this)) return native('headers', this)
    if (this.#real !== undefined) return this.#real.headers
    if (this.#headers === undefined) {
      const headers = new NativeHeaders()
      for (const [name, value] of this.#fields) headers.append(name, value)
      this.#headers = headers
    }
    return this.#headers
  }
}

const NATIVE_PROTO = NativeResponse.prototype as unknown as Record<PropertyKey, unknown>

/** A getter of the runtime's `Response.prototype`, called on a runtime object. */
function native(key: string, self: unknown): never {
  return Reflect.get(NATIVE_PROTO, key, self) as never
}

const OWN: ReadonlySet<PropertyKey> = new Set([
  'constructor',
  'status',
  'ok',
  'statusText',
  'type',
  'url',
  'redirected',
  'headers',
])

/** Defines on the light prototype a member that reads `key` of the runtime's `Response`. */
function forward(key: PropertyKey, descriptor: PropertyDescriptor): void {
  const proto = LightResponse.prototype as unknown as Record<PropertyKey, unknown>
  if (descriptor.get !== undefined) {
    Object.defineProperty(proto, key, {
      configurable: true,
      enumerable: descriptor.enumerable === true,
      // The runtime's getter, on the runtime's object (for one built with the light prototype,
      // reading `key` on it would come back here).
      get(this: unknown) {
        const value: unknown = Reflect.get(NATIVE_PROTO, key, LightResponse.real(this))
        return value
      },
    })
  } else if (typeof descriptor.value === 'function') {
    const method = descriptor.value as (...args: unknown[]) => unknown
    // A method shorthand keeps the name and has no prototype, like the original.
    const forwarding = {
      [method.name](this: unknown, ...args: unknown[]): unknown {
        return method.apply(LightResponse.real(this), args)
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

/** True on Node, whose `Response` (undici's) the light one stands for; set up there once. */
function setUp(): boolean {
  // Bun, Deno and workerd serve only their own `Response`.
  if (!onUndici()) return false
  Object.setPrototypeOf(LightResponse, NativeResponse)
  Object.defineProperty(LightResponse, RUNTIME, { value: NativeResponse })
  Object.setPrototypeOf(LightResponse.prototype, NativeResponse.prototype)
  for (const key of Reflect.ownKeys(NATIVE_PROTO)) {
    if (key === Symbol.toStringTag || OWN.has(key)) continue
    const descriptor = Object.getOwnPropertyDescriptor(NATIVE_PROTO, key)
    if (descriptor !== undefined) forward(key, descriptor)
  }
  return true
}

const USABLE = setUp()

/**
 * Puts the light `Response` in place of the global one. True when it is in place (now or
 * already); false where it cannot stand for the runtime's (not Node), or where something else
 * replaced the global `Response` already (`@hono/node-server` puts its own there).
 */
export function overrideGlobalResponse(): boolean {
  if (!USABLE) return false
  const current: unknown = globalThis.Response
  if (current === LightResponse) return true
  // Another copy's light class is as good (same runtime behind it); anything else is not ours.
  if (current !== NativeResponse) {
    return (current as Record<symbol, unknown> | undefined)?.[RUNTIME] === NativeResponse
  }
  Object.defineProperty(globalThis, 'Response', {
    value: LightResponse,
    writable: true,
    configurable: true,
    enumerable: false,
  })
  return true
}

/** The parts of a light `Response` for `fromFetch`, taken once; undefined for anything else. */
export function takeLight(response: unknown): LightParts | undefined {
  return LightResponse.take(response)
}

/**
 * Whether `value` is a light `Response` whose runtime object is unbuilt (true) or built (false);
 * undefined for anything else. For tests.
 */
export function isUnbuilt(value: unknown): boolean | undefined {
  return LightResponse.unbuilt(value)
}

/** The light `Response` class, for tests that compare it with the runtime's. */
export const LightResponseClass = LightResponse as unknown as typeof Response
