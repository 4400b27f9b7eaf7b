/**
 * Python built-ins that the port must reproduce exactly, for messages that match CPython's:
 * `repr()` of strings, bytes, lists and dicts, `repr(type(x))`, `int()` on a string, and the
 * first word of `str.split()`. Internal: never exported from the package.
 *
 * @module
 */

// The characters Python's str.split() with no separator splits on (str.isspace()).
const PY_SPACE =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000'
const FIRST_WORD_RE = new RegExp(`^[${PY_SPACE}]*([^${PY_SPACE}]*)`)
// int() strips the same blanks except the separators U+001C–U+001F.
const INT_SPACE = PY_SPACE.replace('\\x1c-\\x1f', '')
const PY_INT_RE = new RegExp(`^[${INT_SPACE}]*([+-]?\\d+(?:_\\d+)*)[${INT_SPACE}]*$`)

/** `text.split(None, 1)[0]`, or `''` where Python would raise IndexError (blank text). */
export function firstWord(text: string): string {
  return FIRST_WORD_RE.exec(text)?.[1] ?? ''
}

/** True for a plain object (prototype `Object.prototype` or `null`): Python's `dict`. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === null || proto === Object.prototype
}

/**
 * Python's `int()` on a string: surrounding blanks, a sign, digits with single `_` between them.
 * Only ASCII digits (Python also takes other Unicode decimals, none of which is latin-1).
 */
export function parsePythonInt(text: string): number | undefined {
  const match = PY_INT_RE.exec(text)
  if (match?.[1] === undefined) return undefined
  // `+ 0` turns -0 into 0: Python's integers have no negative zero.
  return Number(match[1].replaceAll('_', '')) + 0
}

/**
 * Python's `repr()`: exact for strings, bytes, lists, dicts, `True`/`False`/`None` and tuples (a
 * frozen array, as `wsgi.version` is); anything else as {@link otherRepr} names it (`undefined`
 * stays `undefined`, as {@link typeRepr} calls its type). The one repr of the package: `describe()` and the demo app use it.
 */
export function repr(value: unknown): string {
  return reprIn(value, new Set())
}

// `seen` holds the lists and dicts being printed, so that a cycle prints as Python's `[...]`.
function reprIn(value: unknown, seen: Set<object>): string {
  if (typeof value === 'string') return strRepr(value)
  if (value instanceof Uint8Array) return bytesRepr(value)
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (value === null) return 'None'
  if (Array.isArray(value) || isPlainObject(value)) {
    const list = Array.isArray(value)
    const tuple = list && Object.isFrozen(value)
    if (seen.has(value)) return tuple ? '(...)' : list ? '[...]' : '{...}'
    seen.add(value)
    const items = list
      ? (value as unknown[]).map((v) => reprIn(v, seen))
      : Object.entries(value).map(([k, v]) => `${strRepr(k)}: ${reprIn(v, seen)}`)
    seen.delete(value)
    if (tuple) return items.length === 1 ? `(${items[0] ?? ''},)` : `(${items.join(', ')})`
    return list ? `[${items.join(', ')}]` : `{${items.join(', ')}}`
  }
  return otherRepr(value)
}

/**
 * How values Python has no literal for are named: numbers as JavaScript prints them, `10n`,
 * symbols, `<function name>` and `<ClassName>` for other objects.
 */
export function otherRepr(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (typeof value === 'function') return `<function ${value.name || 'anonymous'}>`
  if (typeof value === 'symbol') return value.toString()
  if (value === null) return 'None'
  if (value === undefined) return 'undefined'
  const name = (value as { constructor?: { name?: string } }).constructor?.name
  return `<${name ?? 'object'}>`
}

// Characters that str.isprintable() rejects: categories C* and Z* except the space itself.
const NON_PRINTABLE_RE = /^(?! )[\p{C}\p{Z}]$/u
const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
}

/** Python's `repr()` of a `str`: the quote it picks, its escapes. */
export function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0
    if (ch === quote) out += `\\${ch}`
    else if (ESCAPES[ch] !== undefined) out += ESCAPES[ch]
    else if (!NON_PRINTABLE_RE.test(ch)) out += ch
    else if (cp < 0x100) out += `\\x${cp.toString(16).padStart(2, '0')}`
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`
    else out += `\\U${cp.toString(16).padStart(8, '0')}`
  }
  return out + quote
}

/**
 * Python's `repr()` of `bytes`; with `limit`, only the first `limit` bytes, then `...` (Python
 * has no such cut: it keeps messages about a large body short).
 */
export function bytesRepr(data: Uint8Array, limit: number = Infinity): string {
  const quote = data.includes(0x27) && !data.includes(0x22) ? '"' : "'"
  let out = `b${quote}`
  for (const b of data.length > limit ? data.subarray(0, limit) : data) {
    const ch = String.fromCharCode(b)
    if (ch === quote) out += `\\${ch}`
    else if (ESCAPES[ch] !== undefined) out += ESCAPES[ch]
    else if (b >= 0x20 && b < 0x7f) out += ch
    else out += `\\x${b.toString(16).padStart(2, '0')}`
  }
  return data.length > limit ? `${out}${quote}...` : out + quote
}

/** Python's `repr(type(value))`, with Python's names where JavaScript has a counterpart. */
export function typeRepr(value: unknown): string {
  return `<class '${typeName(value)}'>`
}

function typeName(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return 'str'
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float'
    case 'bigint':
      return 'int'
    case 'boolean':
      return 'bool'
    case 'object':
      if (value === null) return 'NoneType'
      if (value instanceof Uint8Array) return 'bytes'
      if (Array.isArray(value)) return 'list'
      if (isPlainObject(value)) return 'dict'
      return (value as { constructor?: { name?: string } }).constructor?.name ?? 'object'
    default:
      return typeof value
  }
}

/** Python's `str()` of a tuple of arguments: `('200 OK',)`. */
export function tupleRepr(items: unknown[]): string {
  const inner = items.map((v) => repr(v)).join(', ')
  return items.length === 1 ? `(${inner},)` : `(${inner})`
}
