/**
 * `@wsgi/adapter-express`: Express ⇄ the gateway interface, in both directions, and middleware
 * across the border.
 *
 * - {@link toExpress}: a gateway app as Express middleware (`app.use('/legacy', toExpress(app))`).
 * - {@link fromExpress}: an Express app as a gateway app.
 * - {@link toExpressMiddleware}: gateway middleware in an Express chain.
 * - {@link fromExpressMiddleware}: Express middleware in a gateway pipeline.
 *
 * @module
 */
export { toExpress } from './to-express.ts'
export type { ToExpressOptions } from './to-express.ts'
export { fromExpress } from './from-express.ts'
export type { ExpressListener, FromExpressOptions } from './from-express.ts'
export { environOf, toExpressMiddleware } from './to-express-middleware.ts'
export type { ToExpressMiddlewareOptions } from './to-express-middleware.ts'
export { fromExpressMiddleware } from './from-express-middleware.ts'
export type { ExpressMiddleware, FromExpressMiddlewareOptions } from './from-express-middleware.ts'
export { EXPRESS_REQUEST_KEY, EXPRESS_RESPONSE_KEY } from './express-handler.ts'
