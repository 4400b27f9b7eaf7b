/**
 * The Fastify application of the benchmark: the four workloads as routes of a plugin registered
 * at `/m`. It is the baseline on its own server and the app `fromFastify` wraps.
 *
 * @module
 */
import { Readable } from 'node:stream'

import Fastify from 'fastify'

import { HELLO_TEXT, MOUNT, UPLOAD_TYPE, chunks, downloadSize } from '../workloads.mjs'
import { countPiped } from './native.mjs'

/**
 * The routes, as a plugin.
 *
 * @param {import('fastify').FastifyInstance} f
 * @returns {Promise<void>}
 */
async function routes(f) {
  f.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer', bodyLimit: 1 << 20 },
    (_req, body, done) => {
      done(null, body)
    },
  )
  // The upload stays a stream: this parser hands the payload on unread.
  f.addContentTypeParser(UPLOAD_TYPE, (_req, payload, done) => {
    done(null, payload)
  })
  f.get('/hello', (_req, reply) => {
    reply.type('text/plain').send(HELLO_TEXT)
  })
  f.post('/echo', (req, reply) => {
    reply.type('application/octet-stream').send(req.body)
  })
  f.put('/upload', async (req, reply) => {
    const n = await countPiped(/** @type {import('node:stream').Readable} */ (req.body))
    reply.type('text/plain')
    return String(n)
  })
  f.get('/download', (req, reply) => {
    const q = req.url.indexOf('?')
    const n = downloadSize(q < 0 ? '' : req.url.slice(q + 1))
    reply
      .type('application/octet-stream')
      .header('content-length', String(n))
      .send(Readable.from(chunks(n)))
  })
}

/**
 * The native Fastify app (not listening; not booted).
 *
 * @returns {import('fastify').FastifyInstance}
 */
export function fastifyApp() {
  const fastify = Fastify({ logger: false })
  void fastify.register(routes, { prefix: MOUNT })
  return fastify
}
