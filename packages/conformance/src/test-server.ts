/**
 * Server scaffolding every package's tests share: a `node:http` server on 127.0.0.1 at a port
 * the system picks, closed with its connections cut (for the conformance suite's `close()` or
 * when the test finishes), a raw byte exchange, and a `wsgi.errors` that keeps its text.
 *
 * @module
 */
import { createServer } from 'node:http'
import type { RequestListener, Server } from 'node:http'
import { connect } from 'node:net'

import { onTestFinished } from 'vitest'

import { attachListener } from '@wsgi/core/node'
import { makeServer } from '@wsgi/core/simple-server'
import type { ErrorStream, WSGIApplication } from '@wsgi/core/types'

import { exchange } from './raw-http.ts'

import { closeServer, listenLocal } from './serve.ts'
import type { Served } from './suite.ts'

/** `server` listening, as the conformance suite takes a served stack. */
export async function serveHttp(server: Server): Promise<Served> {
  const port = await listenLocal(server)
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server) }
}

/** A fresh `node:http` server with `listener` on it (`checkContinue` too, as core attaches). */
function nodeServer(listener: RequestListener): Server {
  const server = createServer()
  attachListener(server, listener)
  return server
}

/** `listener` on a fresh `node:http` server (see core's `attachListener`), for the suite. */
export function serveNode(listener: RequestListener): Promise<Served> {
  return serveHttp(nodeServer(listener))
}

/** Start `server` for the running test (closed when it finishes); resolves to the port. */
export async function startForTest(server: Server): Promise<number> {
  const port = await listenLocal(server)
  onTestFinished(() => closeServer(server))
  return port
}

/** `listener` on a fresh `node:http` server for the running test; resolves to the base URL. */
export async function listenForTest(listener: RequestListener): Promise<string> {
  const port = await startForTest(nodeServer(listener))
  return `http://127.0.0.1:${port}`
}

/** `app` on core's simple server (no access log) for the running test; resolves to the port. */
export async function serveSimpleForTest(app: WSGIApplication): Promise<number> {
  const server = await makeServer('127.0.0.1', 0, app, { accessLog: false })
  onTestFinished(async () => {
    server.httpServer.closeAllConnections()
    await server.shutdown()
  })
  return server.serverPort
}

/** `GET target` on a new connection to `port`: the status code and the body (latin-1 text). */
export async function rawGet(
  port: number,
  target: string,
): Promise<{ status: number; body: string }> {
  const text = await exchange(
    port,
    `GET ${target} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`,
  )
  return { status: Number(text.slice(9, 12)), body: text.slice(text.indexOf('\r\n\r\n') + 4) }
}

/**
 * Send `request` as raw bytes to `base` (an `http://host:port` URL) and collect everything until
 * the server closes the connection (send `Connection: close`). The client never half-closes:
 * Node's server would take that as the client leaving and abort a response in the making.
 */
export function rawBytes(base: string, request: string | Uint8Array): Promise<Buffer> {
  const { hostname, port } = new URL(base)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      resolve(Buffer.concat(chunks))
    })
    socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request)
  })
}

/** `wsgi.errors` that keeps what was written, in `text`. */
export class MemoryErrors implements ErrorStream {
  text = ''
  write(s: string): void {
    this.text += s
  }
  writelines(seq: Iterable<string>): void {
    for (const s of seq) this.text += s
  }
  flush(): void {
    // Nothing is buffered.
  }
}
