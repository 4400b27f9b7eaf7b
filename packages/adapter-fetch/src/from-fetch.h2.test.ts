/**
 * `toNodeListener(fromFetch(hono.fetch))` under `http2.createServer` (h2c) and
 * `http2.createSecureServer` (h2): the `Request` Hono gets is the one the client sent (method,
 * URL from `:scheme`/`:authority`/`:path`, headers without pseudo-headers), and its `Response`
 * reaches the h2 client.
 */
import { describe, expect, it } from 'vitest'
import { Hono } from 'hono'

import { h2Request, h2Session } from '@wsgi/conformance'
import { toNodeListener } from '@wsgi/core/node'

import { fromFetch } from './from-fetch.ts'

describe.each([
  ['h2c', false],
  ['h2', true],
])('fromFetch(Hono) under toNodeListener over %s', (_name, secure) => {
  it('hands Hono the request the client sent and answers through HTTP/2', async () => {
    const hono = new Hono()
    hono.post('/items/:id', async (c) =>
      c.json({
        id: c.req.param('id'),
        url: c.req.url,
        body: await c.req.text(),
        headers: [...c.req.raw.headers.keys()].filter((name) => name.startsWith(':')),
      }),
    )
    hono.get('/stream', (c) =>
      c.body(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('x'))
            controller.enqueue(new TextEncoder().encode('y'))
            controller.close()
          },
        }),
      ),
    )
    const session = await h2Session(secure, toNodeListener(fromFetch(hono.fetch)) as never)
    const answer = await h2Request(
      session,
      { ':method': 'POST', ':path': '/items/7?q=1', ':authority': 'shop.test:8443' },
      'hello',
    )
    expect(answer.headers[':status']).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({
      id: '7',
      url: `${secure ? 'https' : 'http'}://shop.test:8443/items/7?q=1`,
      body: 'hello',
      headers: [],
    })
    const streamed = await h2Request(session, { ':path': '/stream' })
    expect(streamed.headers[':status']).toBe(200)
    expect(streamed.body).toBe('xy')
  })
})
