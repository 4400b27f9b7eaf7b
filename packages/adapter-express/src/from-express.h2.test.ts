/**
 * `toNodeListener(fromExpress(app))` under `http2.createServer` (h2c) and
 * `http2.createSecureServer` (h2): Express sees the request it would see over HTTP/1 (method,
 * path, host, protocol), and its response reaches the h2 client without the hop-by-hop headers
 * Node's HTTP/1 response carries (HTTP/2 refuses them).
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
import express from 'express'

import { toNodeListener } from '@wsgi/core/node'

import { fromExpress } from './from-express.ts'

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
