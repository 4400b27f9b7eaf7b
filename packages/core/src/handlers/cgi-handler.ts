/**
 * CGI handlers: `BaseCGIHandler`, `CGIHandler`, `IISCGIHandler` and `readEnviron`. Port of the
 * CGI part of Python's `wsgiref.handlers`.
 *
 * A CGI script gets its request in environment variables and on stdin, and writes a `Status:`
 * header instead of an HTTP status line. `new CGIHandler().run(app)` is all a script needs.
 *
 * Only types are imported from `node:` modules, and `process` is read as a global when a CGI
 * handler is built, so `@wsgi/core/handlers` (whose `BaseHandler` the fetch adapter uses) still
 * loads and bundles in runtimes without Node.
 *
 * @see {@link https://docs.python.org/3/library/wsgiref.html#wsgiref.handlers.CGIHandler wsgiref.handlers.CGIHandler}
 * @see {@link https://www.rfc-editor.org/rfc/rfc3875 RFC 3875 (CGI/1.1)}
 * @module
 */
import type { Writable } from 'node:stream'

import type { InputStream, WSGIApplication } from '../types.ts'
import { InputReader } from '../_internal/input.ts'
import { utf8ToLatin1 } from '../_internal/latin1.ts'
import { SimpleHandler, isByteSource, isInputStream } from './simple-handler.ts'
import type { HandlerStderr, HandlerStdin } from './simple-handler.ts'

// The request variables of RFC 3875 that carry request bytes (CPython's `_is_request`).
const REQUEST_KEYS: ReadonlySet<string> = new Set([
  'SCRIPT_NAME',
  'PATH_INFO',
  'QUERY_STRING',
  'REQUEST_METHOD',
  'AUTH_TYPE',
  'CONTENT_TYPE',
  'CONTENT_LENGTH',
  'HTTPS',
  'REMOTE_USER',
  'REMOTE_IDENT',
])

function needsTranscode(key: string): boolean {
  // Apache prefixes the variables of an internal redirect with REDIRECT_, any number of times.
  let k = key
  while (k.startsWith('REDIRECT_')) k = k.slice(9)
  return REQUEST_KEYS.has(k) || k.startsWith('HTTP_') || k.startsWith('SSL_')
}

// eslint-disable-next-line no-control-regex -- the ASCII range starts at NUL by definition
const ASCII = /^[\x00-\x7f]*$/

/**
 * The CGI variables of the process environment, with the request variables as PEP 3333 native
 * strings ("bytes as latin-1").
 *
 * `SCRIPT_NAME`, `PATH_INFO`, `QUERY_STRING`, `REQUEST_METHOD`, `AUTH_TYPE`, `CONTENT_TYPE`,
 * `CONTENT_LENGTH`, `HTTPS`, `REMOTE_USER`, `REMOTE_IDENT`, every `HTTP_*` and `SSL_*`, and any of
 * these behind `REDIRECT_` prefixes are turned back into the bytes of the environment (UTF-8),
 * each byte becoming one character U+0000–U+00FF. Other variables are copied unchanged;
 * `undefined` values are left out.
 *
 * What can be recovered: Node decodes the raw environment as UTF-8, so valid UTF-8 (what Python's
 * `http.server`, Apache and nginx pass for a percent-decoded UTF-8 path) comes back byte for byte.
 * What cannot: Node replaces each byte sequence that is not valid UTF-8 with U+FFFD before any
 * JavaScript runs, so a raw `\xff` reaches the app as `'\xef\xbf\xbd'` (the UTF-8 of U+FFFD).
 *
 * Divergence from wsgiref: one rule on every platform. On Windows, where the environment is
 * UTF-16, this is CPython's rule for IIS and for `http.server` (re-encode as UTF-8); CPython's
 * Apache and fallback rules (keep as is, or the ANSI code page) are not reproduced.
 *
 * @param env - the environment to read; `process.env` by default
 * @example
 * ```ts
 * readEnviron({ PATH_INFO: '/café', HOME: '/home/é' })
 * // { PATH_INFO: '/caf\xc3\xa9', HOME: '/home/é' }
 * ```
 */
export function readEnviron(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const environ: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue
    environ[key] = needsTranscode(key) && !ASCII.test(value) ? utf8ToLatin1(value) : value
  }
  return environ
}

/** `CONTENT_LENGTH` as a byte count; absent, empty or malformed means no body (RFC 3875 §4.1.2). */
function contentLength(environ: Readonly<Record<string, unknown>>): number {
  const value = environ['CONTENT_LENGTH']
  return typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : 0
}

type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>
type ByteIterator = AsyncIterator<Uint8Array> | Iterator<Uint8Array>

/**
 * The request body of a CGI request: at most `CONTENT_LENGTH` bytes of stdin.
 *
 * A CGI server may keep stdin open after the body (Python's `http.server` hands the script the
 * client socket itself), so reading to EOF could wait forever. This stops at the length, and stops
 * reading stdin then, without destroying it.
 */
class BoundedBody implements AsyncIterableIterator<Uint8Array> {
  readonly #stream: ByteSource
  #remaining: number
  #iterator: ByteIterator | undefined = undefined

