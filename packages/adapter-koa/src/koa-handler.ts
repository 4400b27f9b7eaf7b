/**
 * `KoaHandler`: the `BaseHandler` that runs a gateway app inside a Koa middleware chain.
 *
 * It is core's `NodeHandler` (the environ, `wsgi.input` with `100 Continue`, the client-abort
 * signal) with Koa as the transport instead of `res.writeHead()`/`res.write()`: the status goes
 * to `ctx.status`, the headers to `ctx.set()`/`ctx.append()`, and the body to `ctx.body` as a
 * stream that the handler feeds with backpressure. Nothing is written to `ctx.res`, so Koa
 * middleware upstream (compression, loggers, error handlers) still sees the response and may
 * change it, and Koa itself sends it.
 *
 * @module
 */
import type Koa from 'koa'

import { toError } from '@wsgi/core/errors'
import { statusCode } from '@wsgi/core/handlers'
import { BodyFeed, NodeHandler, inputOf, replayEnviron } from '@wsgi/core/node'
import type { BodySource, NodeHandlerOptions } from '@wsgi/core/node'
import type { InputStream, WSGIApplication } from '@wsgi/core/types'
import { unquoteLatin1 } from '@wsgi/core/util'

import { inheritedEnviron, linkedEnviron } from './_internal/environ-link.ts'
import { flushOnPipe, setBody, setHeader } from './_internal/koa-head.ts'
import { mountSplit } from './_internal/mount.ts'
import { KOA_ADVICE, bodySource } from './_internal/request-body.ts'
import type { ParsedRequest } from './_internal/request-body.ts'
import { pathOf } from './_internal/url.ts'

/** Environ key of the Koa context a gateway app runs in (`toKoa`, `toKoaMiddleware`). */
export const KOA_CONTEXT_KEY = 'wsgits.koa_context'

/** Options of {@link KoaHandler}. */
export interface KoaHandlerOptions extends NodeHandlerOptions {
  /**
   * `SCRIPT_NAME`, as a native (latin-1) string without a trailing slash, cut off the front of
   * the request path. Default: found from koa-mount and @koa/router (see the README).
   */
  readonly scriptName?: string | undefined
  /** Pass a `404` response on to the next Koa middleware instead of sending it. Default `false`. */
  readonly fallthrough?: boolean | undefined
  /** Bytes the body stream buffers before the app is held back. Default: Node's (16 KiB). */
  readonly highWaterMark?: number | undefined
  /**
   * Replace every response header already on `ctx` with the app's (true), or merge the app's
   * into them (false: the app's value wins, `Set-Cookie` and `Vary` are appended). Default `false`.
   */
  readonly replaceHeaders?: boolean | undefined
}

/** How the head of the response ended up: sent to Koa, passed on to `next()`, or never made. */
export type HeadOutcome = 'sent' | 'fallthrough' | 'gone'

/** The Koa context as this module uses it. */
type Context = Koa.ParameterizedContext

/** Thrown from `sendHead` to stop a `404` that falls through; never seen outside. */
const FALLTHROUGH: Error = new Error('The response falls through to the next Koa middleware')

const RESOLVED: Promise<void> = Promise.resolve()
// What start() returns for a head sent within run() (see there).
const SENT: Promise<HeadOutcome> = Promise.resolve('sent')
const NO_FAILURE: unique symbol = Symbol('no failure')

function ignore(): void {
  // Nobody waits yet: start() reads #outcome/#failure when it makes its promise.
}

/**
 * Runs a gateway application for one Koa request. Use it through `toKoa`; subclass it to change
 * a hook (for example `logException`), as with core's `NodeHandler`.
 *
 * - The environ is `NodeHandler`'s, with `SCRIPT_NAME`/`PATH_INFO` split at the koa-mount or
 *   @koa/router mount point, and `environ['wsgits.koa_context']` set to `ctx`.
 * - A body already read by a body parser is served again from `ctx.request.rawBody`, or every
 *   read of `wsgi.input` fails with `ERR_WSGI_BODY_ALREADY_READ`.
 * - {@link KoaHandler.start} settles once the head is known, so Koa responds while the body
 *   streams; it rejects when the app fails before that, so Koa's error handling answers.
 * - An error after the head was handed over destroys the body stream and cuts the connection.
 */
