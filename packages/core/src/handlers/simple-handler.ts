/**
 * `SimpleHandler`: a {@link BaseHandler} over given streams. Port of `SimpleHandler` in Python's
 * `wsgiref.handlers`.
 *
 * The request body comes from an `InputStream` (or a Node `Readable`, wrapped in one), the
 * response goes to a Node `Writable` with backpressure honoured, and the error log to any text
 * sink. It is an origin server (writes an HTTP status line); `BaseCGIHandler` is the CGI variant.
 *
 * @see {@link https://docs.python.org/3/library/wsgiref.html#wsgiref.handlers.SimpleHandler wsgiref.handlers.SimpleHandler}
 * @module
 */
import type { Readable, Writable } from 'node:stream'

import { describe, invalidArgType } from '../errors.ts'
import type { ErrorStream, InputStream, WSGIApplication } from '../types.ts'
import { TextErrorStream } from '../_internal/error-stream.ts'
import type { TextSink } from '../_internal/error-stream.ts'
import { InputReader } from '../_internal/input.ts'
import { BaseHandler } from './base-handler.ts'

/** What `SimpleHandler` takes as `stdin`: an `InputStream`, or a byte stream to wrap in one. */
export type HandlerStdin = InputStream | Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>

/** What `SimpleHandler` takes as `stderr`: an `ErrorStream`, or anything with `write(text)`. */
export type HandlerStderr = ErrorStream | TextSink

/** The error a write to a destroyed or ended stream fails with; `run()` takes it as a disconnect. */
function streamDestroyed(): Error & { code: string } {
  return Object.assign(new Error('Cannot call write after a stream was destroyed'), {
    code: 'ERR_STREAM_DESTROYED',
  })
}

/** True for an `InputStream` (it has `read`, `readline` and `readlines`). */
export function isInputStream(value: unknown): value is InputStream {
  const v = value as Partial<InputStream> | null
  return (
    typeof v?.read === 'function' &&
    typeof v.readline === 'function' &&
    typeof v.readlines === 'function'
  )
}

/** True for an object that is iterable (sync or async), such as a Node `Readable`. */
export function isByteSource(
  value: unknown,
): value is AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  return (
    typeof value === 'object' &&
    value !== null &&
    (Symbol.asyncIterator in value || Symbol.iterator in value)
  )
}

/**
 * `stdin` as an `InputStream`: an `InputStream` as it is, a byte stream wrapped in an
 * `InputReader`.
 *
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` for anything else.
 */
export function toInputStream(stdin: HandlerStdin): InputStream {
  if (isInputStream(stdin)) return stdin
  if (isByteSource(stdin)) return new InputReader(stdin)
  throw invalidArgType(
    `stdin must be an InputStream or an iterable of bytes chunks (got ${describe(stdin)})`,
  )
}

/**
 * `stderr` as an `ErrorStream`: an `ErrorStream` as it is, any other text sink (such as
 * `process.stderr`) wrapped in a `TextErrorStream`.
 *
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when it has no `write` method.
 */
export function toErrorStream(stderr: HandlerStderr): ErrorStream {
  const s = stderr as Partial<ErrorStream> | null
  if (typeof s?.write !== 'function') {
    throw invalidArgType(`stderr must have a write() method (got ${describe(stderr)})`)
  }
  if (typeof s.writelines === 'function' && typeof s.flush === 'function') {
    return stderr as ErrorStream
  }
  return new TextErrorStream(stderr)
}

/**
 * A handler that reads the request from `stdin`, writes the response to `stdout` and logs to
 * `stderr`, with the CGI variables of `environ`. An origin server: it writes `HTTP/1.0 200 OK`.
 *
 * `stdout` is a Node `Writable`. When `write()` returns false, the handler waits for `'drain'`
 * before it sends more, so a slow client holds the application back instead of filling memory.
 * A stream that errors with a disconnect code (`EPIPE`, `ECONNRESET`…) or is destroyed ends the
 * request quietly, as in wsgiref; the handler listens for `'error'` while it runs, so such an
 * error never becomes an uncaught exception.
 *
 * @example
 * ```ts
 * import { Readable, PassThrough } from 'node:stream'
 *
 * const out = new PassThrough()
 * const handler = new SimpleHandler(Readable.from([]), out, process.stderr, {
 *   REQUEST_METHOD: 'GET',
 *   SERVER_PROTOCOL: 'HTTP/1.1',
 * })
 * await handler.run(app)
 * ```
 */
