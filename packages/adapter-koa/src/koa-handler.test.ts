import { Readable } from 'node:stream'

import { describe, expect, it } from 'vitest'

import type { HeaderList, WSGIApplication } from '@wsgi/core/types'

import { KOAS, MemoryErrors, bytes, rawRequest, serveKoa } from '../test/helpers.ts'
import { toKoa } from './to-koa.ts'

const GET = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'

/** An app answering `chunks` as its body, counting the calls of its body's `close()`. */
function countingApp(
  headers: HeaderList,
  chunks: Uint8Array[],
): { app: WSGIApplication; closes: () => number } {
  let closes = 0
  const app: WSGIApplication = (_environ, startResponse) => {
    startResponse('200 OK', headers)
    return Object.assign(chunks, {
      close: () => {
        closes++
      },
    })
  }
  return { app, closes: () => closes }
}

describe.each(KOAS)('KoaHandler on %s: the body Koa gets', (_name, Koa) => {
  it('is a Buffer for a one-chunk body, with its Content-Length, closed once', async () => {
    const { app, closes } = countingApp([['Content-Type', 'text/plain']], [bytes('hello')])
    let seen: unknown
    const koa = new Koa()
      .use(async (ctx, next) => {
        await next()
        seen = ctx.body
      })
      .use(toKoa(app))
    const text = (await rawRequest(await serveKoa(koa), GET)).toString('latin1')
    expect(Buffer.isBuffer(seen)).toBe(true)
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(text.toLowerCase()).toContain('content-length: 5\r\n')
    expect(text.toLowerCase()).not.toContain('transfer-encoding')
    expect(text.endsWith('\r\n\r\nhello')).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(closes()).toBe(1)
  })

  it('sends a one-chunk Uint8Array that is no Buffer with the same bytes', async () => {
    const chunk = new Uint8Array([0x61, 0x62, 0x63, 0x64]).subarray(1, 3)
    const { app, closes } = countingApp([['Content-Type', 'application/octet-stream']], [chunk])
    const koa = new Koa().use(toKoa(app))
    const res = await fetch(await serveKoa(koa))
    expect(res.headers.get('content-length')).toBe('2')
    expect(await res.text()).toBe('bc')
    expect(closes()).toBe(1)
  })

  it('adds no Content-Type to a one-chunk body without one, as for a stream', async () => {
    const { app } = countingApp([], [bytes('x')])
    const koa = new Koa().use(toKoa(app))
    const text = (await rawRequest(await serveKoa(koa), GET)).toString('latin1').toLowerCase()
    expect(text).not.toContain('content-type')
    expect(text).toContain('content-length: 1\r\n')
  })

  it('is a stream for a body of several chunks, closed once', async () => {
    const { app, closes } = countingApp([], [bytes('a'), bytes('b')])
    let seen: unknown
    const koa = new Koa()
      .use(async (ctx, next) => {
        await next()
        seen = ctx.body
      })
      .use(toKoa(app))
    const res = await fetch(await serveKoa(koa))
    expect(await res.text()).toBe('ab')
    expect(seen).toBeInstanceOf(Readable)
    expect(closes()).toBe(1)
  })

  it('refuses a one-chunk body longer than its Content-Length before the head, closed once', async () => {
    const { app, closes } = countingApp([['Content-Length', '3']], [bytes('hello')])
    const koa = new Koa().use(toKoa(app, { errors: new MemoryErrors() }))
    koa.silent = true
    const res = await fetch(await serveKoa(koa))
    expect(res.status).toBe(500)
    await res.arrayBuffer()
    expect(closes()).toBe(1)
  })

  it('sends no body for HEAD, keeps the Content-Length and closes once', async () => {
    const { app, closes } = countingApp([['Content-Type', 'text/plain']], [bytes('hello')])
    const koa = new Koa().use(toKoa(app))
    const text = (
      await rawRequest(
        await serveKoa(koa),
        'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      )
    ).toString('latin1')
    expect(text.toLowerCase()).toContain('content-length: 5\r\n')
    expect(text.endsWith('\r\n\r\n')).toBe(true)
    expect(closes()).toBe(1)
  })
})
