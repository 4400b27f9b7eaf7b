/**
 * Gateway middleware, `(app) => app`, as Express middleware: the app it wraps is the rest of
 * the Express chain, so it sees (and may change) the status, headers and body that the handlers
 * after it produce.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'

import type { NextFunction, RequestHandler } from 'express'

import { WSGIError, describe, invalidArgType } from '@wsgi/core/errors'
import { passBodyOn } from '@wsgi/core/node'
import type { Middleware, WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'

import { ResponseCapture } from './_internal/capture.ts'
import { EXPRESS_REQUEST_KEY, ExpressHandler } from './express-handler.ts'
import { applyEnvironChanges, snapshotEnviron } from './_internal/request-sync.ts'
import type { EnvironSnapshot } from './_internal/request-sync.ts'
import { handlerOptionsOf } from './to-express.ts'
import type { ToExpressOptions } from './to-express.ts'

/** Options of {@link toExpressMiddleware}: those of `toExpress` that apply. */
export type ToExpressMiddlewareOptions = Omit<ToExpressOptions, 'fallthrough'>

// On the request itself, not in a module-level WeakMap: V8's scavenger treats an old-space
// WeakMap's entries as roots and the environ reaches its request again (`wsgits.node_request`),
// so every request's objects were promoted and freed only by a mark-compact. Express does not
// enumerate `req`, so a plain symbol-keyed property is enough.
const kEnviron = Symbol('wsgits.expressEnviron')

interface EnvironLinked {
  [kEnviron]?: WSGIEnvironment
}

/** One request through a {@link toExpressMiddleware}. */
interface RequestState {
  readonly req: IncomingMessage
  readonly capture: ResponseCapture
  readonly next: NextFunction
  /** The request keys of the environ before the gateway middleware ran. */
  before: EnvironSnapshot
  /** The inner app ran (`next()` was called). */
  passed: boolean
  /** The environ the handler made, as the gateway middleware got it. */
  outer: WSGIEnvironment | undefined
}

type StateLinked = Record<symbol, RequestState | undefined>

/**
 * The environ that gateway middleware passed on for this request, to the Express handlers that
 * run after a {@link toExpressMiddleware}: keys a middleware added (a user, a session) are here.
 *
 * @example
 * ```ts
 * app.use(toExpressMiddleware(auth))
 * app.get('/me', (req, res) => res.json(environOf(req)?.['auth.user']))
 * ```
 */
export function environOf(req: IncomingMessage): WSGIEnvironment | undefined {
  return (req as IncomingMessage & EnvironLinked)[kEnviron]
}

/**
 * Use gateway middleware in an Express chain.
 *
 * The middleware gets an environ built as `toExpress` builds it, and an inner app standing for
 * everything after it in the chain. When it calls that app, its environ changes (method,
 * `PATH_INFO`/`QUERY_STRING`, headers) are carried over to `req`, `next()` runs the rest of the
 * chain, and what those handlers write (`writeHead`/`write`/`end`, as `compression` captures
 * it) comes back as the inner app's status, headers and streamed body. `res.write()` downstream
 * returns `false` once `res.writableHighWaterMark` bytes wait unread, and `'drain'` follows when
 * the middleware pulled them.
 * The middleware's own result is sent on the real `res`. If the middleware answers without
 * calling the app, the rest of the chain never runs.
 *
 * Errors before the response started go to `next(err)` unless the chain already ran (then the
 * response is a plain 500); later errors cut the connection.
 *
 * @example
 * ```ts
 * const poweredBy: Middleware = (app) => (environ, startResponse) =>
 *   app(environ, (status, headers, excInfo) =>
 *     startResponse(status, [...headers, ['X-Powered-By', 'wsgi']], excInfo))
 *
 * app.use(toExpressMiddleware(poweredBy))
 * app.get('/', (req, res) => res.send('hello'))
 * ```
 * The gateway middleware is applied once, when `toExpressMiddleware` is called.
 *
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `middleware` is not a function or does not
 *   return one. The inner app throws `ERR_WSGI_CHAIN_ALREADY_RUN` when called a second time for
 *   one request, and `ERR_WSGI_INVALID_ARG_TYPE` when its environ lost `wsgits.express_request`.
 */
export function toExpressMiddleware(
  middleware: Middleware,
  options: ToExpressMiddlewareOptions = {},
): RequestHandler {
  if (typeof middleware !== 'function') {
    throw invalidArgType(`middleware must be a function (got ${describe(middleware)})`)
  }
  const base = handlerOptionsOf(options)
  // Per request, a property of `req` under a symbol of this middleware (the same middleware may
  // run twice in one chain): the middleware is applied once, here, as toKoaMiddleware and
  // toFastifyMiddleware apply theirs, instead of once per request (a new app, and for
  // fromKoaMiddleware a Koa stand-in and a listener app, made for every request).
  const kState = Symbol('wsgits.expressMiddlewareState')
  const stateOf = (environ: WSGIEnvironment): RequestState => {
    const req: unknown = environ[EXPRESS_REQUEST_KEY]
    const state = typeof req === 'object' && req !== null ? (req as StateLinked)[kState] : undefined
    if (state === undefined) {
      throw invalidArgType(
        `The inner app of toExpressMiddleware needs environ['${EXPRESS_REQUEST_KEY}'] of the ` +
          `request (got ${describe(req)}); pass the environ, or a copy of it, to the inner app`,
      )
    }
    return state
  }
  const rest: WSGIApplication = async (environ, startResponse) => {
    const state = stateOf(environ)
    if (state.passed) {
      throw new WSGIError(
        'ERR_WSGI_CHAIN_ALREADY_RUN',
        'The rest of the Express chain already ran for this request; call the app once',
      )
    }
    state.passed = true
    const { req, capture } = state
    // `req` and its body go on to the rest of the chain: no handler here drains it.
    passBodyOn(environ)
    if (state.outer !== undefined) passBodyOn(state.outer)
    applyEnvironChanges(req, state.before, environ)
    ;(req as IncomingMessage & EnvironLinked)[kEnviron] = environ
    capture.install()
    state.next()
    const head = await capture.head
    startResponse(head.status, head.headers)
    // A chain that answered at once with a length (res.send, res.json): its body goes whole.
    const whole = capture.takeWhole()
    return whole === undefined ? capture.body : [whole]
  }
  const app = middleware(rest)
  if (typeof app !== 'function') {
    throw invalidArgType(`middleware must return an application (got ${describe(app)})`)
  }
  const entry: WSGIApplication = (environ, startResponse) => {
    const state = stateOf(environ)
    state.outer = environ
    state.before = snapshotEnviron(environ)
    return app(environ, startResponse)
  }
  return function gatewayMiddleware(req, res, next): void {
    const capture = new ResponseCapture(res)
    const state: RequestState = { req, capture, next, before: {}, passed: false, outer: undefined }
    const handler = new ExpressHandler(
      req,
      capture.target,
      { ...base, errorsToNext: () => !state.passed },
      next,
    )
    ;(req as unknown as StateLinked)[kState] = state
    void handler.run(entry).catch((error: unknown) => {
      // The error handling itself failed: the response cannot be trusted any more.
      handler.logException(error)
      if (!res.writableEnded) res.destroy()
    })
  }
}
