/**
 * `@wsgi/adapter-fastify`: Fastify 5 ⇄ the WSGI gateway interface, in both directions, and
 * middleware across the border.
 *
 * @module
 */

// gateway application → Fastify plugin
export { toFastify } from './to-fastify.ts'
export type { FastifyHandlerClass, ToFastifyOptions } from './to-fastify.ts'
export {
  CLIENT_GONE,
  FASTIFY_REPLY_KEY,
  FASTIFY_REQUEST_KEY,
  FastifyHandler,
} from './fastify-handler.ts'
export type { FastifyHandlerOptions, GatewayPayload } from './fastify-handler.ts'

// Fastify application → gateway application
export { fromFastify } from './from-fastify.ts'
export type { FastifyApp, FromFastifyOptions } from './from-fastify.ts'

// middleware across the border
export { FASTIFY_NEXT_KEY, environOf, toFastifyMiddleware } from './to-fastify-middleware.ts'
export type { ToFastifyMiddlewareOptions } from './to-fastify-middleware.ts'
export { fromFastifyMiddleware } from './from-fastify-middleware.ts'
export type { AnyFastifyPlugin, FromFastifyMiddlewareOptions } from './from-fastify-middleware.ts'
