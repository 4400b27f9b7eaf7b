/**
 * The core stacks: the raw `node:http` baseline, the gateway app on the simple server and on
 * `toNodeListener`, and a plain fetch handler on the two fetch servers a user would pick instead.
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
}
