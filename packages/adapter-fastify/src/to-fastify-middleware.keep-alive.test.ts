/**
 * The Fastify middleware round trip on keep-alive connections: a Fastify plugin made gateway
 * middleware, run by `toFastifyMiddleware` around a route that parses the upload itself. No
 * handler between the real request and the route may drain that body (core's `passBodyOn`).
 *
 * @module
 */
import Fastify from 'fastify'
import type { FastifyPluginCallback } from 'fastify'
import { describe, it } from 'vitest'

import { expectAllAnswered, keepAlivePosts, watchErrorLog } from '@wsgi/conformance'

import { listenFastify } from '../test/helpers.ts'
import { fromFastifyMiddleware } from './from-fastify-middleware.ts'
import { toFastifyMiddleware } from './to-fastify-middleware.ts'

const tagged: FastifyPluginCallback = (instance, _options, done) => {
  instance.addHook('onRequest', async (_request, reply) => {
    reply.header('x-mw', '1')
  })
  done()
}
Object.assign(tagged, { [Symbol.for('skip-override')]: true })

describe('toFastifyMiddleware(fromFastifyMiddleware(plugin)) on keep-alive connections', () => {
  it('answers every upload in full, reuses the connection and logs nothing', async () => {
    const fastify = Fastify()
    fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
      done(null, body)
    })
    await fastify.register(async (api) => {
      await api.register(toFastifyMiddleware(fromFastifyMiddleware(tagged)))
      api.post('/echo', async (request, reply) => reply.header('x-route', '1').send(request.body))
    })
    const base = await listenFastify(fastify)
    const log = watchErrorLog()
    let logged = ''
    let report
    try {
      report = await keepAlivePosts(Number(new URL(base).port), '/echo')
    } finally {
      logged = log.stop()
    }
    expectAllAnswered(report, logged)
  })
})