export class KoaHandler extends NodeHandler {
  /** The Koa context of the request. */
  readonly context: Context
  readonly #koaOptions: KoaHandlerOptions
  #source: BodySource | undefined = undefined
  #stream: BodyFeed | undefined = undefined
  #settled = false
  // How the head settled (or the app's error), kept for start() when run() settled it before
  // start() made its promise.
  #outcome: HeadOutcome | undefined = undefined
  #failure: unknown = NO_FAILURE
  #resolve: (outcome: HeadOutcome) => void = ignore
  #reject: (error: unknown) => void = ignore

  constructor(ctx: Context, options: KoaHandlerOptions = {}) {
    super(ctx.req, ctx.res, options)
    this.context = ctx
    this.#koaOptions = options
    // Under fromKoa, keys of the outer environ that no HTTP request carries are inherited.
    if (linkedEnviron(ctx.req) !== undefined) {
      this.osEnviron = inheritedEnviron(ctx.req) as Record<string, string>
    }
  }

  /**
   * Run `app`. The promise settles when the head of the response was handed to Koa (`'sent'`),
   * when a `404` falls through (`'fallthrough'`), or when the client went away first (`'gone'`);
   * it rejects with the app's error when the app failed before its head was known.
   */
  start(app: WSGIApplication): Promise<HeadOutcome> {
    const ran = this.run(app)
    if (this.#outcome === 'sent') {
      // The common case: the head went to Koa within run() (a synchronous app's whole
      // response): one shared promise says so, none is made per request.
      ran.then(undefined, (error: unknown) => {
        this.#cut(error)
      })
      return SENT
    }
    const head = new Promise<HeadOutcome>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    // Settled within run(), before the promise existed (a fall-through, an early failure).
    if (this.#outcome !== undefined) this.#resolve(this.#outcome)
    else if (this.#failure !== NO_FAILURE) this.#reject(this.#failure)
    ran.then(
      () => {
        this.#settle('gone')
      },
      (error: unknown) => {
        if (this.#settled) this.#cut(error)
        else this.#fail(error)
      },
    )
    return head
  }

  /** `NodeHandler`'s CGI variables, then the mount split and the replayed body's length. */
  override addCgiVars(): void {
    super.addCgiVars()
    const env = this.environ as Record<string, unknown>
    const ctx = this.context
    const original = ctx.originalUrl
    // With `scriptName` given and `req.url` as the client sent it (no koa-mount cut it), core
    // has split the same path at the same prefix already: nothing to do again.
    if (!this.#coreSplit(original)) {
      const [scriptName, pathInfo] = this.#mount()
      env['SCRIPT_NAME'] = scriptName
      env['PATH_INFO'] = pathInfo
      // The target as the client sent it: koa-mount cut `req.url`, Koa keeps the whole.
      env['REQUEST_URI'] = original
    }
    const source = (this.#source = bodySource(this.context as unknown as ParsedRequest))
    if (source.kind === 'replay') replayEnviron(env, source.bytes)
  }

  /** `NodeHandler`'s extension keys, plus `wsgits.koa_context`. */
  protected override addExtensionVars(): void {
    super.addExtensionVars()
    ;(this.environ as Record<string, unknown>)[KOA_CONTEXT_KEY] = this.context
  }

  /** The request stream, the bytes a body parser kept, or an input that fails every read. */
  override getStdin(): InputStream {
    const source = this.#source ?? bodySource(this.context as unknown as ParsedRequest)
    return inputOf(source, () => super.getStdin(), KOA_ADVICE)
  }

  /**
   * Hand the status and headers to Koa, and (unless HEAD or a status without a body) a body
   * stream as `ctx.body`; then let the middleware's promise settle.
   */
  protected override sendHead(): void {
    const status = this.status ?? '500 Internal Server Error'
    const code = statusCode(status)
    if (code === 404 && this.#koaOptions.fallthrough === true) throw FALLTHROUGH
    this.#applyHead(code, status.slice(4))
    this.#settle('sent')
  }

  /**
   * After the last chunk, or after a one-chunk body (a one-item array) went to Koa whole as a
   * `Buffer` in `ctx.body` with the head (`NodeHandler#sendWhole`): the end of the body stream,
   * if there is one, then the unread request body is drained. Nothing is written to `res`: Koa
   * owns it.
   *
   * Why the whole `Buffer`: for a stream body Koa calls `stream.pipeline()`, which on Node 20
   * makes an `AbortController` per response and aborts it (a `DOMException` with its stack) when
   * the pipe ends; a `Buffer` body is one `res.end(body)`, as for a native Koa app.
   */
  protected override endResponse(): void {
    this.#stream?.finish()
    // The app is done with `wsgi.input` and Koa has the response: core drains what the app
    // left of the request body within its budget, or closes the connection (see NodeHandler),
    // now rather than on 'finish', when Node has already begun dropping the body unbounded.
    this.drainUnreadBody()
  }

  /**
   * Before the head was handed to Koa, the error rejects the middleware's promise, so Koa's
   * error handling (an upstream `try`/`catch`, `ctx.onerror`, `app.on('error')`) answers it.
   * After that it is logged to `wsgi.errors` and the output is cut.
   */
  override handleError(error: unknown): Promise<void> {
    if (error === FALLTHROUGH) this.#settle('fallthrough')
    else if (!this.headersSent) this.#fail(error)
    else {
      this.logException(error)
      this.abortOutput(error)
    }
    return RESOLVED
  }

  /** Destroy the body stream; the connection is then cut (see the stream's `'close'`). */
  protected override abortOutput(error: unknown): void {
    this.#cut(error)
  }

  /** Feed the body stream; waits while its buffer is full. */
  protected override _write(data: Uint8Array): void | Promise<void> {
    return this.#stream?.feed(data)
  }

  /**
   * True when core's split of `req.url` at the `scriptName` option is {@link #mount}'s: an
   * origin-form target (no `#`, which core keeps and `#mount` cuts) that Koa has not rewritten.
   */
  #coreSplit(original: string): boolean {
    const scriptName = this.#koaOptions.scriptName
    return (
      scriptName !== undefined &&
      scriptName !== '' &&
      this.request.url === original &&
      original.charCodeAt(0) === 0x2f &&
      !original.includes('#')
    )
  }

  /** `[SCRIPT_NAME, PATH_INFO]` as native strings. */
  #mount(): [string, string] {
    const ctx = this.context
    const scriptName = this.#koaOptions.scriptName
    if (scriptName !== undefined && scriptName !== '') {
      const full = unquoteLatin1(pathOf(ctx.originalUrl) || ctx.path)
      const atBoundary =
        full.startsWith(scriptName) &&
        (full.length === scriptName.length || full.charCodeAt(scriptName.length) === 0x2f)
      return [scriptName, atBoundary ? full.slice(scriptName.length) : full]
    }
    const split = mountSplit(ctx)
    return [unquoteLatin1(split.prefix), unquoteLatin1(split.rest)]
  }

  #applyHead(code: number, reason: string): void {
    const ctx = this.context
    const res = ctx.res
    const replace = this.#koaOptions.replaceHeaders === true
    // The body goes before the headers: Koa's body setter changes Content-Type and Content-Length,
    // both of which are set again from the app's response below. The status goes first when
    // there is a body: Koa's setter would set 200, to be set again at once.
    const chunk = this.wholeBody
    if (this.bodyAllowed) ctx.status = code
    if (this.bodyAllowed && chunk !== undefined) {
      const whole = Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      // Koa's body setter gives a Buffer its length ahead of every other header. The app's own
      // Content-Length (core adds one to a one-chunk body) is set below, in the app's order, as
      // for a stream; Content-Type too.
      const hadLength = res.hasHeader('Content-Length')
      setBody(ctx, whole)
      if (!hadLength) res.removeHeader('Content-Length')
    } else if (this.bodyAllowed) {
      const stream = (this.#stream = new BodyFeed(this.#koaOptions.highWaterMark))
      setBody(ctx, stream)
      // An app that sends its head with an empty chunk (server-sent events, long polling) wants
      // it on the wire now, as wsgiref sends it; Koa would only write it with the first body
      // bytes. The flush waits for Koa to pipe the body, when the headers are final (middleware
      // upstream may still change them until then).
      if (this.bytesSent === 0 && !this.endsWithHead) flushOnPipe(res, stream)
      stream.once('close', () => {
        // Koa 2 pipes without ending `res` on a source error, and Koa 3 may not have piped yet:
        // either way a cut body must not look complete (or hang), so the connection goes.
        // The error goes along, so a gateway server above (fromKoa) sees a failure, not a client
        // that left.
        if (stream.errored !== null && !res.writableEnded) res.destroy(stream.errored)
      })
    } else {
      if (replace) ctx.body = null
      ctx.status = code
    }
    if (ctx.req.httpVersionMajor < 2) ctx.message = reason
    if (replace) for (const name of res.getHeaderNames()) res.removeHeader(name)
    this.#applyHeaders(ctx, replace)
    // A whole response (the app is done reading) to an upload still larger than the drain
    // budget: core decides, and closes the connection the lingering way once Koa ends it.
    // (HTTP/2 has no Connection header: a stream's body is core's to drain after the response.)
    if (this.endsWithHead && ctx.req.httpVersionMajor < 2 && this.closesForUnreadBody()) {
      ctx.set('Connection', 'close')
    }
  }

  /**
   * The app's headers (and `Server`) onto `ctx`, each name once: repeated names are grouped
   * (`Set-Cookie` and `Vary` appended to what is there unless replacing). Most responses repeat
   * no name, and are set in order without grouping.
   */
  #applyHeaders(ctx: Context, replace: boolean): void {
    const headers = this.headers ?? []
    const lowers: string[] = []
    let repeated = false
    for (const [name] of headers) {
      const lower = name.toLowerCase()
      if (!repeated && lowers.includes(lower)) repeated = true
      lowers.push(lower)
    }
    const software = this.serverSoftware
    const server = software !== undefined && !lowers.includes('server')
    if (!repeated) {
      let i = 0
      for (const [name, value] of headers) setHeader(ctx, replace, lowers[i++] ?? '', name, value)
      if (server) ctx.set('Server', software)
      return
    }
    const grouped = new Map<string, [string, string[]]>()
    for (const [name, value] of headers) {
      const lower = name.toLowerCase()
      const entry = grouped.get(lower)
      if (entry === undefined) grouped.set(lower, [name, [value]])
      else entry[1].push(value)
    }
    if (server) grouped.set('server', ['Server', [software]])
    for (const [lower, [name, values]] of grouped) setHeader(ctx, replace, lower, name, values)
  }

  #settle(outcome: HeadOutcome): void {
    if (this.#settled) return
    this.#settled = true
    this.#outcome = outcome
    this.#resolve(outcome)
  }

  #fail(error: unknown): void {
    if (this.#settled) return
    this.#settled = true
    this.#failure = error
    this.#reject(error)
  }

  #cut(error: unknown): void {
    // Without a body stream (HEAD, 204, 304) the response Koa sends is already whole.
    this.#stream?.destroy(toError(error))
  }
}