  constructor(stream: ByteSource, length: number) {
    this.#stream = stream
    this.#remaining = length
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async next(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (this.#remaining <= 0) {
      this.release()
      return { done: true, value: undefined }
    }
    this.#iterator ??= open(this.#stream)
    const step = await this.#iterator.next()
    if (step.done === true) {
      const missing = this.#remaining
      this.#remaining = 0
      this.release()
      throw new Error(`stdin ended ${missing} bytes before CONTENT_LENGTH was reached`)
    }
    let chunk = step.value
    if (chunk.length >= this.#remaining) {
      // Bytes past CONTENT_LENGTH are not part of the body; release now, because the app may
      // never ask for more once it has the length it expected.
      chunk = chunk.subarray(0, this.#remaining)
      this.#remaining = 0
      this.release()
    } else {
      this.#remaining -= chunk.length
    }
    return { done: false, value: chunk }
  }

  /** Stop reading stdin (for good): its listeners go, the stream itself stays open. */
  release(): void {
    this.#remaining = 0
    const iterator = this.#iterator
    this.#iterator = undefined
    if (iterator?.return !== undefined) {
      Promise.resolve(iterator.return()).catch(() => undefined)
    }
  }
}

function open(stream: ByteSource): ByteIterator {
  // A Readable's own iterator destroys the stream on return(); this one leaves it open.
  const readable = stream as { iterator?: (options: { destroyOnReturn: boolean }) => ByteIterator }
  if (typeof readable.iterator === 'function') return readable.iterator({ destroyOnReturn: false })
  return Symbol.asyncIterator in stream ? stream[Symbol.asyncIterator]() : stream[Symbol.iterator]()
}

/**
 * A handler for CGI-like gateways: a {@link SimpleHandler} that writes a `Status:` header
 * instead of an HTTP status line (`originServer` is false).
 *
 * When `stdin` is a byte stream (not already an `InputStream`), `wsgi.input` ends after
 * `CONTENT_LENGTH` bytes, or at once when `CONTENT_LENGTH` is absent, empty or malformed (RFC 3875:
 * no length, no body), and `wsgi.input_terminated` is true. A stream that ends early makes reads
 * fail with `ERR_WSGI_INPUT_ERROR`.
 *
 * @example
 * ```ts
 * const handler = new BaseCGIHandler(stdin, stdout, process.stderr, readEnviron())
 * await handler.run(app)
 * ```
 */
export class BaseCGIHandler extends SimpleHandler {
  override originServer = false

  readonly #body: BoundedBody | undefined

  /**
   * @param stdin - the request body
   * @param stdout - where the CGI response goes
   * @param stderr - the error log (`wsgi.errors`)
   * @param environ - the CGI variables, as from {@link readEnviron}
   * @param multithread - `wsgi.multithread`
   * @param multiprocess - `wsgi.multiprocess`
   * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when a stream has the wrong shape.
   */
  constructor(
    stdin: HandlerStdin,
    stdout: Writable,
    stderr: HandlerStderr,
    environ: Readonly<Record<string, unknown>>,
    multithread = true,
    multiprocess = false,
  ) {
    const body =
      !isInputStream(stdin) && isByteSource(stdin)
        ? new BoundedBody(stdin, contentLength(environ))
        : undefined
    const input: HandlerStdin | InputStream = body === undefined ? stdin : new InputReader(body)
    super(input, stdout, stderr, environ, multithread, multiprocess)
    this.#body = body
  }

  /** Stop reading stdin once the request is done, whether or not the app read the whole body. */
  override async run(application: WSGIApplication): Promise<void> {
    try {
      await super.run(application)
    } finally {
      this.#body?.release()
    }
  }

  override addCgiVars(): void {
    super.addCgiVars()
    if (this.#body !== undefined) {
      ;(this.environ as Record<string, unknown>)['wsgi.input_terminated'] = true
    }
  }
}

/** Let the process exit although stdin is still open (the server may never close it). */
function releaseProcessStdin(): void {
  const stdin = process.stdin as { unref?: () => unknown }
  stdin.unref?.()
}

/**
 * The handler of a CGI script: the request from `process.env` (through {@link readEnviron}) and
 * `process.stdin`, the response to `process.stdout`, errors to `process.stderr`.
 *
 * `wsgi.run_once` is true, `wsgi.multithread` false, `wsgi.multiprocess` true, and `osEnviron` is
 * empty so that only the CGI variables of this request reach the app (CPython bpo-7250).
 *
 * @example
 * ```ts
 * #!/usr/bin/env node
 * import { CGIHandler } from '@wsgi/core/handlers'
 * import { app } from './app.js'
 *
 * await new CGIHandler().run(app)
 * ```
 */
export class CGIHandler extends BaseCGIHandler {
  override wsgiRunOnce = true
  override osEnviron: Readonly<Record<string, string>> = {}

  constructor() {
    super(process.stdin, process.stdout, process.stderr, readEnviron(), false, true)
  }

  override async run(application: WSGIApplication): Promise<void> {
    try {
      await super.run(application)
    } finally {
      releaseProcessStdin()
    }
  }
}

/**
 * {@link CGIHandler} for Microsoft IIS, which puts the script name at the front of `PATH_INFO`
 * too: when `PATH_INFO` starts with `SCRIPT_NAME` (at a `/` boundary), that prefix is removed.
 *
 * @example
 * ```ts
 * await new IISCGIHandler().run(app)
 * ```
 */
export class IISCGIHandler extends BaseCGIHandler {
  override wsgiRunOnce = true
  override osEnviron: Readonly<Record<string, string>> = {}

  constructor() {
    const environ = readEnviron()
    const path = environ['PATH_INFO'] ?? ''
    const script = environ['SCRIPT_NAME'] ?? ''
    if (`${path}/`.startsWith(`${script}/`)) environ['PATH_INFO'] = path.slice(script.length)
    super(process.stdin, process.stdout, process.stderr, environ, false, true)
  }

  override async run(application: WSGIApplication): Promise<void> {
    try {
      await super.run(application)
    } finally {
      releaseProcessStdin()
    }
  }
}
