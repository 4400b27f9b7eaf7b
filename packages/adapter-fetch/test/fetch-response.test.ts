/**
 * `fromFetch` answers over a real socket (core's `makeServer`, requested with fetch or a raw
 * socket) as the fetch framework would on its own server: a `Response` of any fetch
 * implementation, Node's reason phrases, the head sent at once, HEAD lengths kept as given.
 */
import { Readable } from 'node:stream'
import { runInNewContext } from 'node:vm'

import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import { Headers as UndiciHeaders, Response as UndiciResponse } from 'undici'
import { describe, expect, it, onTestFinished } from 'vitest'

import { makeServer } from '@wsgi/core/simple-server'
import type { WSGIApplication } from '@wsgi/core/types'

import { fromFetch } from '../src/from-fetch.ts'
import type { FetchRequestHandler } from '../src/types.ts'

import { MemoryErrors, rawRequest, readerOf, textOf, serveOnNodeServer } from './helpers.ts'

const enc = new TextEncoder()

/** Serve `app` with the core server on 127.0.0.1 at a free port; shut down when the test ends. */
async function listen(app: WSGIApplication, errors = new MemoryErrors()): Promise<number> {
  const server = await makeServer('127.0.0.1', 0, app)
  server.stderr = errors
  onTestFinished(async () => {
    server.httpServer.closeAllConnections()
    await server.shutdown()
  })
  return server.serverPort
}

/** Serve a fetch handler with @hono/node-server, as the framework runs on its own. */
async function listenNative(fetch: (request: Request) => Response | Promise<Response>) {
  return serveOnNodeServer(fetch)
}

/** The head of a raw answer: status line, then the lower-cased header names and values. */
function headOf(raw: string): { line: string; headers: Map<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n')
  const [line = '', ...fields] = raw.slice(0, end).split('\r\n')
  const headers = new Map<string, string>()
  for (const field of fields) {
    const colon = field.indexOf(':')
    headers.set(field.slice(0, colon).toLowerCase(), field.slice(colon + 1).trim())
  }
  return { line, headers, body: raw.slice(end + 4) }
}

/** GET / from `handler` on the core server; typed loosely, since Response look-alikes are the point. */
async function get(handler: () => unknown, errors?: MemoryErrors): Promise<Response> {
  const port = await listen(fromFetch(handler as FetchRequestHandler), errors)
  return fetch(`http://127.0.0.1:${String(port)}/`)
}

describe('fromFetch: a Response from any fetch implementation', () => {
  it('takes a Response of the undici package (not the global class)', async () => {
    expect(UndiciResponse).not.toBe(globalThis.Response)
    const headers = new UndiciHeaders([['x-from', 'undici']])
    headers.append('set-cookie', 'a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT')
    headers.append('set-cookie', 'b=2')
    const response = await get(() => {
      return new UndiciResponse('hello from undici', { status: 201, headers })
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('x-from')).toBe('undici')
    expect(response.headers.getSetCookie()).toEqual([
      'a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT',
      'b=2',
    ])
    expect(await response.text()).toBe('hello from undici')
  })

  it('streams the body of an undici-package Response', async () => {
    const response = await get(() => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(enc.encode('one '))
          controller.enqueue(enc.encode('two'))
          controller.close()
        },
      })
      return new UndiciResponse(body)
    })
    expect(await response.text()).toBe('one two')
  })

  it('takes a Response-shaped object from another realm (node:vm), its bytes too', async () => {
    const make = runInNewContext(`() => {
      class Headers {
        constructor(pairs) { this.map = new Map(pairs) }
        get(name) { return this.map.get(name.toLowerCase()) ?? null }
        forEach(callback) { this.map.forEach((value, name) => callback(value, name)) }
      }
      class Response {
        get [Symbol.toStringTag]() { return 'Response' }
        constructor() {
          this.status = 202
          this.statusText = ''
          this.headers = new Headers([['content-type', 'text/plain'], ['x-realm', 'other']])
          this.body = (async function* () {
            yield new Uint8Array([104, 105])
            yield new Uint8Array([33]).buffer
          })()
        }
      }
      return new Response()
    }`) as () => Response
    const response = await get(make)
    expect(response.status).toBe(202)
    expect(response.statusText).toBe('Accepted')
    expect(response.headers.get('x-realm')).toBe('other')
    expect(await response.text()).toBe('hi!')
  })

  it.each([
    ['a web ReadableStream', () => new Response('polyfilled').body],
    [
      'an async iterable (a Node stream, as node-fetch gives)',
      () => Readable.from([enc.encode('polyfilled')]),
    ],
  ])('takes a polyfill-shaped Response with a Map as headers and %s as body', async (_, body) => {
    const response = await get(() => {
      const polyfill = {
        status: 200,
        statusText: 'Fine',
        headers: new Map([
          ['content-type', 'text/plain'],
          ['x-poly', 'yes'],
        ]),
        body: body(),
      }
      return polyfill
    })
    expect(response.status).toBe(200)
    expect(response.statusText).toBe('Fine')
    expect(response.headers.get('x-poly')).toBe('yes')
    expect(await response.text()).toBe('polyfilled')
  })

  it.each([
    ['an object without headers', { status: 200, body: null }],
    ['a Blob', new Blob(['x'])],
    [
      'a branded non-Response',
      { [Symbol.toStringTag]: 'Request', status: 200, headers: new Headers(), body: null },
    ],
    ['a status that is not a code', { status: '200', headers: new Headers(), body: null }],
  ])('answers 500 with ERR_WSGI_INVALID_ARG_TYPE for %s', async (_, value) => {
    const errors = new MemoryErrors()
    const response = await get(() => value, errors)
    expect(response.status).toBe(500)
    await response.arrayBuffer()
    expect(errors.text).toContain('The fetch handler must return a Response')
    expect(errors.text).toContain('ERR_WSGI_INVALID_ARG_TYPE')
  })
})

