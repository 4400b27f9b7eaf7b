/**
 * The request target as the client sent it, through real sockets: fromFastify on the simple
 * server (and mounted by `dispatch`) must route what Fastify on its own server routes (the
 * conformance package's `describeRawTarget`, with Fastify).
 */
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { onTestFinished } from 'vitest'

import { describeRawTarget } from '@wsgi/conformance'

import { fromFastify } from './from-fastify.ts'
import { toFastify } from './to-fastify.ts'

function makeApp(): FastifyInstance {
  const app = Fastify()
  app.get('/admin/secret', () => 'SECRET')
  app.get('/files/:name', (request) => ({
    name: (request.params as { name: string }).name,
    url: request.url,
  }))
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ url: request.url })
  })
  onTestFinished(() => app.close())
  return app
}

/** `app` listening on 127.0.0.1 (closed when the test finishes); resolves to the port. */
async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  return typeof address === 'object' && address !== null ? address.port : 0
}

describeRawTarget({
  framework: 'Fastify',
  fromName: 'fromFastify',
  toName: 'toFastify',
  gatewayApp: () => fromFastify(makeApp()),
  nativePort: () => listen(makeApp()),
  cases: [
    ['/admin%2Fsecret', 404, { url: '/admin%2Fsecret' }],
    ['/x/%2e%2e/admin/secret', 404, { url: '/x/%2e%2e/admin/secret' }],
    ['/files/a%2Fb', 200, { name: 'a/b', url: '/files/a%2Fb' }],
  ],
  mounted: [{ target: '/api/files/a%2Fb', body: { name: 'a/b', url: '/files/a%2Fb' } }],
  serveMounts: async (report) => {
    const outer = Fastify()
    onTestFinished(() => outer.close())
    await outer.register(toFastify(report), { prefix: '/m' })
    await outer.register(toFastify(fromFastify(makeApp())), { prefix: '/inner' })
    return listen(outer)
  },
})
