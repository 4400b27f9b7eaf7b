/**
 * The middleware of the middleware jobs: one that adds a response header and hands the request
 * on, the shape of the middleware people carry from one framework to another (helmet, cors,
 * request ids), in each framework's own form, and the hand wrapper that runs Koa middleware in
 * Express the way `koa-connect` runs Express middleware in Koa.
 *
 * @module
 */
import Koa from 'koa'

/** The header every middleware job adds. */
export const BENCH_HEADER = 'x-bench'

/**
 * Connect/Express middleware: sets the header on the real response and calls `next`. It uses
 * only `node:http`'s `setHeader`, so it runs under koa-connect, which gives it Koa's raw
 * `req`/`res` without Express's prototypes, as most published middleware does.
 *
 * @param {import('node:http').IncomingMessage} _req
 * @param {import('node:http').ServerResponse} res
 * @param {(error?: unknown) => void} next
 */
export function connectHeader(_req, res, next) {
  res.setHeader(BENCH_HEADER, '1')
  next()
}

/**
 * Koa middleware: sets the header and awaits the rest of the chain.
 *
 * @param {import('koa').Context} ctx
 * @param {() => Promise<void>} next
 * @returns {Promise<void>}
 */
export async function koaHeader(ctx, next) {
  ctx.set(BENCH_HEADER, '1')
  await next()
}

/**
 * Koa middleware as Express middleware, by hand: no package does this direction (koa-connect,
 * express-to-koa and the like all run Express middleware in Koa), so this is the few lines a
 * user would write, the mirror of koa-connect: a Koa context on Express's own `req`/`res`, and
 * `next` as Koa's `next`. It is enough for middleware that sets headers and passes on; one
 * that sets `ctx.body` would need Koa's respond step, which this does not run.
 *
 * @param {import('koa').Middleware} mw
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, next: (error?: unknown) => void) => void}
 */
export function koaInExpress(mw) {
  const koa = new Koa()
  return (req, res, next) => {
    const ctx = koa.createContext(req, res)
    mw(ctx, () => {
      next()
      return Promise.resolve()
    }).catch(next)
  }
}
