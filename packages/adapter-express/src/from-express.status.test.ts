/**
 * What an Express app sends on its own server goes out the same through fromExpress (on the
 * simple server) and through toExpress(fromExpress(app)): any status from 100 to 999, and a
 * body the app framed itself with `Transfer-Encoding` (no `Content-Length` added on the way).
 */
import { createServer } from 'node:http'
import type { RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'

import express from 'express'
import { describe, expect, it, onTestFinished } from 'vitest'

import { RawClient, describeStatusParity } from '@wsgi/conformance'
import { makeServer } from '@wsgi/core/simple-server'

import { fromExpress } from './from-express.ts'
import { toExpress } from './to-express.ts'

function makeApp(): express.Express {
  const app = express()
  app.get('/700', (_req, res) => {
    res.status(700).send('seven')
  })
  app.get('/101', (_req, res) => {
    res.status(101).end()
  })
  app.get('/te/:coding', (req, res) => {
    res.set('Transfer-Encoding', req.params.coding)
    res.send('hello')
  })
  return app
}

async function listen(listener: RequestListener): Promise<number> {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => {
    server.closeAllConnections()
    server.close()
  })
  return (server.address() as AddressInfo).port
}

async function simple(): Promise<number> {
  const server = await makeServer('127.0.0.1', 0, fromExpress(makeApp()), { accessLog: false })
  onTestFinished(async () => {
    server.httpServer.closeAllConnections()
    await server.shutdown()
  })
  return server.serverPort
}

async function roundTrip(): Promise<number> {
  const outer = express()
  outer.use(toExpress(fromExpress(makeApp())))
  return listen(outer)
}

/** The status line, the header names (lower-cased) and the body of a keep-alive GET. */
async function get(
  port: number,
  target: string,
): Promise<{ statusLine: string; names: string[]; body: string }> {
  const client = await RawClient.open(port)
  onTestFinished(() => {
    client.destroy()
  })
  client.write(`GET ${target} HTTP/1.1\r\nHost: h\r\n\r\n`)
  const response = await client.response()
  return {
    statusLine: response.head.slice(0, response.head.indexOf('\r\n')),
    names: [...response.headers.keys()],
    body: response.body.toString('latin1'),
  }
}

const VARIANTS = [
  ['fromExpress on the simple server', simple],
  ['toExpress(fromExpress(app))', roundTrip],
] as const

for (const [name, serve] of VARIANTS) {
  describeStatusParity({
    title: `Express through ${name}: res.status(700)`,
    framework: 'Express',
    ourPort: serve,
    nativePort: () => listen(makeApp()),
    cases: [
      {
        target: '/700',
        sameBody: false,
        expected: { statusLine: 'HTTP/1.1 700 unknown', body: 'seven' },
      },
    ],
  })
}

describe.each(VARIANTS)('Express through %s', (_name, serve) => {
  it('sends a final 101 from res.status(101).end(), without a body, and closes', async () => {
    const port = await serve()
    const client = await RawClient.open(port)
    client.write('GET /101 HTTP/1.1\r\nHost: h\r\n\r\n')
    const text = await client.untilClosed()
    expect(text).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/)
    expect(text.endsWith('\r\n\r\n')).toBe(true)
    expect(text).not.toMatch(/content-length/i)
  })

  it.each(['chunked', 'gzip'])(
    'adds no Content-Length to a body the app framed with Transfer-Encoding: %s',
    async (coding) => {
      const ours = await serve().then((port) => get(port, `/te/${coding}`))
      // Transfer-Encoding is hop-by-hop: the server frames the body (chunked), not a length.
      expect(ours.names).not.toContain('content-length')
      expect(ours.names).toContain('transfer-encoding')
      expect(ours.body).toBe('hello')
    },
  )
})
