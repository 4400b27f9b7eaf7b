/**
 * `ExpressHandler`: the `NodeHandler` that runs a gateway app inside an Express chain. It takes
 * the mount from `req.baseUrl`, copes with a body that a parser read first, adds the
 * `wsgits.express_*` keys, and can let a 404 fall through to `next()`.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import { NodeHandler, inputOf, replayEnviron } from '@wsgi/core/node'
import type { BodySource, NextFunction, NodeHandlerOptions } from '@wsgi/core/node'
import type { ErrorStream, InputStream, WSGIEnvironment } from '@wsgi/core/types'
import { unquoteLatin1 } from '@wsgi/core/util'

import type { ParsedRequest } from './_internal/body-state.ts'
import { EXPRESS_ADVICE, bodySource } from './_internal/body-state.ts'
import { pathOf } from './_internal/url.ts'

/** Environ key of the Express request (the same object as `wsgits.node_request`). */
export const EXPRESS_REQUEST_KEY = 'wsgits.express_request'
/** Environ key of the Express response (the same object as `wsgits.node_response`). */
export const EXPRESS_RESPONSE_KEY = 'wsgits.express_response'

/** The parts of an Express request the handler reads. */
interface ExpressRequestFields extends ParsedRequest {
  baseUrl?: unknown
  originalUrl?: unknown
}

/** Options of {@link ExpressHandler}. */
export interface ExpressHandlerOptions extends NodeHandlerOptions {
  /** Let a `404` of the app fall through to `next()` instead of answering. */
  readonly fallthrough?: boolean | undefined
  /**
   * Asked when the app fails before its response started: true hands the error to `next(err)`,
   * false lets the handler answer 500 itself. Default: never to `next`.
   */
  readonly errorsToNext?: (() => boolean) | undefined
  /**
   * The environ to start from instead of one built from the request (the gateway environ that
   * `fromExpressMiddleware` received, with what the Express middleware changed), a new object
   * per call that the handler then owns. The handler still supplies `wsgi.input` and the
   * `wsgits.*` keys of the request it serves.
   */
  readonly baseEnviron?: ((req: IncomingMessage) => WSGIEnvironment | undefined) | undefined
}

// The keys the handler always supplies itself, even over a base environ.
const OWN_KEYS = [
  'wsgi.input',
  'wsgi.input_terminated',
  'wsgits.signal',
  'wsgits.add_trailers',
  'wsgits.node_request',
  'wsgits.node_response',
  EXPRESS_REQUEST_KEY,
  EXPRESS_RESPONSE_KEY,
]

// Thrown from sendHeaders() to stop the response before anything is written; caught below.
const kFallthrough: unique symbol = Symbol('fallthrough')

/**
 * Runs a gateway application for a request inside an Express (or Connect) chain.
 *
 * - `SCRIPT_NAME` is `req.baseUrl` and `PATH_INFO` the rest of the path, both percent-decoded as
 *   latin-1; a request for the mount point itself (`/legacy`) gets an empty `PATH_INFO`, not the
 *   `/` that Express's router put in `req.url`.
 * - `wsgi.input` is the request stream; or, when a body parser read it first, the bytes it kept
 *   (`req.rawBody`, `express.raw()`'s Buffer, `express.text()`'s string re-encoded); or a stream
 *   that fails with `ERR_WSGI_BODY_ALREADY_READ`. Replayed bodies get a matching
 *   `CONTENT_LENGTH`, and no `HTTP_CONTENT_ENCODING` (parsers inflate before they keep bytes).
 * - With `fallthrough`, a `404` status is never sent: the body is closed and `next()` called.
 */