describe('fromFetch: status lines as the framework sends them on its own server', () => {
  it.each([418, 422, 413, 509, 299])(
    'gives a %i with an empty statusText the reason @hono/node-server sends',
    async (code) => {
      const hono = new Hono().get('/', (c) => c.text('x', code as 418))
      const native = await rawRequest(await listenNative(hono.fetch), 'GET', '/')
      const bridged = await rawRequest(await listen(fromFetch(hono.fetch)), 'GET', '/')
      expect(headOf(bridged).line).toBe(headOf(native).line)
      if (code === 418) expect(headOf(bridged).line).toBe("HTTP/1.1 418 I'm a Teapot")
    },
  )
})

describe('fromFetch: the head goes out when the framework sends it', () => {
  it('sends the head of an SSE stream before its first event', async () => {
    let release: (() => void) | undefined
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    onTestFinished(() => release?.())
    const hono = new Hono().get('/events', (c) =>
      streamSSE(c, async (stream) => {
        // Nothing is written until the client has the head (a deadlock without the fix).
        await released
        await stream.writeSSE({ data: 'late' })
      }),
    )
    const port = await listen(fromFetch(hono.fetch))
    const response = await fetch(`http://127.0.0.1:${String(port)}/events`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    release?.()
    expect(textOf((await readerOf(response.body).read()).value)).toBe('data: late\n\n')
  })

  it('sends the head of a plain ReadableStream that enqueues nothing yet', async () => {
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined
    const port = await listen(
      fromFetch(
        () =>
          new Response(
            new ReadableStream<Uint8Array>({
              start(c) {
                controller = c
              },
            }),
            { headers: { 'x-early': 'yes' } },
          ),
      ),
    )
    let closed = false
    const close = (): void => {
      if (!closed) controller?.close()
      closed = true
    }
    // Without the fix the head waits for a chunk that never comes: the fetch never resolves.
    onTestFinished(close)
    const response = await fetch(`http://127.0.0.1:${String(port)}/`)
    expect(response.headers.get('x-early')).toBe('yes')
    controller?.enqueue(enc.encode('body'))
    close()
    expect(await response.text()).toBe('body')
  })
})

describe('fromFetch: a HEAD answer keeps the length the framework gives', () => {
  const hono = new Hono()
    .get('/text', (c) => c.text('representation'))
    .get('/sized', (c) => c.body('abc', 200, { 'content-length': '3' }))
    .get('/stream', (c) =>
      c.body(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(enc.encode('streamed'))
            controller.close()
          },
        }),
      ),
    )

  it.each(['/text', '/sized', '/stream'])(
    'answers HEAD %s with the Content-Length @hono/node-server sends (or none)',
    async (path) => {
      const native = headOf(await rawRequest(await listenNative(hono.fetch), 'HEAD', path))
      const bridged = headOf(await rawRequest(await listen(fromFetch(hono.fetch)), 'HEAD', path))
      expect(bridged.line).toBe('HTTP/1.1 200 OK')
      expect(bridged.headers.get('content-length')).toBe(native.headers.get('content-length'))
      expect(bridged.headers.has('transfer-encoding')).toBe(false)
      expect(bridged.body).toBe('')
    },
  )

  it('keeps the GET length a handler declares on its HEAD answer', async () => {
    const port = await listen(
      fromFetch(() => new Response(null, { headers: { 'content-length': '14' } })),
    )
    const head = headOf(await rawRequest(port, 'HEAD', '/'))
    expect(head.headers.get('content-length')).toBe('14')
  })
})
