/**
 * The Hono stacks: the native app on `@hono/node-server` (baseline), the gateway app mounted with
 * `toFetch` (through `hono/mount`) and with `toHono`, the Hono app on the simple server through
 * `fromFetch(hono.fetch)` (with the light global `Response`, as the baseline has it), and the
 * Hono app on `@whatwg-node/server` (the peer).
 *
 * @module
 */
import { Hono } from 'hono'

import { gatewayApp } from '../apps/gateway.mjs'
import { honoApp } from '../apps/hono.mjs'
import { MOUNT } from '../workloads.mjs'
import { close, listen } from './listen.mjs'
import { serveListener, serveSimple } from './node.mjs'

/** @typedef {import('./index.mjs').Running} Running */

/**
 * `fetch` on `@hono/node-server`.
 *
 * @param {(request: Request) => Response | Promise<Response>} fetch
 * @returns {Promise<Running>}
 */
async function serveHono(fetch) {
  const { createAdaptorServer } = await import('@hono/node-server')
  const server = /** @type {import('node:http').Server} */ (createAdaptorServer({ fetch }))
  const port = await listen(server)
  return { port, close: () => close(server) }
}

/** @type {Record<string, () => Promise<Running>>} */
export const stacks = {
  hono: () => serveHono(honoApp().fetch),

  'hono-to': async () => {
    const { toFetch } = await import('@wsgi/adapter-fetch')
    const { mount } = await import('hono/mount')
    const app = new Hono()
    app.all(
      `${MOUNT}/*`,
      mount(toFetch(gatewayApp, { scriptName: MOUNT }), { replaceRequest: false }),
    )
    return serveHono(app.fetch)
  },

  'hono-tohono': async () => {
    const { toHono } = await import('@wsgi/adapter-fetch/hono')
    const app = new Hono()
    app.all(`${MOUNT}/*`, toHono(gatewayApp))
    return serveHono(app.fetch)
  },

  'hono-from': async () => {
    const { fromFetch } = await import('@wsgi/adapter-fetch')
    // As `@hono/node-server` (the baseline) does by default: a light global `Response`.
    return serveSimple(fromFetch(honoApp().fetch, { overrideGlobalResponse: true }))
  },

  'hono-whatwg': async () => {
    const { createServerAdapter } = await import('@whatwg-node/server')
    const app = honoApp()
    // The request only: the adapter's server context is not Hono's `env`.
    return serveListener(createServerAdapter((request) => app.fetch(request)))
  },
}
