/**
 * Manage response headers as a list of `[name, value]` pairs. Port of Python's `wsgiref.headers`,
 * including the control-character checks of gh-143916.
 *
 * Not the WHATWG `Headers` of fetch: this one keeps order and duplicates exactly as
 * `startResponse` receives them, and wraps the caller's own array. Outside core, import it as
 * `import { Headers as WSGIHeaders } from '@wsgi/core'`.
 *
 * @see {@link https://docs.python.org/3/library/wsgiref.html#module-wsgiref.headers wsgiref.headers}
 * @module
 */

import { WSGIError, describe, invalidArgType } from './errors.ts'
import type { HeaderList, HeaderTuple } from './types.ts'
import { isChecked } from './_internal/checked-headers.ts'
import { latin1ToBytes } from './_internal/latin1.ts'

const kHeaders: unique symbol = Symbol.for('@wsgi/core.Headers')

// gh-143916: names reject every C0 control and DEL; values allow HTAB (obs-text folding aside,
// it is legal field content). Compiled once: these run on every header of every response.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NAME_DISALLOWED = /[\x00-\x1f\x7f]/
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const VALUE_DISALLOWED = /[\x00-\x08\x0a-\x1f\x7f]/
const ASCII_UPPER = /[A-Z]/
// eslint-disable-next-line no-control-regex -- the test is for anything outside ASCII
const NON_ASCII = /[^\x00-\x7f]/

function checkString(value: unknown, isName: boolean): string {
  if (typeof value !== 'string') {
    throw new WSGIError(
      'ERR_WSGI_INVALID_HEADER',
      `Header names/values must be of type str (got ${describe(value)})`,
    )
  }
  if ((isName ? NAME_DISALLOWED : VALUE_DISALLOWED).test(value)) {
    throw new WSGIError('ERR_WSGI_INVALID_HEADER', 'Control characters not allowed in headers')
  }
  return value
}

// Divergence from wsgiref: names are compared ASCII-case-insensitively (RFC 9110 field names are
// ASCII tokens); Python's str.lower() would also fold latin-1 letters such as 'Ä'.
function lowerName(name: unknown): string {
  const s = checkString(name, true)
  if (!ASCII_UPPER.test(s)) return s
  // Runs on every lookup: the built-in toLowerCase() is exact for ASCII names (all real ones);
  // only a name with latin-1 letters needs the fold restricted to A-Z.
  return NON_ASCII.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s.toLowerCase()
}

function sameName(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i)
    if (c >= 0x41 && c <= 0x5a) c |= 0x20
    if (c !== lower.charCodeAt(i)) return false
  }
  return true
}

