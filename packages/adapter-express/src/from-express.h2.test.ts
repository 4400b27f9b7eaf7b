/**
 * `toNodeListener(fromExpress(app))` under `http2.createServer` (h2c) and
 * `http2.createSecureServer` (h2): Express sees the request it would see over HTTP/1 (method,
 * path, host, protocol), and its response reaches the h2 client without the hop-by-hop headers
 * Node's HTTP/1 response carries (HTTP/2 refuses them).
 */
import { describe, expect, it } from 'vitest'
import express from 'express'

import { h2Request, h2Session } from '@wsgi/conformance'
import { toNodeListener } from '@wsgi/core/node'

import { fromExpress } from './from-express.ts'

describe.each([
  ['h2c', false],
  ['h2', true],
])('fromExpress under toNodeListener over %s', (_name, secure) => {
  it('routes the request and answers through HTTP/2', async () => {
    const app = express()
    app.use(express.text())
    app.post('/items/:id', (req, res) => {
      res.set('Connection', 'keep-alive')
      res.json({
        id: req.params.id,
        query: req.query,
        host: req.get('host'),
        hostname: req.hostname,
        protocol: req.protocol,
        body: req.body as unknown,
        headers: Object.keys(req.headers).filter((name) => name.startsWith(':')),
      })
    })
    const session = await h2Session(secure, toNodeListener(fromExpress(app)) as never)
    const answer = await h2Request(
      session,
      {
        ':method': 'POST',
        ':path': '/items/7?q=1',
        ':authority': 'shop.test',
        'content-type': 'text/plain',
        'content-length': '5',
      },
      'hello',
    )
    expect(answer.headers[':status']).toBe(200)
    expect(answer.headers.connection).toBeUndefined()
    expect(JSON.parse(answer.body)).toEqual({
      id: '7',
      query: { q: '1' },
      host: 'shop.test',
      hostname: 'shop.test',
      protocol: secure ? 'https' : 'http',
      body: 'hello',
      headers: [],
    })
  })

  it('streams a chunked Express response to an h2 client', async () => {
    const app = express()
    app.get('/', (_req, res) => {
      res.write('a')
      setImmediate(() => res.end('b'))
    })
    const session = await h2Session(secure, toNodeListener(fromExpress(app)) as never)
    const answer = await h2Request(session, { ':path': '/' })
    expect(answer.headers[':status']).toBe(200)
    expect(answer.headers['transfer-encoding']).toBeUndefined()
    expect(answer.body).toBe('ab')
  })
})
