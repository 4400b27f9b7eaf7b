/**
 * Middleware that checks both sides of the gateway protocol. Port of Python's `wsgiref.validate`.
 *
 * Put {@link validator} between a server and an application while testing: every breach of
 * PEP 3333 that CPython's validator detects throws a `WSGIValidationError` (code
 * `ERR_WSGI_VALIDATION`) with CPython's message text, and every soft breach is emitted as a
 * {@link WSGIWarning}. Requests and responses pass through unchanged.
 *
 * This module imports nothing from Node, so it runs in fetch runtimes too.
 *
 * @see {@link https://docs.python.org/3/library/wsgiref.html#module-wsgiref.validate wsgiref.validate}
 * @module
 */

import {
  firstWord,
  isPlainObject,
  parsePythonInt,
  repr,
  tupleRepr,
  typeRepr,
} from './_internal/python.ts'
import { ErrorWrapper, InputWrapper, IteratorWrapper, fail } from './_internal/validate-wrappers.ts'
import type { StartState } from './_internal/validate-wrappers.ts'
import type { ResponseBody, WSGIApplication, WSGIEnvironment, WriteCallable } from './types.ts'
import { emitWSGIWarning } from './warnings.ts'

export { WARNING_CODES, WSGIWarning } from './warnings.ts'
export type { WSGIWarningCode, WarningCodeInfo } from './warnings.ts'

/**
 * Wraps an application so that every call to it, and everything it does with `environ`,
 * `startResponse`, `write`, `wsgi.input`, `wsgi.errors` and its response body, is checked
 * against PEP 3333, as Python's `wsgiref.validate.validator` does.
 *
 * How Python's types map onto JavaScript here:
 * - environ "is a dict": a plain object, whose prototype is `Object.prototype` or `null`; a `Map`,
 *   an array or a class instance is rejected.
 * - "str" is `typeof 'string'`; "bytes" is a `Uint8Array` (a `Buffer` is one). Environ keys without
 *   a `.` must hold strings; dotted keys (`wsgi.*`, and this project's `wsgits.*`) are not checked.
 * - "tuple" is an `Array`: `wsgi.version` must be exactly `[1, 0]`; a header must be a
 *   `[name, value]` array of length 2; the header list must be an array.
 * - `excInfo` (Python's `sys.exc_info()` tuple) must be `undefined` or an Error-like object: an
 *   `Error` (from any realm) or an object with string `name` and `message`.
 * - The application may return a promise; the body may be an `Iterable` or an `AsyncIterable`.
 *   `wsgi.input` is asynchronous, so its checks run on the resolved values and fail as rejections.
 * - Python's keyword arguments have no counterpart, so CPython's "No keyword arguments allowed"
 *   checks (V2, S2) cannot fail here; an options object passed where `excInfo` goes fails EX1.
 *
 * The body handed to the server is an `AsyncIterable` with `close()` and without `length`, so a
 * server cannot compute `Content-Length` through the validator (as in CPython). When that body is
 * garbage-collected without `close()` having been called, warning `WSGIWRN004` is emitted (CPython
 * prints to stderr from `__del__`); when that happens depends on the garbage collector.
 *
 * @example
 * ```ts
 * import { validator } from '@wsgi/core/validate'
 *
 * const app = validator((environ, startResponse) => {
 *   startResponse('200 OK', [['Content-Type', 'text/plain']])
 *   return [new TextEncoder().encode('Hello, world!')]
 * })
 * ```
 * @throws WSGIValidationError `ERR_WSGI_VALIDATION` (from the returned app, `startResponse`,
 *   `write`, the input and error streams, and the body's `next()`) on any breach; the message is
 *   CPython's where CPython has one.
 * @see {@link https://peps.python.org/pep-3333/ PEP 3333}
 */
export function validator(application: WSGIApplication): WSGIApplication {
  return function lintApp(...args: unknown[]): ResponseBody | Promise<ResponseBody> {
    if (args.length !== 2) fail('Two arguments required')
    const [environ, startResponse] = args
    checkEnviron(environ)
    const state: StartState = { started: false }

    const startResponseWrapper = (...srArgs: unknown[]): WriteCallable => {
      if (srArgs.length !== 2 && srArgs.length !== 3) {
        fail(`Invalid number of arguments: ${tupleRepr(srArgs)}`)
      }
      const [status, headers, excInfo] = srArgs
      const code = checkStatus(status)
      checkHeaders(headers)
      checkContentType(code, headers)
      checkExcInfo(excInfo)
      state.started = true
      // The arguments are forwarded as given (same header array), as CPython does.
      const write = (startResponse as (...a: unknown[]) => WriteCallable)(...srArgs)
      return (data: unknown) => {
        if (!(data instanceof Uint8Array)) {
          fail(`write() argument must be a Uint8Array (got ${repr(data)})`)
        }
        return write(data)
      }
    }

    environ['wsgi.input'] = new InputWrapper(environ['wsgi.input'])
    environ['wsgi.errors'] = new ErrorWrapper(environ['wsgi.errors'])

    const result: unknown = application(environ, startResponseWrapper)
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then((body: unknown) => checkResult(body, state))
    }
    return checkResult(result, state)
  }
}