// `_formatparam` with quote=1, which is all `add_header` ever uses.
function formatParam(key: string, value: string): string {
  if (value === '') return key
  return `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/**
 * A list of response headers, ordered and with duplicates, looked up case-insensitively.
 *
 * It wraps the array it is given (no copy), so changes are visible to whoever holds that array,
 * for example a handler that later sends it. Every name and value that enters, and every name
 * looked up, is checked: strings only, and no control characters (HTAB is allowed in values).
 *
 * | Python | here |
 * |---|---|
 * | `len(h)` | `h.size` |
 * | `h[name]`, `h.get(name, default)` | `h.get(name)`, `h.get(name, default)` (`undefined` for `None`) |
 * | `h[name] = value` | `h.set(name, value)` |
 * | `del h[name]` | `h.delete(name)` |
 * | `name in h` | `h.has(name)` |
 * | `get_all`, `setdefault`, `add_header` | `getAll`, `setDefault`, `addHeader` |
 * | `str(h)`, `bytes(h)`, `repr(h)` | `h.toString()`, `h.toBytes()`, `util.inspect(h)` |
 *
 * @example
 * ```ts
 * const headers = new Headers([['Content-Type', 'text/plain']])
 * headers.addHeader('Content-Disposition', 'attachment', { filename: 'bud.gif' })
 * headers.toString()
 * // 'Content-Type: text/plain\r\nContent-Disposition: attachment; filename="bud.gif"\r\n\r\n'
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` from the constructor when `headers` is not an
 *   array of `[name, value]` pairs.
 * @throws WSGIError `ERR_WSGI_INVALID_HEADER` whenever a name or value is not a string or holds a
 *   control character.
 */
export class Headers implements Iterable<HeaderTuple> {
  readonly #headers: HeaderList

  constructor(headers?: HeaderList | null) {
    if (headers === undefined || headers === null) {
      this.#headers = []
      return
    }
    if (!Array.isArray(headers)) {
      throw invalidArgType('Headers must be a list of name/value tuples')
    }
    // Divergence from wsgiref: checked unconditionally; CPython skips this under `python -O`
    // (gh-150726), which lets CR/LF reach the wire. (Except the list startResponse checked in
    // full a moment ago, with stricter rules, for this very call.)
    if (!isChecked(headers)) {
      for (const item of headers as unknown[]) {
        if (!Array.isArray(item) || item.length !== 2) {
          throw invalidArgType('Headers must be a list of name/value tuples')
        }
        checkString(item[0], true)
        checkString(item[1], false)
      }
    }
    this.#headers = headers
  }

  /** The number of headers, duplicates included (Python's `len()`). */
  get size(): number {
    return this.#headers.length
  }

  /**
   * The value of the first header called `name` (any case), or `defaultValue` (`undefined` when
   * omitted) when there is none.
   */
  get(name: string): string | undefined
  get<TDefault>(name: string, defaultValue: TDefault): string | TDefault
  get(name: string, defaultValue?: unknown): unknown {
    const lower = lowerName(name)
    for (const entry of this.#headers) {
      if (sameName(entry[0], lower)) return entry[1]
    }
    return defaultValue
  }

  /** The values of every header called `name` (any case), in order; `[]` when there is none. */
  getAll(name: string): string[] {
    const lower = lowerName(name)
    const out: string[] = []
    for (const entry of this.#headers) {
      if (sameName(entry[0], lower)) out.push(entry[1])
    }
    return out
  }

  /** Removes every header called `name` (any case), then appends `[name, value]` at the end. */
  set(name: string, value: string): void {
    // Divergence from wsgiref: both are checked before anything is removed, so a rejected value
    // leaves the headers as they were (CPython deletes the old header first, then raises).
    checkString(value, false)
    this.delete(name)
    this.#headers.push([name, value])
  }

  /** Removes every header called `name` (any case), in place; no error when there is none. */
  delete(name: string): void {
    const lower = lowerName(name)
    const list = this.#headers
    let kept = 0
    for (const entry of list) {
      if (!sameName(entry[0], lower)) list[kept++] = entry
    }
    list.length = kept
  }

  /** True when a header called `name` (any case) is present. */
  has(name: string): boolean {
    return this.get(name) !== undefined
  }

  /**
   * Returns the first value of `name` when present; otherwise appends `[name, value]` and
   * returns `value`.
   */
  setDefault(name: string, value: string): string {
    const found = this.get(name)
    if (found !== undefined) return found
    this.#headers.push([checkString(name, true), checkString(value, false)])
    return value
  }

  /**
   * Appends a header with optional MIME parameters; it never replaces an existing one.
   *
   * Each parameter key has `_` turned into `-`. A parameter with a value is always written
   * quoted, `key="value"`, with `\` and `"` escaped; a `null`, `undefined` or `''` value gives the
   * bare key. A `null`/`undefined` header value leaves only the parameters.
   *
   * @example
   * ```ts
   * h.addHeader('content-disposition', 'attachment', { filename: 'bud.gif' })
   * // content-disposition: attachment; filename="bud.gif"
   * h.addHeader('X', 'v', { foo_bar: 'baz', a_b: null }) // X: v; foo-bar="baz"; a-b
   * ```
   */
  addHeader(
    name: string,
    value: string | null | undefined,
    params?: Readonly<Record<string, string | null | undefined>>,
  ): void {
    const parts: string[] = []
    if (value !== null && value !== undefined) parts.push(checkString(value, false))
    if (params !== undefined) {
      for (const [rawKey, v] of Object.entries(params)) {
        const key = checkString(rawKey, true).replace(/_/g, '-')
        parts.push(v === null || v === undefined ? key : formatParam(key, checkString(v, false)))
      }
    }
    this.#headers.push([checkString(name, true), parts.join('; ')])
  }

  /** Every header name, duplicates included, in order and original case. */
  keys(): string[] {
    return this.#headers.map((entry) => entry[0])
  }

  /** Every header value, in order. */
  values(): string[] {
    return this.#headers.map((entry) => entry[1])
  }

  /** A shallow copy of the wrapped list: changing the copy does not change the headers. */
  items(): HeaderList {
    return this.#headers.slice()
  }

  /** Iterates the `[name, value]` pairs of the wrapped list. */
  [Symbol.iterator](): Iterator<HeaderTuple> {
    return this.#headers[Symbol.iterator]()
  }

  /** The header block as sent: `Name: value\r\n` per header, then an empty line (`'\r\n'`). */
  toString(): string {
    let out = ''
    for (const entry of this.#headers) out += `${entry[0]}: ${entry[1]}\r\n`
    return `${out}\r\n`
  }

  /**
   * {@link Headers.toString | toString()} encoded as latin-1 bytes (Python's `bytes(h)`).
   *
   * @throws WSGIError `ERR_WSGI_NOT_LATIN1` when a name or value holds a character above U+00FF.
   */
  toBytes(): Uint8Array {
    return latin1ToBytes(this.toString())
  }

  // Instances of this class, from any copy of the package, pass `instanceof Headers`; subclasses
  // keep the ordinary prototype check.
  static [Symbol.hasInstance](value: unknown): boolean {
    return this === Headers
      ? isHeaders(value)
      : Function.prototype[Symbol.hasInstance].call(this, value)
  }
}

// The brand lives on the prototype, so every instance carries it without a per-instance field.
Object.defineProperty(Headers.prototype, kHeaders, { value: true })

// Python's repr(), `Headers([('A', '1'), ...])`, shown by Node's util.inspect and console.log.
// Defined outside the class body because isolatedDeclarations cannot type a computed
// Symbol.for() member; the hook is not API, so it stays out of the declarations on purpose.
Object.defineProperty(Headers.prototype, Symbol.for('nodejs.util.inspect.custom'), {
  value: function inspect(this: Headers): string {
    const items = this.items().map(([k, v]) => `(${describe(k)}, ${describe(v)})`)
    return `${this.constructor.name}([${items.join(', ')}])`
  },
})

/** True for a {@link Headers} from this copy of the package or another (a brand check). */
export function isHeaders(value: unknown): value is Headers {
  return typeof value === 'object' && value !== null && kHeaders in value
}
