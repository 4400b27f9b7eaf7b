/**
 * The Express stacks: the native app on its own server (baseline), the gateway app mounted with
 * `toExpress`, and the native app on the simple server through `fromExpress`; and the Koa
 * middleware job: the app behind a header middleware written for Express (baseline), the same
 * middleware written for Koa in a hand wrapper (the peer) and through
 * `toExpressMiddleware(fromKoaMiddleware(mw))`.
 *
 * @module
 */
import { bareExpress, expressApp } from '../apps/express.mjs'
import { gatewayApp } from '../apps/gateway.mjs'
import { connectHeader, koaHeader, koaInExpress } from '../apps/middleware.mjs'
import { MOUNT } from '../workloads.mjs'
import { serveListener, serveSimple } from './node.mjs'

/** @typedef {import('./index.mjs').Running} Running */

/** @type {Record<string, () => Promise<Running>>} */
export const stacks = {
  // app.listen() is http.createServer(app).listen(): the same server, a port we choose.
  express: () => serveListener(expressApp()),

  'express-to': async () => {
    const { toExpress } = await import('@wsgi/adapter-express')
    const app = bareExpress()
    app.use(MOUNT, toExpress(gatewayApp))
    return serveListener(app)
  },

  'express-from': async () => {
    const { fromExpress } = await import('@wsgi/adapter-express')
    return serveSimple(fromExpress(expressApp()))
  },

  'express-mw': () => serveListener(expressApp([connectHeader])),

  'express-koamw-hand': () => serveListener(expressApp([koaInExpress(koaHeader)])),

  'express-koamw': async () => {
    const { toExpressMiddleware } = await import('@wsgi/adapter-express')
    const { fromKoaMiddleware } = await import('@wsgi/adapter-koa')
    return serveListener(expressApp([toExpressMiddleware(fromKoaMiddleware(koaHeader))]))
  },
}
