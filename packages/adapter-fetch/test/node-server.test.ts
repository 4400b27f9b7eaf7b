/**
 * End to end over a real socket: a gateway app mounted in Hono, served by @hono/node-server,
 * requested with the global fetch.
 */

import { Hono } from 'hono'
import { mount } from 'hono/mount'
import { describe, expect, it, vi } from 'vitest'

import type { WSGIApplication } from '@wsgi/core/types'

import { toFetch } from '../src/to-fetch.ts'

import { MemoryErrors, readerOf, textOf, serveOnNodeServer } from './helpers.ts'

const enc = new TextEncoder()

/** Serve `app` on 127.0.0.1 at a free port; closed when the test ends. */
async function listen(app: Hono): Promise<string> {
  const port = await serveOnNodeServer(app.fetch)
  return `http://127.0.0.1:${port}`
}

function mounted(gateway: WSGIApplication): Hono {
  const app = new Hono()
  const handler = toFetch(gateway, { scriptName: '/legacy', errors: new MemoryErrors() })
  app.all('/legacy/*', mount(handler, { replaceRequest: false }))
  return app
}

describe('toFetch(app) on @hono/node-server', () => {
  it('answers with three Set-Cookie headers and the client URL in the environ', async () => {
    const base = await listen(
      mounted((environ, startResponse) => {
        startResponse('200 OK', [
          ['Content-Type', 'text/plain'],
          ['Set-Cookie', 'a=1'],
          ['Set-Cookie', 'b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT'],
          ['Set-Cookie', 'c=3'],
        ])
        return [
          enc.encode(
            `${environ.SCRIPT_NAME ?? ''}|${environ.PATH_INFO ?? ''}|${environ.QUERY_STRING ?? ''}`,
          ),
        ]
      }),
    )
    const response = await fetch(`${base}/legacy/a/b?x=1`)
    expect(response.headers.getSetCookie()).toEqual([
      'a=1',
      'b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT',
      'c=3',
    ])
    expect(await response.text()).toBe('/legacy|/a/b|x=1')
  })

  it('streams a large upload through wsgi.input and back', async () => {
    const base = await listen(
      mounted((environ, startResponse) => {
        const input = environ['wsgi.input']
        startResponse('200 OK', [['Content-Type', 'application/octet-stream']])
        return (async function* () {
          for (;;) {
            const chunk = await input.read(65536)
            if (chunk.length === 0) return
            yield chunk
          }
        })()
      }),
    )
    const size = 4 * 1024 * 1024
    const payload = new Uint8Array(size).map((_, i) => i % 251)
    const response = await fetch(`${base}/legacy/echo`, { method: 'POST', body: payload })
    const echoed = new Uint8Array(await response.arrayBuffer())
    expect(echoed.length).toBe(size)
    expect(echoed.every((b, i) => b === i % 251)).toBe(true)
  })

  it('delivers server-sent events before the response ends', async () => {
    const release: (() => void)[] = []
    const base = await listen(
      mounted((_environ, startResponse) => {
        startResponse('200 OK', [['Content-Type', 'text/event-stream']])
        return (async function* () {
          yield enc.encode('data: first\n\n')
          await new Promise<void>((resolve) => release.push(resolve))
          yield enc.encode('data: second\n\n')
        })()
      }),
    )
    const response = await fetch(`${base}/legacy/events`)
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    const reader = readerOf(response.body)
    expect(textOf((await reader.read()).value)).toBe('data: first\n\n')
    await vi.waitFor(() => {
      expect(release).toHaveLength(1)
    })
    release[0]!()
    expect(textOf((await reader.read()).value)).toBe('data: second\n\n')
    expect((await reader.read()).done).toBe(true)
  })

  it('fires wsgits.signal and closes the body once when the client goes away', async () => {
    const close = vi.fn()
    let signal: AbortSignal | undefined
    const base = await listen(
      mounted((environ, startResponse) => {
        signal = environ['wsgits.signal']
        startResponse('200 OK', [['Content-Type', 'text/event-stream']])
        const ticks = (async function* () {
          for (let i = 0; signal?.aborted !== true; i++) {
            yield enc.encode(`data: ${i}\n\n`)
            await new Promise((resolve) => setTimeout(resolve, 5))
          }
        })()
        return Object.assign(ticks, { close })
      }),
    )
    const client = new AbortController()
    const response = await fetch(`${base}/legacy/ticks`, { signal: client.signal })
    const reader = readerOf(response.body)
    await reader.read()
    expect(signal?.aborted).toBe(false)
    client.abort()
    await vi.waitFor(() => {
      expect(signal?.aborted).toBe(true)
    })
    await vi.waitFor(() => {
      expect(close).toHaveBeenCalledTimes(1)
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(close).toHaveBeenCalledTimes(1)
  })

  it.each(['GET', 'POST'])(
    'does not fire wsgits.signal when a %s completes normally',
    async (method) => {
      const signals: AbortSignal[] = []
      const base = await listen(
        mounted(async (environ, startResponse) => {
          signals.push(environ['wsgits.signal']!)
          await environ['wsgi.input'].read()
          startResponse('200 OK', [])
          return [enc.encode('done')]
        }),
      )
      const init: RequestInit =
        method === 'POST' ? { method, body: 'x'.repeat(10_000) } : { method }
      expect(await (await fetch(`${base}/legacy/`, init)).text()).toBe('done')
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(signals[0]!.aborted).toBe(false)
    },
  )

  it('sends HEAD and 304 responses without a body', async () => {
    const base = await listen(
      mounted((environ, startResponse) => {
        const notModified = environ['HTTP_IF_NONE_MATCH'] === '"v1"'
        startResponse(notModified ? '304 Not Modified' : '200 OK', [['ETag', '"v1"']])
        return [enc.encode('representation')]
      }),
    )
    const head = await fetch(`${base}/legacy/doc`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe('14')
    expect(await head.text()).toBe('')
    const cached = await fetch(`${base}/legacy/doc`, { headers: { 'if-none-match': '"v1"' } })
    expect(cached.status).toBe(304)
    expect(await cached.text()).toBe('')
  })

  it('answers 500 without details when the gateway app throws', async () => {
    const base = await listen(
      mounted(() => {
        throw new Error('internal detail')
      }),
    )
    const response = await fetch(`${base}/legacy/`)
    expect(response.status).toBe(500)
    expect(await response.text()).not.toContain('internal detail')
  })
})
