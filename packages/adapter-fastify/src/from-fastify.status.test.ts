/**
 * Statuses through the Fastify bridges, compared with Fastify on its own server. Fastify's
 * `reply.code()` takes 100 to 599 only (FST_ERR_BAD_STATUS_CODE past it, which its error handler
 * answers with 500), so a code above 599 cannot come from a Fastify app; a final 101 can.
 */
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it, onTestFinished } from 'vitest'

import { RawClient, serveSimpleForTest } from '@wsgi/conformance'
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

/** The status line of `GET target` (`Connection: close`, read to the end) and its body. */
async function get(port: number, target: string): Promise<{ statusLine: string; body: string }> {
  const client = await RawClient.open(port)
  client.write(`GET ${target} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`)
  const text = await client.untilClosed()
  return {
    statusLine: text.slice(0, text.indexOf('\r\n')),
    body: text.slice(text.indexOf('\r\n\r\n') + 4),
  }
}

describe('fromFastify and statuses', () => {
  it.each(['/101', '/599', '/700'])(
    'answers GET %s with the status line Fastify sends',
    async (target) => {
      const [ours, theirs] = await Promise.all([
        serveSimpleForTest(fromFastify(makeApp())).then((port) => get(port, target)),
        native().then((port) => get(port, target)),
      ])
      expect(ours.statusLine).toBe(theirs.statusLine)
      if (target === '/101')
        expect(ours).toEqual({ statusLine: 'HTTP/1.1 101 Switching Protocols', body: '' })
    },
  )
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
    expect(await get(port, '/')).toEqual({
      statusLine: 'HTTP/1.1 101 Switching Protocols',
      body: '',
    })
  })
})
