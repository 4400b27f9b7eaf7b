/**
 * What `toFastify` does with a request body the app left unread: core's `NodeHandler` mechanism
 * (a byte budget, `drainLimit`, and a deadline, `drainTimeout`). A small body is drained and the
 * connection serves the next request; a large upload gets its answer with `Connection: close`
 * and no reset; a client that trickles its body is closed after the deadline. Real sockets: the
 * raw client of the conformance package, and curl.
 */
import {
  RawClient,
  answerEarlyApp,
  curlUpload,
  startUpload,
  postThenGet,
  trickleUntilClosed,
  uploadBody,
} from '@wsgi/conformance'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'

import type { WSGIApplication } from '@wsgi/core/types'

import { listenFastify } from '../test/helpers.ts'
import { toFastifyMiddleware } from './to-fastify-middleware.ts'
import { toFastify } from './to-fastify.ts'
import type { ToFastifyOptions } from './to-fastify.ts'

/** `answerEarlyApp` mounted with `toFastify` on a fresh port (returned). */
async function serve(options: ToFastifyOptions = {}): Promise<number> {
  const fastify = Fastify()
  await fastify.register(toFastify(answerEarlyApp, options))
  const base = await listenFastify(fastify)
  return Number(new URL(base).port)
}

describe('toFastify and an unread request body', () => {
  it('answers a large upload (413, Connection: close) without a reset', async () => {
    const port = await serve()
    // The client sends all of it, reading the answer meanwhile (as Node's and undici's do).
    const { client, response, errors } = await startUpload(port, 'POST', '/upload', 4 * 1024 * 1024)
    expect(response.status).toBe(413)
    expect(response.headers.get('connection')).toEqual(['close'])
    await client.untilClosed(20_000)
    expect(errors).toEqual([])
  })

  it('drains a body within the budget, and the connection serves the next request', async () => {
    const port = await serve()
    const { first, second, ended } = await postThenGet(port, 200_000)
    expect(first.status).toBe(200)
    expect(first.headers.get('connection')).toEqual(['keep-alive'])
    expect(second.status).toBe(200)
    expect(ended).toBe(false)
  })

  it('takes drainLimit: a body announced larger closes the connection', async () => {
    const port = await serve({ drainLimit: 100_000 })
    const { client, response, errors } = await startUpload(port, 'POST', '/', 200_000)
    expect(response.status).toBe(200)
    expect(response.headers.get('connection')).toEqual(['close'])
    await client.untilClosed(20_000)
    expect(errors).toEqual([])
  })

  it('closes a connection whose client trickles its body once drainTimeout passes', async () => {
    const port = await serve({ drainTimeout: 300 })
    const { status, serverClosed } = await trickleUntilClosed(port)
    expect(status).toBe(200)
    expect(serverClosed).toBe(true)
  })
})

describe('toFastify and the unread body of an app that failed', () => {
  it("lets Fastify's error handler answer, then closes the connection without a reset", async () => {
    const failing: WSGIApplication = () => {
      throw new Error('no')
    }
    const fastify = Fastify()
    await fastify.register(toFastify(failing))
    const port = Number(new URL(await listenFastify(fastify)).port)
    const client = await RawClient.open(port)
    let serverClosed = false
    client.socket.on('end', () => {
      serverClosed = true
    })
    const total = 4 * 1024 * 1024
    client.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${String(total)}\r\n\r\n`)
    const { errors } = uploadBody(client, total)
    expect((await client.response()).status).toBe(500)
    // Beyond the budget: drained no further than drainLimit, then closed the lingering way.
    await client.untilClosed(20_000)
    expect(serverClosed).toBe(true)
    expect(errors).toEqual([])
  })
})

describe('toFastifyMiddleware and an unread request body', () => {
  it('answers a large upload the middleware refused (413, Connection: close) without a reset', async () => {
    const fastify = Fastify()
    await fastify.register(async (scope) => {
      await scope.register(toFastifyMiddleware(() => answerEarlyApp))
      scope.post('/upload', () => 'never')
    })
    const port = Number(new URL(await listenFastify(fastify)).port)
    const { client, response, errors } = await startUpload(port, 'POST', '/upload', 4 * 1024 * 1024)
    expect(response.status).toBe(413)
    expect(response.headers.get('connection')).toEqual(['close'])
    await client.untilClosed(20_000)
    expect(errors).toEqual([])
  })
})

describe('curl uploading a large stream to a toFastify app that answers 413 without reading', () => {
  it('prints the 413', async () => {
    const port = await serve()
    const status = await curlUpload(`http://127.0.0.1:${String(port)}/upload`)
    expect(status).toBe('413')
  })
})
