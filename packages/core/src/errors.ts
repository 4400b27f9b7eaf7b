/**
 * Error codes raised by `@wsgi/core` and the adapters. Codes are stable API: never rename or
 * reuse one; a retired code stays in the registry marked as retired.   [fastify lib/errors.js]
 *
 * Python's wsgiref raises `AssertionError`, `TypeError` and `ValueError`; here a protocol breach is
 * a {@link WSGIError} carrying one of these codes and CPython's message text, and a wrong argument
 * type at an API boundary is a built-in `TypeError` with `code: 'ERR_WSGI_INVALID_ARG_TYPE'`.
 *
 * @module
 */

import { bytesRepr, otherRepr, strRepr } from './_internal/python.ts'

/** The union of every error code. */
export type WSGIErrorCode =
  | 'ERR_WSGI_INVALID_ARG_TYPE'
  | 'ERR_WSGI_HEADERS_ALREADY_SET'
  | 'ERR_WSGI_WRITE_BEFORE_START_RESPONSE'
  | 'ERR_WSGI_NO_START_RESPONSE'
  | 'ERR_WSGI_INVALID_STATUS'
  | 'ERR_WSGI_INVALID_HEADER'
  | 'ERR_WSGI_HOP_BY_HOP_HEADER'
  | 'ERR_WSGI_NOT_LATIN1'
  | 'ERR_WSGI_INVALID_BODY_CHUNK'
  | 'ERR_WSGI_INVALID_PATH'
  | 'ERR_WSGI_VALIDATION'
  | 'ERR_WSGI_BODY_ALREADY_READ'
  | 'ERR_WSGI_INPUT_ERROR'
  | 'ERR_WSGI_BODY_TOO_LARGE'
  | 'ERR_WSGI_CHAIN_ALREADY_RUN'
  | 'ERR_WSGI_TOO_MANY_REDIRECTS'
  | 'ERR_WSGI_CONTENT_LENGTH_MISMATCH'
  | 'ERR_WSGI_BAD_REQUEST'
  | 'ERR_WSGI_PYTHON_WORKER'

/** What the registry says of one code. */
export interface ErrorCodeInfo {
  readonly when: string
  readonly fix: string
}

/** Every code, with when it is raised and how to fix it. The core README's table mirrors this. */
export const ERROR_CODES: Readonly<Record<WSGIErrorCode, ErrorCodeInfo>> = {
  ERR_WSGI_INVALID_ARG_TYPE: {
    when: 'an API received an argument of the wrong type or shape',
    fix: 'pass the type the signature names (for example headers as an array of [name, value] pairs)',
  },
  ERR_WSGI_HEADERS_ALREADY_SET: {
    when: 'startResponse() was called a second time without excInfo',
    fix: 'call startResponse once; to replace an unsent response after an error, pass the error as excInfo',
  },
  ERR_WSGI_WRITE_BEFORE_START_RESPONSE: {
    when: 'body bytes were written or yielded before startResponse() was called',
    fix: 'call startResponse(status, headers) before the body yields its first chunk',
  },
  ERR_WSGI_NO_START_RESPONSE: {
    when: 'the application finished without ever calling startResponse()',
    fix: 'call startResponse(status, headers) in every code path of the application',
  },
  ERR_WSGI_INVALID_STATUS: {
    when: 'a status line is not a string of a 3-digit code, a space and a reason phrase',
    fix: "use a status such as '200 OK'",
  },
  ERR_WSGI_INVALID_HEADER: {
    when: 'a header name or value is not a string, or contains control characters (CR, LF, NUL…)',
    fix: 'strip control characters from header names and values; only HTAB is allowed in values',
  },
  ERR_WSGI_HOP_BY_HOP_HEADER: {
    when: 'an application set a hop-by-hop header (Connection, Transfer-Encoding, Keep-Alive…)',
    fix: 'leave connection management to the server; remove the header',
  },
  ERR_WSGI_NOT_LATIN1: {
    when: 'a native string holds a code point above U+00FF',
    fix: 'encode the text to bytes and map them to latin-1, or use RFC 2047/percent-encoding',
  },
  ERR_WSGI_INVALID_BODY_CHUNK: {
    when: 'the response body yielded, or write() received, something that is not a Uint8Array',
    fix: 'yield Uint8Array (or Buffer) chunks; encode strings with TextEncoder or Buffer.from',
  },
  ERR_WSGI_INVALID_PATH: {
    when: 'shiftPathInfo() met a PATH_INFO that does not start with "/"',
    fix: 'keep PATH_INFO empty or starting with "/", as PEP 3333 requires',
  },
  ERR_WSGI_VALIDATION: {
    when: 'validator() found a breach of PEP 3333 by the application or the server',
    fix: 'the message names the check (it is the message of CPython wsgiref.validate)',
  },
  ERR_WSGI_BODY_ALREADY_READ: {
    when: 'wsgi.input was read after a body parser of the host framework had consumed the body',
    fix: 'mount the gateway app before the body parser, or keep the raw body (for example express.raw / rawBody)',
  },
  ERR_WSGI_INPUT_ERROR: {
    when: 'reading wsgi.input failed because the client aborted or the body stream errored',
    fix: 'nothing to fix in the application; the client went away or sent a broken body',
  },
  ERR_WSGI_BODY_TOO_LARGE: {
    when: 'a request body exceeded the limit set for the server or bridge',
    fix: 'raise the limit option, or send a smaller body',
  },
  ERR_WSGI_CHAIN_ALREADY_RUN: {
    when: 'gateway middleware run in a host framework called its inner app (the rest of the host chain) a second time for one request',
    fix: 'call the inner application at most once per request; the host chain (Express next()) cannot run twice',
  },
  ERR_WSGI_TOO_MANY_REDIRECTS: {
    when: 'the test client, following redirects, met more of them than its maxRedirects option allows',
    fix: 'look for a redirect loop in the application, or raise maxRedirects',
  },
  ERR_WSGI_CONTENT_LENGTH_MISMATCH: {
    when: 'a response declared a Content-Length that is not a number, declared two different ones, or sent more or fewer body bytes than declared',
    fix: 'send exactly Content-Length bytes, or leave the header out and let the server frame the body',
  },
  ERR_WSGI_BAD_REQUEST: {
    when: 'a bridge refused a request it cannot carry unchanged: an invalid Host header, a path the target would rewrite (dot segments), a method the target forbids',
    fix: 'nothing to fix in the application; the client sent a request the bridged app would have seen differently',
  },
  ERR_WSGI_PYTHON_WORKER: {
    when: "the worker thread running a Python app's interpreter (fromPython) crashed, exited or was terminated",
    fix: 'see the cause in the error log (a Python call of process.exit, out of memory); the next request starts a new interpreter',
  },
}

