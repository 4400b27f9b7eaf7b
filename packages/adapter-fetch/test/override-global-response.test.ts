/**
 * `fromFetch(handler, { overrideGlobalResponse: true })` sends the same bytes as without it, for
 * every kind of Hono answer, over a real socket; and the light path is the one taken where it
 * can be. The answers without the option are taken first, while the global `Response` is still
 * the runtime's.
 */
import { Hono } from 'hono'
import { afterAll, describe, expect, it } from 'vitest'

import { makeServer } from '@wsgi/core/simple-server'

import { isUnbuilt } from '../src/_internal/light-response.ts'
import { fromFetch } from '../src/from-fetch.ts'

import { MemoryErrors, rawRequest } from './helpers.ts'

const NativeResponse = globalThis.Response

afterAll(() => {
  Object.defineProperty(globalThis, 'Response', {
    value: NativeResponse,
    writable: true,
    configurable: true,
    enumerable: false,
  })
})

/** The Hono app: one route per kind of answer. */
function honoApp(): Hono {
  const app = new Hono()
  app.use('/after', async (c, next) => {
    await next()
    c.res.headers.set('x-after', 'set after the handler')
  })
  app.get('/text', (c) => c.text('Hello, World!'))
  app.get('/unicode', (c) => c.text('h\u00e9llo \u2713'))
  app.get('/json', (c) => c.json({ a: 1 }, 201))
  app.get('/html', (c) => c.html('<p>x</p>'))
  app.get('/cookies', (c) => {
    c.header('set-cookie', 'a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT', { append: true })
    c.header('set-cookie', 'b=2', { append: true })
    c.header('x-one', '1')
    return c.text('cookies')
  })
  app.get('/after', (c) => c.text('after'))
  app.get('/empty', (c) => c.body(null, 204))
  app.get('/redirect', (c) => c.redirect('/text'))
  app.get('/bytes', (c) => c.body(new Uint8Array([104, 105])))
  app.get('/buffer', () => new Response(Buffer.from('buffer'), { headers: { 'x-b': '1' } }))
  app.post('/echo', async (c) => c.body(await c.req.arrayBuffer(), 200, { 'content-type': 'a/b' }))
  app.get('/stream', (c) => c.body(new Blob(['streamed']).stream()))
  app.get('/hop', (c) => c.text('hop', 200, { connection: 'x-drop', 'x-drop': '1', 'x-keep': '1' }))
  app.get('/plain', () => new Response('plain', { status: 418, headers: { 'X-Plain': 'yes' } }))
  app.get('/no-body', () => new Response(null, { status: 202 }))
  app.get('/status-text', () => new Response('s', { status: 299, statusText: 'Custom' }))
  app.get('/empty-text', () => new Response(''))
  return app
}

/** One request on a raw socket: the whole answer, its `Date` taken out. */
async function raw(port: number, method: string, path: string): Promise<string> {
  return (await rawRequest(port, method, path)).replace(/\r\nDate: [^\r]*/i, '')
}

const REQUESTS: [method: string, path: string][] = [
  ['GET', '/text'],
  ['HEAD', '/text'],
  ['GET', '/unicode'],
  ['GET', '/json'],
  ['GET', '/html'],
  ['GET', '/cookies'],
  ['GET', '/after'],
  ['GET', '/empty'],
  ['GET', '/redirect'],
  ['GET', '/bytes'],
  ['GET', '/buffer'],
  ['POST', '/echo'],
  ['GET', '/stream'],
  ['GET', '/hop'],
  ['GET', '/plain'],
  ['HEAD', '/plain'],
  ['GET', '/no-body'],
  ['GET', '/status-text'],
  ['GET', '/empty-text'],
  ['GET', '/missing'],
]

/**
 * Every request's answer from the Hono app through `fromFetch` on the core server; `made` keeps
 * the `Response` of each path and method.
 */
async function answers(override: boolean, made: Map<string, unknown>): Promise<string[]> {
  const app = honoApp()
  const server = await makeServer(
    '127.0.0.1',
    0,
    fromFetch(
      (request: Request) => {
        const response = app.fetch(request)
        made.set(new URL(request.url).pathname + request.method, response)
        return response
      },
      { overrideGlobalResponse: override },
    ),
  )
  server.stderr = new MemoryErrors()
  try {
    const texts: string[] = []
    for (const [method, path] of REQUESTS) texts.push(await raw(server.serverPort, method, path))
    return texts
  } finally {
    server.httpServer.closeAllConnections()
    await server.shutdown()
  }
}

describe('fromFetch with overrideGlobalResponse', () => {
  let before: string[] = []

  it('answers without it while the runtime Response is the global one', async () => {
    before = await answers(false, new Map())
    expect(globalThis.Response).toBe(NativeResponse)
    expect(before[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(before[0]).toContain('\r\n\r\nHello, World!')
  })

  it('sends the same bytes with it, and takes the light path for string answers', async () => {
    const made = new Map<string, unknown>()
    const after = await answers(true, made)
    expect(globalThis.Response).not.toBe(NativeResponse)
    for (const [index, [method, path]] of REQUESTS.entries()) {
      expect({ method, path, answer: after[index] }).toEqual({
        method,
        path,
        answer: before[index],
      })
    }
    // Never built: the bytes came from the light object itself.
    for (const key of [
      '/textGET',
      '/jsonGET',
      '/htmlGET',
      '/cookiesGET',
      '/plainGET',
      '/bufferGET',
    ]) {
      expect({ key, unbuilt: isUnbuilt(made.get(key)) }).toEqual({ key, unbuilt: true })
    }
    // Changed by a middleware after the handler (Hono makes a new Response for that).
    expect(after[REQUESTS.findIndex(([, path]) => path === '/after')]).toContain(
      'x-after: set after the handler',
    )
    expect(isUnbuilt(made.get('/bytesGET'))).toBe(true)
    // The runtime's own: a stream.
    expect(isUnbuilt(made.get('/streamGET'))).toBeUndefined()
  })
})
