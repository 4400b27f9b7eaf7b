/**
 * End to end over a real socket in the other direction: a Hono app as a gateway app
 * (`fromFetch(app.fetch)`), served by the core's `makeServer`, requested with the global fetch.
 */
import { Hono } from 'hono'
import { setCookie } from 'hono/cookie'
import { streamSSE } from 'hono/streaming'
import { describe, expect, it, onTestFinished, vi } from 'vitest'

import type { WSGIApplication } from '@wsgi/core/types'
import { makeServer } from '@wsgi/core/simple-server'

import { fromFetch } from '../src/from-fetch.ts'

import { MemoryErrors, readerOf, textOf } from './helpers.ts'

/** Serve `app` with the core server on 127.0.0.1 at a free port; shut down when the test ends. */
async function listen(app: WSGIApplication): Promise<string> {
  const server = await makeServer('127.0.0.1', 0, app)
  server.stderr = new MemoryErrors()
  onTestFinished(async () => {
    server.httpServer.closeAllConnections()
    await server.shutdown()
  })
  return `http://127.0.0.1:${server.serverPort}`
}

describe('fromFetch(honoApp.fetch) on the core server', () => {
  it('keeps three Set-Cookie headers apart', async () => {
    const hono = new Hono().get('/login', (c) => {
      setCookie(c, 'a', '1')
      setCookie(c, 'b', '2', { httpOnly: true })
      setCookie(c, 'c', '3', { expires: new Date(Date.now() + 3_600_000) })
      return c.text('in')
    })
    const base = await listen(fromFetch(hono.fetch))
    const response = await fetch(`${base}/login`)
    const cookies = response.headers.getSetCookie()
    expect(cookies.map((c) => c.split(';')[0])).toEqual(['a=1', 'b=2', 'c=3'])
    expect(await response.text()).toBe('in')
  })

  it('streams a large upload into the Hono handler and back', async () => {
    const hono = new Hono().post('/echo', (c) => new Response(c.req.raw.body))
    const base = await listen(fromFetch(hono.fetch))
    const size = 4 * 1024 * 1024
    const payload = new Uint8Array(size).map((_, i) => i % 253)
    const response = await fetch(`${base}/echo`, { method: 'POST', body: payload })
    const echoed = new Uint8Array(await response.arrayBuffer())
    expect(echoed.length).toBe(size)
    expect(echoed.every((b, i) => b === i % 253)).toBe(true)
  })

  it('delivers server-sent events as they are written', async () => {
    const release: (() => void)[] = []
    const hono = new Hono().get('/events', (c) =>
      streamSSE(c, async (stream) => {
        await stream.writeSSE({ data: 'first' })
        await new Promise<void>((resolve) => release.push(resolve))
        await stream.writeSSE({ data: 'second' })
      }),
    )
    const base = await listen(fromFetch(hono.fetch))
    const response = await fetch(`${base}/events`)
    const reader = readerOf(response.body)
    expect(textOf((await reader.read()).value)).toBe('data: first\n\n')
    await vi.waitFor(() => {
      expect(release).toHaveLength(1)
    })
    release[0]!()
    expect(textOf((await reader.read()).value)).toBe('data: second\n\n')
  })

  it('aborts request.signal in the handler when the client goes away', async () => {
    let signal: AbortSignal | undefined
    const hono = new Hono().get('/forever', (c) => {
      signal = c.req.raw.signal
      return streamSSE(c, async (stream) => {
        for (let i = 0; !stream.aborted; i++) {
          await stream.writeSSE({ data: String(i) })
          await stream.sleep(5)
        }
      })
    })
    const base = await listen(fromFetch(hono.fetch))
    const client = new AbortController()
    const response = await fetch(`${base}/forever`, { signal: client.signal })
    await readerOf(response.body).read()
    expect(signal?.aborted).toBe(false)
    client.abort()
    await vi.waitFor(() => {
      expect(signal?.aborted).toBe(true)
    })
  })

  it('sends HEAD and 204 without a body', async () => {
    const hono = new Hono()
      .get('/doc', (c) => c.text('representation'))
      .delete('/doc', (c) => c.body(null, 204))
    const base = await listen(fromFetch(hono.fetch))
    const head = await fetch(`${base}/doc`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
    const deleted = await fetch(`${base}/doc`, { method: 'DELETE' })
    expect(deleted.status).toBe(204)
    expect(await deleted.text()).toBe('')
  })

  it('answers 500 when the handler throws outside Hono', async () => {
    const base = await listen(
      fromFetch(() => {
        throw new Error('handler blew up')
      }),
    )
    const response = await fetch(`${base}/`)
    expect(response.status).toBe(500)
    expect(await response.text()).not.toContain('blew up')
  })
})
