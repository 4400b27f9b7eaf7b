/**
 * The core stacks: the raw `node:http` baseline, the gateway app on the simple server and on
 * `toNodeListener`, and a plain fetch handler on the fetch servers a user would pick instead
 * (`@hono/node-server`, `@whatwg-node/server`, `srvx`, an `h3` app) and on the simple server
 * through `fromFetch` (with the runtime's global `Response`, and with the light one).
 *
 * @module
 */
import { createServer } from 'node:http'

import { gatewayApp } from '../apps/gateway.mjs'
import { fetchHandler, nodeHandler } from '../apps/native.mjs'
import { HOST, close, listen } from './listen.mjs'

/** @typedef {import('./index.mjs').Running} Running */

/**
 * A `node:http` server for `listener`.
 *
 * @param {import('node:http').RequestListener} listener
 * @returns {Promise<Running>}
 */
export async function serveListener(listener) {
  const server = createServer(listener)
  const port = await listen(server)
  return { port, close: () => close(server) }
}

/**
 * The gateway application `app` on core's simple server (`makeServer`).
 *
 * @param {import('@wsgi/core').WSGIApplication} app
 * @returns {Promise<Running>}
 */
export async function serveSimple(app) {
  const { makeServer } = await import('@wsgi/core/simple-server')
  const server = await makeServer(HOST, 0, app)
  return { port: server.serverPort, close: () => server.shutdown() }
}

/** @type {Record<string, () => Promise<Running>>} */
export const stacks = {
  node: () => serveListener(nodeHandler),
  // The same server in a second process: the A/A row, how far a ratio moves with nothing changed.
  'node-again': () => serveListener(nodeHandler),

  simple: () => serveSimple(gatewayApp),

  listener: async () => {
    const { toNodeListener } = await import('@wsgi/core/node')
    return serveListener(toNodeListener(gatewayApp))
  },

  'fetch-hono-server': async () => {
    const { createAdaptorServer } = await import('@hono/node-server')
    const server = /** @type {import('node:http').Server} */ (
      createAdaptorServer({ fetch: fetchHandler })
    )
    const port = await listen(server)
    return { port, close: () => close(server) }
  },

  'fetch-whatwg': async () => {
    const { createServerAdapter } = await import('@whatwg-node/server')
    const adapter = createServerAdapter(fetchHandler)
    return serveListener(adapter)
  },

  // srvx's serve() is this: createServer(toNodeHandler(fetch)); here on a port we choose.
  'fetch-srvx': async () => {
    const { toNodeHandler } = await import('srvx/node')
    // Typed for HTTP/1 and HTTP/2 requests alike; node:http gives it HTTP/1 ones.
    const listener = /** @type {import('node:http').RequestListener} */ (
      /** @type {unknown} */ (toNodeHandler(fetchHandler))
    )
    return serveListener(listener)
  },

  // An h3 app with one catch-all route calling the fetch handler on h3's request (srvx's),
  // served by h3's own Node handler.
  'fetch-h3': async () => {
    const { H3, toNodeHandler } = await import('h3')
    const app = new H3().all('/**', (event) => fetchHandler(event.req))
    return serveListener(toNodeHandler(app))
  },

  'fetch-from': async () => {
    const { fromFetch } = await import('@wsgi/adapter-fetch')
    return serveSimple(fromFetch(fetchHandler))
  },

  // With the light global `Response`, as `@hono/node-server` has it by default.
  'fetch-from-light': async () => {
    const { fromFetch } = await import('@wsgi/adapter-fetch')
    return serveSimple(fromFetch(fetchHandler, { overrideGlobalResponse: true }))
  },
}
