/**
 * Connection facts through `fromExpress`: what Express reads off the socket (`req.ip`,
 * `req.socket.remoteAddress`/`remoteFamily`) must be what it reads on its own server, on the same
 * kind of listener (a dual-stack `::` one, an IPv4 one, an IPv6 one).
 */
import { createServer } from 'node:http'
import type { RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'

import { describe, expect, it, onTestFinished } from 'vitest'
import express from 'express'

import { toNodeListener } from '@wsgi/core/node'

import { fromExpress } from './from-express.ts'

async function serveOn(host: string, listener: RequestListener): Promise<number> {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  )
  return (server.address() as AddressInfo).port
}

function whoAmI(trustProxy: string | false): express.Express {
  const app = express()
  app.set('trust proxy', trustProxy)
  app.get('/', (req, res) => {
    res.json({
      ip: req.ip,
      ips: req.ips,
      remoteAddress: req.socket.remoteAddress,
      remoteFamily: req.socket.remoteFamily,
    })
  })
  return app
}

async function facts(port: number, client: string, headers: Record<string, string> = {}) {
  const host = client.includes(':') ? `[${client}]` : client
  const response = await fetch(`http://${host}:${port}/`, { headers })
  return (await response.json()) as Record<string, unknown>
}

describe('fromExpress keeps the connection facts of the socket', () => {
  it.each([
    ['::', '127.0.0.1'],
    ['::', '::1'],
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
  ])('listener %s, client %s: the same as Express on its own server', async (listen, client) => {
    const native = await serveOn(listen, whoAmI(false))
    const bridged = await serveOn(listen, toNodeListener(fromExpress(whoAmI(false))))
    const expected = await facts(native, client)
    expect(await facts(bridged, client)).toEqual(expected)
    if (listen === '::' && client === '127.0.0.1') {
      // The case that differed: a dual-stack listener shows IPv4 clients IPv4-mapped.
      expect(expected).toMatchObject({ remoteAddress: '::ffff:127.0.0.1', remoteFamily: 'IPv6' })
    }
  })

  it("matches 'trust proxy' lists written for the native address", async () => {
    // Express's own server, dual-stack: only the mapped form is trusted by this list.
    const trust = '::ffff:127.0.0.1'
    const native = await serveOn('::', whoAmI(trust))
    const bridged = await serveOn('::', toNodeListener(fromExpress(whoAmI(trust))))
    const headers = { 'X-Forwarded-For': '203.0.113.9' }
    const expected = await facts(native, '127.0.0.1', headers)
    expect(expected['ip']).toBe('203.0.113.9')
    expect(await facts(bridged, '127.0.0.1', headers)).toEqual(expected)
  })
})
