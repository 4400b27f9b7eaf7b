/**
 * Warning codes emitted by `@wsgi/core`, and the one function that emits them. Codes are stable
 * API: never rename or reuse one; a retired code stays in the registry marked as retired.
 * [fastify lib/warnings.js]
 *
 * Python's `wsgiref.validate` calls `warnings.warn(message, WSGIWarning)` for soft breaches of
 * PEP 3333, and execution goes on. Here the same message goes through `process.emitWarning()` with
 * `type: 'WSGIWarning'` and a `WSGIWRN###` code, so `node --no-warnings`, `--redirect-warnings` and
 * `process.on('warning')` all work. Runtimes without `process` (fetch runtimes) get `console.warn`.
 *
 * @module
 */

/** The union of every warning code. */
export type WSGIWarningCode = 'WSGIWRN001' | 'WSGIWRN002' | 'WSGIWRN003' | 'WSGIWRN004'

/** What the registry says of one code. */
export interface WarningCodeInfo {
  /** The message text; each `%r` is replaced by the Python-style repr of the offending value. */
  readonly message: string
  readonly when: string
  readonly fix: string
}

/** Every warning code, with its message, when it is emitted and how to fix it. */
export const WARNING_CODES: Readonly<Record<WSGIWarningCode, WarningCodeInfo>> = {
  WSGIWRN001: {
    message:
      'QUERY_STRING is not in the WSGI environment; the cgi module will use sys.argv when this variable is missing, so application errors are more likely',
    when: 'validator() saw an environ without QUERY_STRING',
    fix: "have the server always set QUERY_STRING (to '' when the URL has no query)",
  },
  WSGIWRN002: {
    message: 'Unknown REQUEST_METHOD: %r',
    when: 'validator() saw a method other than GET, HEAD, POST, OPTIONS, PATCH, PUT, DELETE, TRACE',
    fix: 'nothing, if the method is meant (CONNECT, WebDAV…); methods are case-sensitive',
  },
  WSGIWRN003: {
    message:
      'The status string (%r) should be a three-digit integer followed by a single space and a status explanation',
    when: 'validator() saw a status whose fourth character is not a space (or no fourth character)',
    fix: "give a status such as '200 OK'",
  },
  WSGIWRN004: {
    message: 'Iterator garbage collected without being closed',
    when: 'a response body returned through validator() was garbage-collected before close() was called',
    fix: 'the server must call close() on the body exactly once, on every path',
  },
}

/**
 * The warning class of the gateway protocol, Python's `wsgiref.validate.WSGIWarning`.
 *
 * Warnings are emitted through `process.emitWarning(message, { type: 'WSGIWarning', code })`, which
 * builds its own `Error`; `instanceof WSGIWarning` is true for those too (any `Error` named
 * `'WSGIWarning'` with a `WSGIWRN` code), so a `process.on('warning')` listener can pick them out.
 *
 * @example
 * ```ts
 * process.on('warning', (w) => {
 *   if (w instanceof WSGIWarning) console.error(w.code, w.message)
 * })
 * ```
 */
export class WSGIWarning extends Error {
  readonly code: WSGIWarningCode

  constructor(code: WSGIWarningCode, message: string = formatWarning(code)) {
    super(message)
    this.code = code
  }

  override get name(): string {
    return 'WSGIWarning'
  }

  override toString(): string {
    return `${this.name} [${this.code}]: ${this.message}`
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (!(value instanceof Error) || value.name !== 'WSGIWarning') return false
    const { code } = value as Error & { code?: unknown }
    return typeof code === 'string' && Object.hasOwn(WARNING_CODES, code)
  }
}

/**
 * The message of a warning code, each `%r` of its template replaced, in order, by `values`
 * (already rendered, usually as Python reprs).
 *
 * @example
 * ```ts
 * formatWarning('WSGIWRN002', "'BREW'") // "Unknown REQUEST_METHOD: 'BREW'"
 * ```
 */
export function formatWarning(code: WSGIWarningCode, ...values: string[]): string {
  let i = 0
  return WARNING_CODES[code].message.replace(/%r/g, (placeholder) => values[i++] ?? placeholder)
}

interface WarningHost {
  process?: { emitWarning?: (message: string, options: { type: string; code: string }) => void }
}

/**
 * Emits a warning of the registry: `process.emitWarning(message, { type: 'WSGIWarning', code })`
 * where `process` exists, `console.warn('WSGIWarning [code]: message')` elsewhere.
 *
 * Every occurrence is emitted (Python shows each distinct message once per call site); filter with
 * `process.on('warning')` or `--no-warnings` if that is too much.
 */
export function emitWSGIWarning(code: WSGIWarningCode, ...values: string[]): void {
  const message = formatWarning(code, ...values)
  // Read `process` off globalThis at call time: fetch runtimes have none, and tests spy on it.
  const proc = (globalThis as WarningHost).process
  if (typeof proc?.emitWarning === 'function') {
    proc.emitWarning(message, { type: 'WSGIWarning', code })
  } else {
    console.warn(String(new WSGIWarning(code, message)))
  }
}
