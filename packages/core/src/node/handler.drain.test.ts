/**
 * What happens to a request body the app left unread: drained within a byte budget and a
 * deadline (the connection then serves the next request), else the connection is closed so that
 * the client still reads the answer (no reset while it uploads), and a client that stops sending
 * mid-body does not hold the connection. Real sockets: the raw client of the conformance package,
 * and curl.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import { describe, expect, it, onTestFinished } from 'vitest'
import { RawClient } from '../../test/helpers/raw-http.ts'
import {
  answerEarlyApp,
  curlUpload,
  postThenGet,
  startUpload,
  trickleUntilClosed,
} from '../../test/helpers/upload.ts'

import { makeServer } from '../simple-server/index.ts'
import type { WSGIApplication } from '../types.ts'
import { StringErrorStream } from '../_internal/error-stream.ts'
import { attachListener, toNodeListener } from './to-node-listener.ts'
import type { ToNodeListenerOptions } from './to-node-listener.ts'

async function serve(options: ToNodeListenerOptions = {}): Promise<number> {
  const server = createServer()
  attachListener(server, toNodeListener(answerEarlyApp, options))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return (server.address() as AddressInfo).port
}

describe('an unread request body', () => {
  it('is answered (413, Connection: close) without a reset while a large upload goes on', async () => {
    const port = await serve()
    // The client sends all of it, reading the answer meanwhile (as Node's and undici's do).
    const { client, response, errors } = await startUpload(port, 'POST', '/upload', 8 * 1024 * 1024)
    expect(response.status).toBe(413)
    expect(response.headers.get('connection')).toEqual(['close'])
    await client.untilClosed(20_000)
    expect(errors).toEqual([])
  })

  it('is drained within the budget, and the connection serves the next request', async () => {
    const port = await serve()
    const { first, second } = await postThenGet(port, 200_000)
    expect(first.status).toBe(200)
    expect(first.headers.get('connection')).toEqual(['keep-alive'])
    expect(second.status).toBe(200)
  })

  it('beyond the budget (chunked, size unknown) closes the connection without a reset', async () => {
    const port = await serve({ drainLimit: 100_000 })
    const client = await RawClient.open(port)
    client.write('POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n')
    const errors: string[] = []
    client.socket.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? 'error'))
    const chunk = `10000\r\n${'c'.repeat(0x10000)}\r\n`
    // 64 chunks of 64 KiB, well past the budget; the body never ends.
    for (let i = 0; i < 64; i++) client.write(chunk)
    expect((await client.response()).status).toBe(413)
    // As curl does: the answer came, so the upload stops.
    client.socket.end()
    await client.untilClosed(20_000)
    expect(errors).toEqual([])
  })

  it('of a client that trickles its body does not hold the connection past the deadline', async () => {
    const port = await serve({ drainTimeout: 300 })
    const { status, serverClosed } = await trickleUntilClosed(port)
    expect(status).toBe(200)
    expect(serverClosed).toBe(true)
  })
})

describe("the simple server's inputLimit", () => {
  it('answers 413 to a large upload that goes on, and the client reads it', async () => {
    // The app reads its body: the limit stops it, and the 413 goes out mid-upload.
    const reader: WSGIApplication = async (environ, startResponse) => {
      const input = environ['wsgi.input']
      while ((await input.read(65536)).length > 0);
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return [Buffer.from('read it all\n')]
    }
    const server = await makeServer('127.0.0.1', 0, reader, { inputLimit: 100_000 })
    server.stderr = new StringErrorStream()
    onTestFinished(async () => {
      server.httpServer.closeAllConnections()
      await server.shutdown()
    })
    const { client, response, errors, stop } = await startUpload(
      server.serverPort,
      'PUT',
      '/upload',
      32 * 1024 * 1024,
    )
    expect(response.status).toBe(413)
    expect(response.headers.get('connection')).toEqual(['close'])
    // As curl does: the answer came, so the upload stops.
    stop()
    client.socket.end()
    await client.untilClosed(20_000)
    expect(errors).toEqual([])
  })
})

describe('curl uploading a large stream to an app that answers 413 without reading', () => {
  it('prints the 413', async () => {
    const port = await serve()
    const status = await curlUpload(`http://127.0.0.1:${String(port)}/upload`)
    expect(status).toBe('413')
  })
})
