/**
 * `@wsgi/adapter-koa`: Koa ⇄ WSGI gateway interface, in both directions, and middleware across
 * the border. Runs on Koa 2 and Koa 3.
 *
 * - {@link toKoa}: a gateway app as Koa middleware.
 * - {@link fromKoa}: a Koa app as a gateway app.
 * - {@link toKoaMiddleware}: gateway middleware in a Koa chain.
 * - {@link fromKoaMiddleware}: Koa middleware in a gateway pipeline.
 *
 * @module
 */

// gateway app -> Koa
export { toKoa } from './to-koa.ts'
export type { ToKoaOptions } from './to-koa.ts'
export { KOA_CONTEXT_KEY, KoaHandler } from './koa-handler.ts'
export type { HeadOutcome, KoaHandlerOptions } from './koa-handler.ts'

// Koa app -> gateway
export { fromKoa } from './from-koa.ts'
export type { FromKoaOptions } from './from-koa.ts'
export { environOf } from './environ-of.ts'

// middleware across the border
export { toKoaMiddleware } from './to-koa-middleware.ts'
export type { ToKoaMiddlewareOptions } from './to-koa-middleware.ts'
export { fromKoaMiddleware } from './from-koa-middleware.ts'
export type { FromKoaMiddlewareOptions } from './from-koa-middleware.ts'
