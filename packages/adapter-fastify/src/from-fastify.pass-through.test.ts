/**
 * `fromFastify` on `makeServer` hands Fastify the server's own `req`/`res` (the pass-through);
 * these tests check that no byte changes: the same requests on the pass-through and on the
 * synthetic path (the app wrapped, so another app runs it) give the same raw bytes and log lines.
 */
import { Socket } from 'node:net'
import { Readable } from 'node:stream'

import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'

import { BODY_CASES, COMMON_CASES, describePassThrough, getRequest } from '@wsgi/conformance'

import { fromFastify } from './from-fastify.ts'

const BIG = 'z'.repeat(300 * 1024)

function app(): FastifyInstance {
  const fastify = Fastify()
  fastify.get('/json', () => ({ hello: 'world' }))
  fastify.get('/stream', async (_request, reply) => {
    return reply.type('text/plain').send(Readable.from(['one,', 'two,', 'three']))
  })
  fastify.get('/no-content', (_request, reply) => reply.code(204).send())
  fastify.get('/not-modified', (_request, reply) => reply.code(304).send())
  fastify.get('/cookies', async (_request, reply) => {
    reply.header('Set-Cookie', ['a=1', 'b=2; HttpOnly'])
    return 'cookies'
  })
  fastify.get('/redirect', async (_request, reply) => reply.redirect('/json'))
  // The handler takes over the raw response (Fastify's hijack): plain Node writes.
  fastify.get('/hijacked', (_request, reply) => {
    reply.hijack()
    reply.raw.writeHead(200, { 'content-type': 'text/plain' })
    reply.raw.write('raw ')
    reply.raw.end('bytes')
  })
  // A header set on the raw response before Fastify sends its own.
  fastify.get('/raw-header', async (_request, reply) => {
    reply.raw.setHeader('X-Raw', '1')
    return 'with a raw header'
  })
  fastify.get('/big', async (_request, reply) => reply.type('text/plain').send(BIG))
  fastify.get('/sync-error', () => {
    throw new Error('sync failure')
  })
  fastify.get('/async-error', async () => {
    await new Promise((resolve) => setImmediate(resolve))
    throw Object.assign(new Error('teapot'), { statusCode: 418 })
  })
  // Left unparsed: /echo reads the stream, /ignore and /ignore-empty do not.
  fastify.addContentTypeParser('application/octet-stream', (_request, payload, done) => {
    done(null, payload)
  })
  fastify.post('/echo', async (request, reply) => {
    const chunks: Buffer[] = []
    for await (const chunk of request.body as Readable) chunks.push(chunk as Buffer)
    return reply.type('application/octet-stream').send(Buffer.concat(chunks))
  })
  fastify.post('/ignore', () => 'ignored')
  fastify.post('/ignore-empty', (_request, reply) => reply.code(204).send())
  fastify.all('/which', (request) =>
    request.raw.socket instanceof Socket ? 'native' : 'synthetic',
  )
  fastify.post('/upload', (request) => `got ${JSON.stringify(request.body).length}`)
  return fastify
}

describePassThrough('fromFastify', () => fromFastify(app()), [
  ...COMMON_CASES,
  ...BODY_CASES,
  ['a hijacked reply', getRequest('/hijacked')],
  ['HEAD of a hijacked reply', 'HEAD /hijacked HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['a header set on the raw response', getRequest('/raw-header')],
  [
    'a JSON upload',
    'POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}',
  ],
])
