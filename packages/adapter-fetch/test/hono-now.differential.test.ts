/**
 * `toHono` gives Hono a `Response` it has at once as it is, not in a promise, so that
 * `@hono/node-server` writes it on its immediate path. The differential check: the same gateway
 * app behind the plain handler and behind one wrapped in an async function (which always takes
 * the promise path, as before), each request sent over a raw socket and followed by a second one
 * on the same connection, and the raw bytes of both compared (`Date` values masked).
 */

import { Hono } from 'hono'
import type { Handler } from 'hono'
import { describe, expect, it } from 'vitest'

import { rawBytes } from '@wsgi/conformance'
import type { WSGIApplication } from '@wsgi/core/types'

import { toHono } from '../src/hono.ts'

import { MemoryErrors, serveOnNodeServer } from './helpers.ts'

const enc = new TextEncoder()

/** Answers each path its own way; every answer is ready before `respond()` returns but `/later`. */
const app: WSGIApplication = (environ, startResponse) => {
  const path = environ.PATH_INFO ?? ''
  switch (path) {
    case '/hello':
      startResponse('200 OK', [
        ['Content-Type', 'text/plain; charset=utf-8'],
        ['Content-Length', '5'],
      ])
      return [enc.encode('hello')]
    case '/no-length':
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return [enc.encode('sized by the bridge')]
    case '/untyped':
      startResponse('200 OK', [['X-Kind', 'none']])
      return [enc.encode('no type')]
    case '/cookies':
      startResponse('200 OK', [
        ['Content-Type', 'text/plain'],
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
      ])
      return [enc.encode('two')]
    case '/empty':
      startResponse('204 No Content', [])
      return []
    case '/not-modified':
      startResponse('304 Not Modified', [['ETag', '"x"']])
      return [enc.encode('never sent')]
    case '/teapot':
      startResponse("418 I'm a teapot", [['Content-Type', 'text/plain']])
      return [enc.encode('short and stout')]
    case '/error':
      throw new Error('boom')
    case '/later':
      return Promise.resolve().then(() => {
        startResponse('200 OK', [['Content-Type', 'text/plain']])
        return [enc.encode('later')]
      })
    default:
      startResponse('404 Not Found', [['Content-Type', 'text/plain']])
      return [enc.encode(`no ${path}`)]
  }
}

/**
 * `raw`, then (but after an HTTP/1.0 request, which closes the connection) a GET that closes it;
 * everything the server sent until it closed. Bytes sent after an HTTP/1.0 request are a parse
 * error to Node, which answers them with a 400 if that comes before the response: a race that
 * any answer given later (a promise, an async app) can lose, and so not compared here.
 */
async function send(port: number, raw: string): Promise<string> {
  const closing = raw.includes(' HTTP/1.0\r\n')
    ? ''
    : 'GET /m/hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
  const bytes = await rawBytes(`http://127.0.0.1:${port}`, raw + closing)
  return bytes.toString('latin1').replace(/\r\nDate: [^\r]*/gi, '\r\nDate: <masked>')
}

async function serve(wrap: (handler: Handler) => Handler): Promise<number> {
  const hono = new Hono()
  hono.all('/m/*', wrap(toHono(app, { errors: new MemoryErrors() })))
  return serveOnNodeServer(hono.fetch)
}

const get = (path: string, extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`

const CASES: readonly (readonly [name: string, raw: string])[] = [
  ['a sized body', get('/m/hello')],
  ['a body the bridge sizes', get('/m/no-length')],
  ['a body without Content-Type', get('/m/untyped')],
  ['two Set-Cookie', get('/m/cookies')],
  ['204', get('/m/empty')],
  ['304', get('/m/not-modified')],
  ['a status of its own', get('/m/teapot')],
  ['HEAD', 'HEAD /m/hello HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['an error', get('/m/error')],
  ['an app that answers later', get('/m/later')],
  [
    'a POST whose body is never read',
    'POST /m/hello HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nabcde',
  ],
  [
    'a chunked POST whose body is never read',
    'POST /m/hello HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n',
  ],
  ['HTTP/1.0', 'GET /m/hello HTTP/1.0\r\nHost: localhost\r\n\r\n'],
]

describe('toHono on @hono/node-server: a Response given at once, or in a promise, sends the same bytes', () => {
  it('gives Hono the Response itself when the app answered synchronously', async () => {
    const hono = new Hono()
    hono.all('/m/*', toHono(app))
    const now = hono.fetch(new Request('http://localhost/m/hello'))
    expect(now).toBeInstanceOf(Response)
    const later = hono.fetch(new Request('http://localhost/m/later'))
    expect(later).toBeInstanceOf(Promise)
    expect(await (await later).text()).toBe('later')
  })

  it.each(CASES)('%s', async (_name, raw) => {
    const now = await serve((handler) => handler)
    const promised = await serve((handler) => async (c, next) => {
      const response: unknown = await handler(c, next)
      return response as Response
    })
    const fast = await send(now, raw)
    const slow = await send(promised, raw)
    expect(fast).toContain('HTTP/1.')
    expect(fast).toBe(slow)
  })
})
