/**
 * A gateway application as a Node request listener: `toNodeListener(app)`, and
 * `attachListener(server, listener)` to route `Expect: 100-continue` to it.
 *
 * The work is done by {@link NodeHandler} (`./handler.ts`), re-exported here.
 *
 * @module
 */
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http'

import type { WSGIApplication } from '../types.ts'
import { RESOLVED } from '../handlers/base-handler.ts'
import { NodeHandler } from './handler.ts'
import type { NextFunction, NodeHandlerClass, NodeHandlerOptions } from './handler.ts'

export { NodeHandler } from './handler.ts'
export type { NextFunction, NodeHandlerClass, NodeHandlerOptions } from './handler.ts'

/** Options of {@link toNodeListener}. */
export interface ToNodeListenerOptions extends NodeHandlerOptions {
  /** The handler class, to customise a hook (`handleError`, `logException`…). */
  readonly handlerClass?: NodeHandlerClass | undefined
}

/**
 * Route both `'request'` and `'checkContinue'` of `server` to `listener`, so that a gateway app
 * decides about `Expect: 100-continue` itself (`100 Continue` goes out when it first reads
 * `wsgi.input`). Without the second event Node answers `100 Continue` before the app runs.
 *
 * @example
 * ```ts
 * const server = http.createServer()
 * attachListener(server, toNodeListener(app))
 * server.listen(8000)
 * ```
 */
export function attachListener(server: Server, listener: RequestListener): void {
  server.on('request', listener)
  server.on('checkContinue', listener)
}

/**
 * What {@link toNodeListener} returns: a Node request listener (`http.createServer()` takes it)
 * that also takes Connect's `next`, so Express and Connect can mount it with no cast.
 */
export type GatewayListener = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: NextFunction,
) => void

/**
 * A gateway application as a Node request listener, `(req, res) => void`, for
 * `http.createServer()`, `https`, or as Express/Connect middleware (the `next` argument is
 * passed to the handler, which ignores it unless `onError` or a subclass uses it).
 *
 * @example
 * ```ts
 * import http from 'node:http'
 * import { toNodeListener } from '@wsgi/core/node'
 *
 * const app: WSGIApplication = (environ, startResponse) => {
 *   startResponse('200 OK', [['Content-Type', 'text/plain']])
 *   return [new TextEncoder().encode('Hello, world!')]
 * }
 * http.createServer(toNodeListener(app)).listen(8000)
 * ```
 */
export function toNodeListener(
  app: WSGIApplication,
  options: ToNodeListenerOptions = {},
): GatewayListener {
  const Handler = options.handlerClass ?? NodeHandler
  let scriptName = options.scriptName ?? ''
  while (scriptName.endsWith('/')) scriptName = scriptName.slice(0, -1)
  const resolved: NodeHandlerOptions = { ...options, scriptName }
  return function gatewayListener(
    req: IncomingMessage,
    res: ServerResponse,
    next?: NextFunction,
  ): void {
    void serve(new Handler(req, res, resolved, next), app)
  }
}

/**
 * `handler.run(app)`, turning a failure of the error handling itself into a cut connection.
 * Returns `RESOLVED` (the shared resolved promise of `base-handler.ts`) when the response was
 * sent synchronously, so a caller can skip waiting for it.
 */
export function serve(handler: NodeHandler, app: WSGIApplication): Promise<void> {
  let running: Promise<void>
  try {
    running = handler.run(app)
  } catch (error) {
    // run() never throws, but a subclass's override might.
    failed(handler, error)
    return RESOLVED
  }
  if (running === RESOLVED) return RESOLVED
  return Promise.resolve(running).then(undefined, (error: unknown) => {
    failed(handler, error)
  })
}

function failed(handler: NodeHandler, error: unknown): void {
  try {
    handler.logException(error)
  } finally {
    if (!handler.response.writableEnded) handler.response.destroy()
  }
}
