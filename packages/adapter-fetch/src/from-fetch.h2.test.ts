/**
 * `toNodeListener(fromFetch(hono.fetch))` under `http2.createServer` (h2c) and
 * `http2.createSecureServer` (h2): the `Request` Hono gets is the one the client sent (method,
 * URL from `:scheme`/`:authority`/`:path`, headers without pseudo-headers), and its `Response`
 * reaches the h2 client.
 */
import { readFileSync } from 'node:fs'
import { connect, createSecureServer, createServer } from 'node:http2'
import type {
  ClientHttp2Session,
  Http2ServerRequest,
  Http2ServerResponse,
  IncomingHttpHeaders,
  OutgoingHttpHeaders,
} from 'node:http2'
import type { AddressInfo } from 'node:net'

import { describe, expect, it, onTestFinished } from 'vitest'
import { Hono } from 'hono'

import { toNodeListener } from '@wsgi/core/node'

import { fromFetch } from './from-fetch.ts'

const fixtures = new URL('../../core/test/fixtures/tls/', import.meta.url)
// A test-only self-signed key and certificate (see packages/core/test/fixtures/tls/README.md).
const tls = {
  key: readFileSync(new URL('localhost-key.pem', fixtures)),
  cert: readFileSync(new URL('localhost-cert.pem', fixtures)),
}

/** Serve `listener` over h2c or h2 on 127.0.0.1; a connected client session. */
async function h2Session(
  secure: boolean,
  listener: (req: Http2ServerRequest, res: Http2ServerResponse) => void,
): Promise<ClientHttp2Session> {
  const server = secure
    ? createSecureServer({ ...tls, allowHTTP1: false }, listener)
    : createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const session = connect(
    `${secure ? 'https' : 'http'}://127.0.0.1:${port}`,
    secure ? { ca: tls.cert } : {},
  )
  onTestFinished(async () => {
    session.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return session
}

/** One request on `session`: the response headers and body. */
function h2Request(
  session: ClientHttp2Session,
  headers: OutgoingHttpHeaders,
  body?: string,
): Promise<{ headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined })
    if (body !== undefined) stream.end(body)
    let responseHeaders: IncomingHttpHeaders = {}
    let text = ''
    stream.setEncoding('utf8')
    stream.on('response', (h) => (responseHeaders = h))
    stream.on('data', (chunk: string) => (text += chunk))
    stream.on('end', () => {
      resolve({ headers: responseHeaders, body: text })
    })
    stream.on('error', reject)
  })
}

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
