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
export { NodeHandler, attachListener, toNodeListener } from './node/to-node-listener.ts'
export type { GatewayListener } from './node/to-node-listener.ts'
export type {
  NextFunction,
  NodeHandlerClass,
  NodeHandlerOptions,
  ToNodeListenerOptions,
} from './node/to-node-listener.ts'
export { addExtensionEnviron, addRequestEnviron, clientAbortSignal } from './node/environ.ts'
export type { RequestEnvironOptions } from './node/environ.ts'
export { fromNodeListener } from './node/from-node-listener.ts'
export {
  ConsumedInput,
  bodyAlreadyRead,
  bodySource,
  bodyWasRead,
  hasBody,
  inputOf,
  replayEnviron,
} from './node/request-body.ts'
export type { BodySource } from './node/request-body.ts'
export type { FromNodeListenerOptions, NodeListener } from './node/from-node-listener.ts'
