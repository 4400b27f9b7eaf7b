/**
 * The Fastify stacks: the native app on its own server (baseline), the gateway app as a plugin
 * through `toFastify`, and the native app on the simple server through `fromFastify`; and the
 * Express app inside Fastify, through `@fastify/express` (the peer) and through
 * `toFastify(fromExpress(app))`.
 *
 * @module
 */
import Fastify from 'fastify'

import { expressApp } from '../apps/express.mjs'
import { fastifyApp } from '../apps/fastify.mjs'
import { gatewayApp } from '../apps/gateway.mjs'
import { MOUNT } from '../workloads.mjs'
import { HOST } from './listen.mjs'
import { serveSimple } from './node.mjs'

/** @typedef {import('./index.mjs').Running} Running */

/**
 * A Fastify instance listening on a free port of 127.0.0.1.
 *
 * @param {import('fastify').FastifyInstance} fastify
 * @returns {Promise<Running>}
 */
export async function serveFastify(fastify) {
  await fastify.listen({ host: HOST, port: 0 })
  const address = fastify.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    port,
    close: async () => {
      fastify.server.closeAllConnections()
      await fastify.close()
    },
  }
}

/** @type {Record<string, () => Promise<Running>>} */
export const stacks = {
  fastify: () => serveFastify(fastifyApp()),

  'fastify-to': async () => {
    const { toFastify } = await import('@wsgi/adapter-fastify')
    const fastify = Fastify({ logger: false })
    await fastify.register(toFastify(gatewayApp), { prefix: MOUNT })
    return serveFastify(fastify)
  },

  'fastify-from': async () => {
    const { fromFastify } = await import('@wsgi/adapter-fastify')
    return serveSimple(fromFastify(fastifyApp()))
  },

  // @fastify/express's documented use: the Express app as middleware of the Fastify instance,
  // run in an onRequest hook on Fastify's own req/res; it sees every path, as below.
  'fastify-express': async () => {
    const { default: fastifyExpress } = await import('@fastify/express')
    const fastify = Fastify({ logger: false })
    await fastify.register(fastifyExpress)
    fastify.use(expressApp())
    return serveFastify(fastify)
  },

  // No prefix: the Express app routes the whole path (`/m/…`), as under @fastify/express.
  'fastify-fromexpress': async () => {
    const { toFastify } = await import('@wsgi/adapter-fastify')
    const { fromExpress } = await import('@wsgi/adapter-express')
    const fastify = Fastify({ logger: false })
    await fastify.register(toFastify(fromExpress(expressApp())))
    return serveFastify(fastify)
  },
}
