/**
 * Statuses through the Fastify bridges, compared with Fastify on its own server. Fastify's
 * `reply.code()` takes 100 to 599 only (FST_ERR_BAD_STATUS_CODE past it, which its error handler
 * answers with 500), so a code above 599 cannot come from a Fastify app; a final 101 can.
 */
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it, onTestFinished } from 'vitest'

import { describeStatusParity, getStatusLine, serveSimpleForTest } from '@wsgi/conformance'
import type { WSGIApplication } from '@wsgi/core/types'

import { fromFastify } from './from-fastify.ts'
import { toFastify } from './to-fastify.ts'

function makeApp(): FastifyInstance {
  const app = Fastify()
  app.get('/:code', (request, reply) => {
    void reply.code(Number((request.params as { code: string }).code)).send('f')
  })
  onTestFinished(() => app.close())
  return app
}

async function native(): Promise<number> {
  const app = makeApp()
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  return typeof address === 'object' && address !== null ? address.port : 0
}

describeStatusParity({
  title: 'fromFastify and statuses',
  framework: 'Fastify',
  ourPort: () => serveSimpleForTest(fromFastify(makeApp())),
  nativePort: native,
  cases: [
    {
      target: '/101',
      sameBody: false,
      expected: { statusLine: 'HTTP/1.1 101 Switching Protocols', body: '' },
    },
    { target: '/599', sameBody: false },
    { target: '/700', sameBody: false },
  ],
})

describe('toFastify and statuses', () => {
  it("sends a gateway app's final 101 without a body", async () => {
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('101 Switching Protocols', [['Content-Type', 'text/plain']])
      return [Buffer.from('body')]
    }
    const fastify = Fastify()
    onTestFinished(() => fastify.close())
    await fastify.register(toFastify(app))
    await fastify.listen({ port: 0, host: '127.0.0.1' })
    const address = fastify.server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    expect(await getStatusLine(port, '/')).toEqual({
      statusLine: 'HTTP/1.1 101 Switching Protocols',
      body: '',
    })
  })
})