function checkResult(result: unknown, state: StartState): ResponseBody {
  // Python's `iterator != False` also rejects 0 (0 == False).
  if (result === undefined || result === null || result === false || result === 0) {
    fail('The application must return an iterator, if only an empty list')
  }
  if (typeof result === 'string' || result instanceof Uint8Array) {
    fail(
      'You should not return a string as your application iterator, instead return a single-item list containing a bytestring.',
    )
  }
  return new IteratorWrapper(result, state)
}

// ---------------------------------------------------------------------------------------------
// environ

const REQUIRED_KEYS = [
  'REQUEST_METHOD',
  'SERVER_NAME',
  'SERVER_PORT',
  'wsgi.version',
  'wsgi.input',
  'wsgi.errors',
  'wsgi.multithread',
  'wsgi.multiprocess',
  'wsgi.run_once',
] as const

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'OPTIONS', 'PATCH', 'PUT', 'DELETE', 'TRACE'])

function checkEnviron(environ: unknown): asserts environ is WSGIEnvironment {
  if (!isPlainObject(environ)) {
    fail(
      `Environment is not of the right type: ${typeRepr(environ)} (environment: ${repr(environ)})`,
    )
  }
  for (const key of REQUIRED_KEYS) {
    if (!Object.hasOwn(environ, key)) fail(`Environment missing required key: ${repr(key)}`)
  }
  for (const key of ['HTTP_CONTENT_TYPE', 'HTTP_CONTENT_LENGTH']) {
    if (Object.hasOwn(environ, key)) {
      fail(`Environment should not have the key: ${key} (use ${key.slice(5)} instead)`)
    }
  }
  if (!Object.hasOwn(environ, 'QUERY_STRING')) emitWSGIWarning('WSGIWRN001')

  for (const [key, value] of Object.entries(environ)) {
    // Dotted keys are extensions (wsgi.*, wsgits.*): their types are not checked.
    if (key.includes('.')) continue
    if (typeof value !== 'string') {
      fail(
        `Environmental variable ${key} is not a string: ${typeRepr(value)} (value: ${repr(value)})`,
      )
    }
  }
  const env = environ as Record<string, string | undefined> & Record<`wsgi.${string}`, unknown>

  const version = env['wsgi.version']
  if (!Array.isArray(version)) fail(`wsgi.version should be a tuple (${repr(version)})`)
  // Divergence from wsgiref: CPython checks only the type; PEP 3333 says it MUST be (1, 0).
  if (version.length !== 2 || version[0] !== 1 || version[1] !== 0) {
    fail(`wsgi.version must be [1, 0] (got ${repr(version)})`)
  }
  // Divergence from wsgiref: a missing wsgi.url_scheme leaks a KeyError from CPython.
  if (!Object.hasOwn(env, 'wsgi.url_scheme')) {
    fail(`Environment missing required key: 'wsgi.url_scheme'`)
  }
  const scheme = env['wsgi.url_scheme']
  if (scheme !== 'http' && scheme !== 'https') fail(`wsgi.url_scheme unknown: ${repr(scheme)}`)

  checkMethods('wsgi.input', env['wsgi.input'], [
    'read',
    'readline',
    'readlines',
    Symbol.asyncIterator,
  ])
  checkMethods('wsgi.errors', env['wsgi.errors'], ['flush', 'write', 'writelines'])

  const method = env['REQUEST_METHOD'] ?? ''
  if (!KNOWN_METHODS.has(method)) emitWSGIWarning('WSGIWRN002', repr(method))

  // Divergence from wsgiref: CPython formats E11/E12's messages eagerly, so an absent SCRIPT_NAME
  // or PATH_INFO leaks a KeyError (which makes E14 unreachable). Both keys stay required here, with
  // a clear message; an absent PATH_INFO next to an empty SCRIPT_NAME gets E14's message.
  const scriptName = env['SCRIPT_NAME']
  if (scriptName === undefined) fail(`Environment missing required key: 'SCRIPT_NAME'`)
  if (scriptName && !scriptName.startsWith('/')) {
    fail(`SCRIPT_NAME doesn't start with /: ${repr(scriptName)}`)
  }
  const pathInfo = env['PATH_INFO']
  if (pathInfo === undefined) {
    if (!scriptName) {
      fail(
        "One of SCRIPT_NAME or PATH_INFO are required (PATH_INFO should at least be '/' if SCRIPT_NAME is empty)",
      )
    }
    fail(`Environment missing required key: 'PATH_INFO'`)
  }
  if (pathInfo && !pathInfo.startsWith('/')) {
    fail(`PATH_INFO doesn't start with /: ${repr(pathInfo)}`)
  }
  const contentLength = env['CONTENT_LENGTH']
  if (contentLength) {
    // Divergence from wsgiref: a CONTENT_LENGTH that Python's int() rejects leaks a ValueError.
    const n = parsePythonInt(contentLength)
    if (n === undefined || n < 0) fail(`Invalid CONTENT_LENGTH: ${repr(contentLength)}`)
  }
  if (scriptName === '/') {
    fail("SCRIPT_NAME cannot be '/'; it should instead be '', and PATH_INFO should be '/'")
  }
}

