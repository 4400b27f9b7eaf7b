/**
 * Core's own servers for a test, from core's sources: a gateway app on `makeServer` or on a plain
 * `node:http` server through `toNodeListener`, on 127.0.0.1 at a port the system picks, closed
 * when the test finishes.
 *
 * @module
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import { onTestFinished } from 'vitest'

import { attachListener, toNodeListener } from '../../src/node/to-node-listener.ts'
import { makeServer } from '../../src/simple-server/index.ts'
import type { WSGIApplication } from '../../src/types.ts'

/** `app` on the simple server (no access log); resolves to its port. */
export async function simpleServer(app: WSGIApplication): Promise<number> {
  const server = await makeServer('127.0.0.1', 0, app, { accessLog: false })
  onTestFinished(async () => {
    server.httpServer.closeAllConnections()
    await server.shutdown()
  })
  return server.serverPort
}

/** `app` through `toNodeListener` on a plain `node:http` server; resolves to its port. */
export async function nodeServer(app: WSGIApplication): Promise<number> {
  const server = createServer()
  attachListener(server, toNodeListener(app))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => {
    server.closeAllConnections()
    server.close()
  })
  return (server.address() as AddressInfo).port
}