export class ExpressHandler extends NodeHandler {
  #source: BodySource | undefined = undefined
  #input: InputStream | undefined = undefined
  #base: WSGIEnvironment | undefined = undefined

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    options: ExpressHandlerOptions = {},
    next?: NextFunction,
  ) {
    super(req, res, options, next)
  }

  /** The CGI variables, with the mount from `req.baseUrl` and the `wsgits.express_*` keys. */
  override addCgiVars(): void {
    super.addCgiVars()
    const env = this.environ as Record<string, unknown>
    const req = this.request as ExpressRequestFields
    const base = typeof req.baseUrl === 'string' ? req.baseUrl : ''
    if (base !== '') {
      env['SCRIPT_NAME'] = unquoteLatin1(base)
      // Express's router turns a request for the mount point itself into '/'; PEP 3333 wants ''
      // there, so that requestURI() rebuilds exactly what the client asked for.
      const original = typeof req.originalUrl === 'string' ? pathOf(req.originalUrl) : undefined
      if (env['PATH_INFO'] === '/' && original === base) env['PATH_INFO'] = ''
    }
    env[EXPRESS_REQUEST_KEY] = req
    env[EXPRESS_RESPONSE_KEY] = this.response
    const source = bodySource(req)
    this.#source = source
    if (source.kind === 'replay') replayEnviron(env, source.bytes)
  }

  /** As `NodeHandler`'s, or the `baseEnviron` option's environ with this request's own keys. */
  override setupEnviron(): void {
    const base = (this.options as ExpressHandlerOptions).baseEnviron?.(this.request)
    this.#base = base
    super.setupEnviron()
    if (base === undefined) return
    const own = this.environ as Record<string, unknown>
    // The option hands over a fresh environ (see `baseEnviron`): no second copy.
    const env = base as Record<string, unknown>
    for (const key of OWN_KEYS) {
      const descriptor = Object.getOwnPropertyDescriptor(own, key)
      if (descriptor !== undefined) Object.defineProperty(env, key, descriptor)
    }
    if (this.#source?.kind === 'replay') {
      env['CONTENT_LENGTH'] = own['CONTENT_LENGTH']
      delete env['HTTP_CONTENT_ENCODING']
      delete env['HTTP_TRANSFER_ENCODING']
    }
    this.environ = env as WSGIEnvironment
  }

  /** The request stream, the bytes a parser kept, or a stream that refuses to be read. */
  override getStdin(): InputStream {
    if (this.#input !== undefined) return this.#input
    const source = this.#source ?? bodySource(this.request)
    this.#input = inputOf(source, () => super.getStdin(), EXPRESS_ADVICE)
    return this.#input
  }

  /** The `wsgi.errors` of the `baseEnviron` option's environ, when there is one. */
  override getStderr(): ErrorStream {
    const errors = this.#base?.['wsgi.errors'] as Partial<ErrorStream> | undefined
    return typeof errors?.write === 'function' ? (errors as ErrorStream) : super.getStderr()
  }

  /**
   * Log the error, unless the app runs for a gateway server (`baseEnviron`): every error then
   * reaches that server (through `next(err)`, or the cut response), which logs it once.
   */
  override logException(error: unknown): void {
    if (this.#base === undefined) super.logException(error)
  }

  /** As `NodeHandler`'s, except that a `404` with `fallthrough` unwinds without a byte sent. */
  override sendHeaders(): Promise<void> {
    const options = this.options as ExpressHandlerOptions
    if (options.fallthrough === true && this.status?.startsWith('404') === true) {
      // Nothing is written yet: unwind to handleError(), which hands over to next().
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- a private sentinel, never seen outside
      throw kFallthrough
    }
    return super.sendHeaders()
  }

  /** Fall through to `next()`, hand the error to `next(err)`, or let `NodeHandler` answer. */
  override async handleError(error: unknown): Promise<void> {
    if (error === kFallthrough) {
      // BaseHandler already closed the body when the sentinel left the body loop; close() again
      // only resets the handler (it never calls the body's close() twice).
      await this.close()
      this.next?.()
      return
    }
    const next = this.next
    const toNext = (this.options as ExpressHandlerOptions).errorsToNext
    if (next !== undefined && toNext?.() === true && !this.response.headersSent) {
      await this.close()
      next(error)
      return
    }
    await super.handleError(error)
  }
}
