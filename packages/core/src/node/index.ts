/**
 * `@wsgi/core/node`: the Node bridge, both directions.
 *
 * - {@link toNodeListener}: a gateway app as a Node `(req, res)` listener (and `NodeHandler`, the
 *   `BaseHandler` behind it, for adapters to subclass).
 * - {@link fromNodeListener}: a Node listener (an Express, Koa or Fastify app) as a gateway app.
 *
 * The Express, Koa and Fastify adapters are thin layers over these two.
 *
 * @module
 */
export { NodeHandler, attachListener, toNodeListener } from './to-node-listener.ts'
export type { GatewayListener } from './to-node-listener.ts'
export type {
  NextFunction,
  NodeHandlerClass,
  NodeHandlerOptions,
  ToNodeListenerOptions,
} from './to-node-listener.ts'
export { addRequestEnviron } from './environ.ts'
export { addExtensionEnviron, clientAbortSignal } from './extension-environ.ts'
export type { RequestEnvironOptions } from './environ.ts'
export { fromNodeListener } from './from-node-listener.ts'
export {
  ConsumedInput,
  bodyAlreadyRead,
  bodySource,
  bodyWasRead,
  hasBody,
  inputOf,
  passBodyOn,
  replayEnviron,
} from './request-body.ts'
export type { BodySource } from './request-body.ts'
export type { FromNodeListenerOptions, NodeListener } from './from-node-listener.ts'
export { BodyFeed } from './body-feed.ts'