export class SimpleHandler extends BaseHandler {
  /**
   * Off: the bytes go out exactly as wsgiref's `SimpleHandler` sends them (a CGI front server,
   * not this handler, frames the response). See `BaseHandler#strictResponse`.
   */
  override strictResponse = false
  /** `wsgi.input`. */
  readonly stdin: InputStream
  /** Where the response bytes go. */
  readonly stdout: Writable
  /** `wsgi.errors`. */
  readonly stderr: ErrorStream
  /** The CGI variables of the request; they override `osEnviron`. */
  readonly baseEnv: Readonly<Record<string, unknown>>

  #error: Error | undefined = undefined
  #pending = 0
  #idle: (() => void) | undefined = undefined

  /**
   * @param stdin - the request body
   * @param stdout - where the response goes
   * @param stderr - the error log (`wsgi.errors`)
   * @param environ - the CGI variables of the request
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
    super()
    if (typeof (stdout as Partial<Writable> | null)?.write !== 'function') {
      throw invalidArgType(`stdout must be a Writable stream (got ${describe(stdout)})`)
    }
    this.stdin = toInputStream(stdin)
    this.stdout = stdout
    this.stderr = toErrorStream(stderr)
    this.baseEnv = environ
    this.wsgiMultithread = multithread
    this.wsgiMultiprocess = multiprocess
  }

  /**
   * Run `application`, listening for `'error'` on `stdout` meanwhile. Resolves once every byte
   * was handed over (each write's callback ran), so no stream error can arrive unheard later.
   */
  override async run(application: WSGIApplication): Promise<void> {
    const out = this.stdout
    out.on('error', this.#onError)
    try {
      await super.run(application)
    } finally {
      if (this.#pending > 0 && !out.destroyed) await this.#settled()
      out.off('error', this.#onError)
    }
  }

  override getStdin(): InputStream {
    return this.stdin
  }

  override getStderr(): ErrorStream {
    return this.stderr
  }

  /** Copy the CGI variables given to the constructor over `osEnviron`. */
  override addCgiVars(): void {
    Object.assign(this.environ as Record<string, unknown>, this.baseEnv)
  }

  /**
   * Hand `data` to `stdout`; when the stream's buffer is full, wait for `'drain'`.
   *
   * Divergence from wsgiref: there are no partial writes to finish (a Node `Writable` takes the
   * whole chunk), so backpressure takes the place of CPython's retry loop and its warning.
   */
  protected override _write(data: Uint8Array): void | Promise<void> {
    const out = this.stdout
    if (this.#error !== undefined) throw this.#error
    if (out.destroyed || out.writableEnded) throw streamDestroyed()
    const more = out.write(data, this.#afterWrite)
    // Counted after write() returned: a Writable whose _write throws never calls back.
    this.#pending++
    if (more) return
    return this.#drained()
  }

  /**
   * Nothing to do: a Node `Writable` sends what it holds on its own, and `_write` already waits
   * whenever its buffer is full. (CPython calls `stdout.flush()` here.)
   */
  protected override _flush(): void {
    // Intentionally empty; see above.
  }

  readonly #onError = (error: Error): void => {
    this.#error ??= error
  }

  readonly #afterWrite = (error?: Error | null): void => {
    if (error) this.#error ??= error
    if (--this.#pending === 0) this.#idle?.()
  }

  /** Resolves when every write's callback ran, or the stream closed (a stalled write may not). */
  #settled(): Promise<void> {
    const out = this.stdout
    return new Promise<void>((resolve) => {
      const done = (): void => {
        out.off('close', done)
        this.#idle = undefined
        resolve()
      }
      this.#idle = done
      out.on('close', done)
    })
  }

  #drained(): Promise<void> {
    const out = this.stdout
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error): void => {
        out.off('drain', onDrain)
        out.off('error', onError)
        out.off('close', onClose)
        if (error === undefined) resolve()
        else reject(error)
      }
      const onDrain = (): void => {
        settle()
      }
      const onError = (error: Error): void => {
        settle(error)
      }
      const onClose = (): void => {
        settle(this.#error ?? streamDestroyed())
      }
      // The stream may have failed while write() ran; then no event is coming.
      const failed = this.#error ?? out.errored
      if (failed) settle(failed)
      else if (out.destroyed) settle(streamDestroyed())
      else {
        out.on('drain', onDrain)
        out.on('error', onError)
        out.on('close', onClose)
      }
    })
  }
}
