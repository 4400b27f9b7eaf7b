/* eslint-disable @typescript-eslint/require-await -- Fastify routes and hooks are async functions by
   convention: what they return is the reply, with or without an await inside. */
import { Readable } from 'node:stream'

import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'

import { dispatch } from '@wsgi/core/dispatch'
import type { WSGIApplication } from '@wsgi/core/types'

import {
  bytes,
  jsonApp,
  listenFastify,
  quietErrors,
  recordErrors,
  serveGateway,
  serveSimple,
  settled,
  sleep,
} from '../test/helpers.ts'
import { fromFastify } from './from-fastify.ts'
import { toFastify } from './to-fastify.ts'

describe('fromFastify(fastify)', () => {
  it('routes with params and query, served by the simple server', async () => {
    const fastify = Fastify()
    fastify.get('/users/:id', async (request) => ({
      params: request.params,
      query: request.query,
      url: request.url,
    }))
    const base = await serveSimple(fromFastify(fastify))
    const res = await fetch(`${base}/users/7?full=1`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      params: { id: '7' },
      query: { full: '1' },
      url: '/users/7?full=1',
    })
    expect((await fetch(`${base}/missing`)).status).toBe(404)
  })

  it('sees the path below the mount, or the full path with fullPath', async () => {
    const relative = Fastify()
    relative.get('/hello', async (request) => ({
      url: request.url,
      originalUrl: request.originalUrl,
    }))
    const full = Fastify()
    full.get('/api/hello', async (request) => ({ url: request.url }))
    const base = await serveGateway(
      dispatch({ '/api': fromFastify(relative), '/v2/api': fromFastify(full, { fullPath: true }) }),
    )
    expect(await (await fetch(`${base}/api/hello?q=1`)).json()).toEqual({
      url: '/hello?q=1',
      originalUrl: '/api/hello?q=1',
    })
    const res = await fetch(`${base}/v2/api/hello`)
    expect(res.status).toBe(404)
    const base2 = await serveGateway(fromFastify(full, { fullPath: true }), { scriptName: '/api' })
    expect(await (await fetch(`${base2}/api/hello`)).json()).toEqual({ url: '/api/hello' })
  })

  it('runs hooks, decorators, schemas and serializers as Fastify does', async () => {
    const fastify = Fastify()
    const trail: string[] = []
    fastify.decorate('greeting', 'hi')
    fastify.decorateRequest('user', null)
    fastify.decorateReply('teapot', function (this: { code(n: number): unknown }) {
      this.code(418)
    })
    fastify.addHook('onRequest', async (request) => {
      trail.push('onRequest')
      ;(request as unknown as { user: string }).user = 'ann'
    })
    fastify.addHook('preHandler', async () => {
      trail.push('preHandler')
    })
    fastify.addHook('onSend', async (_request, reply, payload) => {
      trail.push('onSend')
      reply.header('x-hooked', '1')
      return payload
    })
    fastify.addHook('onResponse', async () => {
      trail.push('onResponse')
    })
    fastify.post(
      '/items',
      {
        schema: {
          body: {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string' } },
          },
          response: {
            201: {
              type: 'object',
              properties: { name: { type: 'string' }, by: { type: 'string' } },
            },
          },
        },
      },
      async function (request, reply) {
        reply.code(201)
        const body = request.body as { name: string }
        const user = (request as unknown as { user: string }).user
        return {
          name: body.name,
          by: `${user}/${(this as FastifyInstance & { greeting: string }).greeting}`,
          secret: 'dropped',
        }
      },
    )
    fastify.get('/tea', async (_request, reply) => {
      ;(reply as unknown as { teapot(): void }).teapot()
      return 'short and stout'
    })
    const base = await serveGateway(fromFastify(fastify))
    const ok = await fetch(`${base}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'pen' }),
    })
    expect(ok.status).toBe(201)
    expect(ok.headers.get('x-hooked')).toBe('1')
    expect(await ok.json()).toEqual({ name: 'pen', by: 'ann/hi' })
    await settled(() => trail.length)
    expect(trail).toEqual(['onRequest', 'preHandler', 'onSend', 'onResponse'])

    const invalid = await fetch(`${base}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nom: 'pen' }),
    })
    expect(invalid.status).toBe(400)
    expect(((await invalid.json()) as { code: string }).code).toBe('FST_ERR_VALIDATION')
    const tea = await fetch(`${base}/tea`)
    expect(tea.status).toBe(418)
  })

  it('answers errors through the Fastify error handler', async () => {
    const fastify = Fastify()
    fastify.setErrorHandler(async (error: Error, _request, reply) =>
      reply.code(502).send({ caught: error.message }),
    )
    fastify.get('/boom', async () => {
      throw new Error('kaput')
    })
    const base = await serveGateway(fromFastify(fastify))
    const res = await fetch(`${base}/boom`)
    expect(res.status).toBe(502)
    expect(await res.json()).toEqual({ caught: 'kaput' })
  })

  it('lets a hijacked reply write the raw response, streamed', async () => {
    const fastify = Fastify()
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    fastify.get('/raw', async (_request, reply) => {
      reply.hijack()
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' })
      reply.raw.flushHeaders()
      await released
      reply.raw.write('data: 1\n\n')
      reply.raw.end('data: 2\n\n')
    })
    const base = await serveGateway(fromFastify(fastify))
    const res = await fetch(`${base}/raw`)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    release()
    expect(await res.text()).toBe('data: 1\n\ndata: 2\n\n')
  })

  it('streams a reply.send(stream) body and request bodies both ways', async () => {
    const fastify = Fastify()
    fastify.addContentTypeParser('application/octet-stream', (_request, payload, done) => {
      done(null, payload)
    })
    fastify.put('/count', async (request) => {
      let n = 0
      for await (const chunk of request.body as Readable) n += (chunk as Buffer).length
      return { n }
    })
    fastify.get('/stream', async (_request, reply) => {
      const source = Readable.from(
        (async function* () {
          for (let i = 0; i < 5; i++) {
            yield Buffer.from(`chunk ${i}\n`)
            await sleep(2)
          }
        })(),
      )
      return reply.type('text/plain').send(source)
    })
    const base = await serveGateway(fromFastify(fastify))
    const big = Buffer.alloc(4 * 1024 * 1024 + 3, 7)
    const res = await fetch(`${base}/count`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: big,
    })
    expect(await res.json()).toEqual({ n: big.length })
    const streamed = await fetch(`${base}/stream`)
    expect(streamed.headers.get('transfer-encoding')).toBe('chunked')
    expect(await streamed.text()).toBe('chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n')
  })

  it('makes the gateway server cut the connection when a body stream fails mid-way', async () => {
    const fastify = Fastify({ logger: false })
    fastify.get('/fails', async (_request, reply) => {
      const source = Readable.from(
        (async function* () {
          yield Buffer.from('first part; ')
          await sleep(5)
          throw new Error('stream broke')
        })(),
      )
      return reply.type('text/plain').send(source)
    })
    const base = await serveGateway(fromFastify(fastify), { errors: quietErrors })
    const res = await fetch(`${base}/fails`)
    expect(res.status).toBe(200)
    await expect(res.text()).rejects.toThrow()
  })

  it('gives Fastify the client address, protocol and host', async () => {
    const fastify = Fastify()
    fastify.get('/who', async (request) => ({
      ip: request.ip,
      protocol: request.protocol,
      host: request.host,
    }))
    const base = await serveGateway(fromFastify(fastify))
    const { port } = new URL(base)
    expect(await (await fetch(`${base}/who`)).json()).toEqual({
      ip: '127.0.0.1',
      protocol: 'http',
      host: `127.0.0.1:${port}`,
    })
  })

  it('tells Fastify when the client goes away (onRequestAbort)', async () => {
    const fastify = Fastify()
    let aborted = 0
    fastify.addHook('onRequestAbort', (_request, done) => {
      aborted++
      done()
    })
    fastify.get('/slow', async (_request, reply) => {
      reply.hijack()
      reply.raw.writeHead(200, { 'content-type': 'text/plain' })
      reply.raw.write('start\n')
    })
    const base = await serveGateway(fromFastify(fastify))
    const controller = new AbortController()
    const res = await fetch(`${base}/slow`, { signal: controller.signal })
    await res.body!.getReader().read()
    controller.abort()
    await settled(() => aborted)
    expect(aborted).toBe(1)
  })

  it('boots the instance on the first request, so plugins may still be added', async () => {
    const fastify = Fastify()
    const app = fromFastify(fastify)
    fastify.get('/late', async () => 'registered after fromFastify()')
    const base = await serveGateway(app)
    expect(await (await fetch(`${base}/late`)).text()).toBe('registered after fromFastify()')
  })

  it('answers 500 when the instance fails to boot', async () => {
    const fastify = Fastify()
    void fastify.register(async () => {
      throw new Error('plugin failed')
    })
    const errors = recordErrors()
    const base = await serveGateway(fromFastify(fastify), { errors })
    expect((await fetch(`${base}/`)).status).toBe(500)
    expect((await fetch(`${base}/`)).status).toBe(500)
    expect(errors.lines.join('')).toContain('plugin failed')
  })

  it('carries SCRIPT_NAME and outer environ keys to a gateway app mounted inside', async () => {
    const inner = jsonApp((e) => ({
      scriptName: e.SCRIPT_NAME,
      pathInfo: e.PATH_INFO,
      user: e['REMOTE_USER'],
    }))
    const fastify = Fastify()
    await fastify.register(toFastify(inner), { prefix: '/legacy' })
    const app = fromFastify(fastify)
    const withUser: WSGIApplication = (environ, startResponse) => {
      environ['REMOTE_USER'] = 'carol'
      return app(environ, startResponse)
    }
    const base = await serveGateway(withUser, { scriptName: '/outer' })
    expect(await (await fetch(`${base}/outer/legacy/x`)).json()).toEqual({
      scriptName: '/outer/legacy',
      pathInfo: '/x',
      user: 'carol',
    })
  })

  it('round-trips: toFastify(fromFastify(app)) behaves like the app', async () => {
    const app = Fastify()
    app.get('/hello/:name', async (request, reply) => {
      reply.header('set-cookie', ['a=1', 'b=2'])
      return { hello: (request.params as { name: string }).name }
    })
    app.post('/echo', async (request) => request.body)
    const outer = Fastify()
    await outer.register(toFastify(fromFastify(app)), { prefix: '/app' })
    const base = await listenFastify(outer)
    const res = await fetch(`${base}/app/hello/world`)
    expect(await res.json()).toEqual({ hello: 'world' })
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    const echo = await fetch(`${base}/app/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ x: [1, 2] }),
    })
    expect(await echo.json()).toEqual({ x: [1, 2] })
  })

  it('rejects what is not a Fastify instance', () => {
    expect(() => fromFastify({} as FastifyInstance)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
    expect(bytes('x')).toHaveLength(1)
  })
})
