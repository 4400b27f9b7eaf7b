/**
 * The Express stacks: the native app on its own server (baseline), the gateway app mounted with
 * `toExpress`, and the native app on the simple server through `fromExpress`.
 *
 * @module
 */
import { bareExpress, expressApp } from '../apps/express.mjs'
import { gatewayApp } from '../apps/gateway.mjs'
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
}
