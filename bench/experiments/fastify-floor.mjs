/**
 * The floor of a gateway mount in Fastify: the least a Fastify plugin can do to run a PEP 3333
 * app per request (`floor-parts.mjs`: the environ from `request.raw`, the body read whole from
 * it, `startResponse`; then `reply.code()`, `reply.headers()` and `reply.send()`), with no
 * validation, no handler object, no extension keys and no mount detection. Every content type
 * is left unparsed, as `toFastify` leaves it, so the app reads the body itself. Not a usable
 * bridge; the yardstick for `toFastify` (the `fastify-to` stack) against Fastify alone
 * (`fastify`):
 *
 *   node bench/src/ab.mjs file://$PWD/bench/experiments/fastify-floor.mjs fastify hello echo
 *
 * @module
 */
import Fastify from 'fastify'

import { serveFastify } from '../src/stacks/fastify.mjs'
import { MOUNT } from '../src/workloads.mjs'
import { floorEnviron, runFloor } from './floor-parts.mjs'

/**
 * @param {import('fastify').FastifyInstance} f
 * @returns {Promise<void>}
 */
async function plugin(f) {
  f.removeAllContentTypeParsers()
  f.addContentTypeParser('*', (_req, _payload, done) => {
    done(null, undefined)
  })
  f.all('/*', (request, reply) =>
    runFloor(floorEnviron(request.raw, MOUNT), (status, headers, body) => {
      const chunks = [.../** @type {Iterable<Uint8Array>} */ (body)]
      reply.code(Number(status.slice(0, 3)))
      for (const [name, value] of headers) reply.header(name, value)
      // Nothing returned: a synchronous route that returned `reply` would have Fastify send it
      // again (a FST_ERR_REP_ALREADY_SENT warning, an Error made per request).
      reply.send(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks))
    }),
  )
}

/** @returns {Promise<import('../src/stacks/index.mjs').Running>} */
export async function start() {
  const fastify = Fastify({ logger: false })
  await fastify.register(plugin, { prefix: MOUNT })
  return serveFastify(fastify)
}
