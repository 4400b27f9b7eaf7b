/**
 * The request target as the client sent it, through real sockets: fromFastify on the simple
 * server (and mounted by `dispatch`) must route what Fastify on its own server routes.
 */
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it, onTestFinished } from 'vitest'

import { rawGet, serveSimpleForTest } from '@wsgi/conformance'
import { dispatch } from '@wsgi/core/dispatch'
import type { WSGIApplication } from '@wsgi/core/types'

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

async function native(): Promise<number> {
  const app = makeApp()
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  return typeof address === 'object' && address !== null ? address.port : 0
}

describe('fromFastify and the raw request target', () => {
  it.each([
    ['/admin%2Fsecret', 404, { url: '/admin%2Fsecret' }],
    ['/x/%2e%2e/admin/secret', 404, { url: '/x/%2e%2e/admin/secret' }],
    ['/files/a%2Fb', 200, { name: 'a/b', url: '/files/a%2Fb' }],
  ])('GET %s reaches Fastify as on its own server', async (target, status, expected) => {
    const [ours, theirs] = await Promise.all([
      serveSimpleForTest(fromFastify(makeApp())).then((port) => rawGet(port, target)),
      native().then((port) => rawGet(port, target)),
    ])
    expect(ours.status).toBe(status)
    expect(JSON.parse(ours.body)).toMatchObject(expected)
    expect(ours).toEqual(theirs)
  })

  it('keeps the raw rest of the path below a dispatch mount', async () => {
    const port = await serveSimpleForTest(dispatch({ '/api': fromFastify(makeApp()) }))
    const files = await rawGet(port, '/api/files/a%2Fb')
    expect(JSON.parse(files.body)).toEqual({ name: 'a/b', url: '/files/a%2Fb' })
  })
})

describe('toFastify and the raw request target', () => {
  it('gives a gateway app under a prefix the target as sent, and a Fastify app inside it the raw path', async () => {
    const report: WSGIApplication = (environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'application/json']])
      const { REQUEST_URI, SCRIPT_NAME, PATH_INFO } = environ
      return [Buffer.from(JSON.stringify({ REQUEST_URI, SCRIPT_NAME, PATH_INFO }))]
    }
    const outer = Fastify()
    onTestFinished(() => outer.close())
    await outer.register(toFastify(report), { prefix: '/m' })
    await outer.register(toFastify(fromFastify(makeApp())), { prefix: '/inner' })
    await outer.listen({ port: 0, host: '127.0.0.1' })
    const address = outer.server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    expect(JSON.parse((await rawGet(port, '/m/a%2Fb?q')).body)).toEqual({
      REQUEST_URI: '/m/a%2Fb?q',
      SCRIPT_NAME: '/m',
      PATH_INFO: '/a/b',
    })
    expect(JSON.parse((await rawGet(port, '/inner/files/a%2Fb')).body)).toEqual({
      name: 'a/b',
      url: '/files/a%2Fb',
    })
  })
})