function checkMethods(title: string, stream: unknown, names: readonly (string | symbol)[]): void {
  for (const name of names) {
    // Divergence from wsgiref: CPython's hasattr() accepts any attribute; a method must be callable.
    const member: unknown =
      stream !== null && stream !== undefined
        ? (Object(stream) as Record<PropertyKey, unknown>)[name]
        : undefined
    if (typeof member !== 'function') {
      const attr = typeof name === 'symbol' ? '[Symbol.asyncIterator]' : name
      fail(`${title} (${repr(stream)}) doesn't have the attribute ${attr}`)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// startResponse arguments

const HEADER_NAME_RE = /^[a-zA-Z][a-zA-Z0-9\-_]*$/
// Unlike Headers, the validator rejects TAB in values too (and lets DEL and U+0080+ through).
// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const BAD_HEADER_VALUE_RE = /[\x00-\x1F]/
const NO_MESSAGE_BODY = new Set([204, 304])

/** Checks the status (ST1–ST5) and returns its numeric code. */
function checkStatus(status: unknown): number {
  const text = checkStringType(status, 'Status')
  // Python: status.split(None, 1)[0], the first whitespace-separated word.
  // Divergence from wsgiref: an empty or all-blank status leaks an IndexError from CPython.
  const word = firstWord(text)
  // Lengths and indexes count code points, as Python's do.
  if (Array.from(word).length !== 3) fail(`Status codes must be three characters: ${repr(word)}`)
  // Divergence from wsgiref: a code that Python's int() rejects leaks a ValueError from CPython.
  const code = parsePythonInt(word)
  if (code === undefined) fail(`Status code is invalid: ${repr(word)}`)
  if (code < 100) fail(`Status code is invalid: ${code}`)
  const chars = Array.from(text)
  if (chars.length < 4 || chars[3] !== ' ') emitWSGIWarning('WSGIWRN003', repr(text))
  return code
}

function checkHeaders(headers: unknown): asserts headers is [string, string][] {
  if (!Array.isArray(headers)) {
    fail(`Headers (${repr(headers)}) must be of type list: ${typeRepr(headers)}`)
  }
  for (const item of headers as unknown[]) {
    if (!Array.isArray(item)) {
      fail(`Individual headers (${repr(item)}) must be of type tuple: ${typeRepr(item)}`)
    }
    // CPython: a bare AssertionError.
    if (item.length !== 2) {
      fail(`Individual headers (${repr(item)}) must have 2 items, a name and a value`)
    }
    const name = checkStringType(item[0], 'Header name')
    const value = checkStringType(item[1], 'Header value')
    if (name.toLowerCase() === 'status') {
      fail(
        `The Status header cannot be used; it conflicts with CGI script, and HTTP status is not given through headers (value: ${repr(value)}).`,
      )
    }
    if (name.includes('\n') || name.includes(':')) {
      fail(`Header names may not contain ':' or '\\n': ${repr(name)}`)
    }
    if (!HEADER_NAME_RE.test(name)) fail(`Bad header name: ${repr(name)}`)
    if (name.endsWith('-') || name.endsWith('_')) {
      fail(`Names may not end in '-' or '_': ${repr(name)}`)
    }
    const bad = BAD_HEADER_VALUE_RE.exec(value)
    if (bad) fail(`Bad header value: ${repr(value)} (bad char: ${repr(bad[0])})`)
  }
}

function checkContentType(code: number, headers: [string, string][]): void {
  for (const [name] of headers) {
    if (name.toLowerCase() === 'content-type') {
      if (!NO_MESSAGE_BODY.has(code)) return
      fail(`Content-Type header found in a ${code} response, which must not return content.`)
    }
  }
  if (!NO_MESSAGE_BODY.has(code)) fail(`No Content-Type header found in headers (${repr(headers)})`)
}

function checkExcInfo(excInfo: unknown): void {
  // Divergence from wsgiref: CPython wants None or a sys.exc_info() tuple; in JavaScript the caught
  // error itself is passed, so excInfo must be undefined or Error-like.
  if (excInfo !== undefined && !isErrorLike(excInfo)) {
    fail(`exc_info (${repr(excInfo)}) is not an Error: ${typeRepr(excInfo)}`)
  }
}

function checkStringType(value: unknown, title: string): string {
  if (typeof value !== 'string') fail(`${title} must be of type str (got ${repr(value)})`)
  return value
}

// ---------------------------------------------------------------------------------------------
// helpers

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

function isErrorLike(value: unknown): boolean {
  if (value instanceof Error || Object.prototype.toString.call(value) === '[object Error]') {
    return true
  }
  if (typeof value !== 'object' || value === null) return false
  const { name, message } = value as { name?: unknown; message?: unknown }
  return typeof name === 'string' && typeof message === 'string'
}