const kWSGIError: unique symbol = Symbol.for('@wsgi/core.WSGIError')

/**
 * A breach of the gateway protocol, with a stable {@link WSGIErrorCode}.
 *
 * `toString()` and the first line of `stack` give Node core's format, `WSGIError [ERR_WSGI_…]:
 * message`, so the code shows wherever a host framework prints the error. Identity is checked by
 * a brand, so `instanceof` and {@link isWSGIError} work across duplicate package copies.
 *
 * @example
 * ```ts
 * throw new WSGIError('ERR_WSGI_HEADERS_ALREADY_SET', 'Headers already set!')
 * ```
 */
export class WSGIError extends Error {
  readonly code: WSGIErrorCode

  constructor(code: WSGIErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
    // The code goes into the first line of the stack too, as in Node's own errors: that line is
    // what Express's final handler, Koa's onerror and most loggers print. V8 writes the stack
    // the first time it is read, with the name of that moment.
    const name = this.name
    Object.defineProperty(this, 'name', { value: `${name} [${code}]`, configurable: true })
    Reflect.get(this, 'stack')
    delete (this as { name?: string }).name
  }

  override get name(): string {
    return 'WSGIError'
  }

  override toString(): string {
    return `${this.name} [${this.code}]: ${this.message}`
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isWSGIError(value)
  }
}

// The brand lives on the prototype, so every instance carries it without a per-instance field.
Object.defineProperty(WSGIError.prototype, kWSGIError, { value: true })

/**
 * A failure found by `validator()`; the message is CPython's `wsgiref.validate` message.
 */
export class WSGIValidationError extends WSGIError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_WSGI_VALIDATION', message, options)
  }

  override get name(): string {
    return 'WSGIValidationError'
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isWSGIError(value) && value.code === 'ERR_WSGI_VALIDATION'
  }
}

/** True for any {@link WSGIError}, from this copy of the package or another. */
export function isWSGIError(value: unknown): value is WSGIError {
  return typeof value === 'object' && value !== null && kWSGIError in value
}

/**
 * A `TypeError` with `code: 'ERR_WSGI_INVALID_ARG_TYPE'`, for wrong argument types at an API
 * boundary (Python raises `TypeError`/`AssertionError` there).
 */
export function invalidArgType(message: string): TypeError & { code: 'ERR_WSGI_INVALID_ARG_TYPE' } {
  return Object.assign(new TypeError(message), { code: 'ERR_WSGI_INVALID_ARG_TYPE' as const })
}

/**
 * How messages in JavaScript's words name a value: as {@link describe}, except `null` (not
 * Python's `None`) and bytes, named by their class and size (`<Uint8Array of 6 bytes>`) rather
 * than as a Python `b'…'` literal. (The validator keeps CPython's `repr()`.)
 */
export function describeJS(value: unknown): string {
  if (value === null) return 'null'
  if (value instanceof Uint8Array) {
    const n = value.length
    return `<${value.constructor.name} of ${n} byte${n === 1 ? '' : 's'}>`
  }
  return describe(value)
}

/**
 * Normalises anything thrown into an `Error`: errors pass through unchanged, other values are
 * wrapped so that logging always has a message and a stack.
 */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value
  return new Error(`Non-error thrown: ${describe(value)}`, { cause: value })
}

/**
 * Names the offending value in messages (`Header name must be of type str (got 42)`): strings
 * and bytes as CPython's `repr()` writes them (bytes cut after 64), arrays item by item, and
 * JavaScript's own words for the rest (`true`, `undefined`, `<Map>`), since the reader is a
 * JavaScript developer.
 */
export function describe(value: unknown): string {
  if (typeof value === 'string') return strRepr(value)
  if (value instanceof Uint8Array) return bytesRepr(value, 64)
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`
  return otherRepr(value)
}
