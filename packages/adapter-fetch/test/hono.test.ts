/**
 * Hono in both directions: a Hono app as a gateway app (`fromFetch(app.fetch)`), a gateway app
 * inside Hono (`toFetch` with `app.mount`, `app.request`), and the round trip.
 */
import { Hono } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { mount } from 'hono/mount'
import { streamSSE } from 'hono/streaming'
import { describe, expect, it, vi } from 'vitest'

import type { WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'
import { requestURI } from '@wsgi/core/util'

import { fromFetch } from '../src/from-fetch.ts'
import { toFetch } from '../src/to-fetch.ts'
import type { GatewayFetchHandler } from '../src/to-fetch.ts'

import {
  ChunkInput,
  MemoryErrors,
  headerValues,
  makeEnviron,
  runApp,
  ignoreStart,
  readerOf,
  textOf,
} from './helpers.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

interface Bindings {
  GREETING: string
}

// One date for the whole file: a date read from the clock in the handler differs between two
// calls a second apart, and the round-trip test compares two calls' cookies.
const EXPIRES = new Date(Date.now() + 86_400_000)

function honoApp(): Hono<{ Bindings: Bindings }> {
  const app = new Hono<{ Bindings: Bindings }>()
  app.get('/hello/:name', (c) => c.text(`${c.env.GREETING}, ${c.req.param('name')}`))
  app.post('/echo', async (c) => c.text(await c.req.text()))
  app.get('/cookies', (c) => {
    setCookie(c, 'a', '1', { path: '/' })
    setCookie(c, 'b', '2', { httpOnly: true })
    setCookie(c, 'c', '3', { expires: EXPIRES })
    return c.text('three cookies')
  })
  app.get('/who', (c) => c.text(getCookie(c, 'session') ?? 'nobody'))
  app.get('/sse', (c) =>
    streamSSE(c, async (stream) => {
      for (let id = 1; id <= 3; id++) await stream.writeSSE({ id: String(id), data: `tick ${id}` })
    }),
  )
  app.get('/forever', (c) =>
    streamSSE(c, async (stream) => {
      for (let i = 0; !stream.aborted && !stream.closed; i++) {
        await stream.writeSSE({ data: `tick ${i}` })
        await stream.sleep(1)
      }
    }),
  )
  app.get('/empty', (c) => c.body(null, 204))
  app.get('/later', (c) => {
    c.executionCtx.waitUntil(Promise.reject(new Error('late job failed')))
    return c.text('scheduled')
  })
  app.get('/boom', () => {
    throw new Error('hono handler failed')
  })
  app.onError((err, c) =>
    err.message === 'hono handler failed' ? c.text('handled', 503) : c.text('?', 500),
  )
  return app
}

const bindings = { GREETING: 'Hello' }

describe('fromFetch(honoApp.fetch)', () => {
  it('routes and passes env bindings from the environ', async () => {
    const app = fromFetch(honoApp().fetch)
    const result = await runApp(
      app,
      makeEnviron({ PATH_INFO: '/hello/ada', 'wsgits.fetch_env': bindings }),
    )
    expect(result.status).toBe('200 OK')
    expect(result.text).toBe('Hello, ada')
  })

  it('takes env bindings from options.env', async () => {
    const app = fromFetch(honoApp().fetch, { env: bindings })
    expect((await runApp(app, makeEnviron({ PATH_INFO: '/hello/bob' }))).text).toBe('Hello, bob')
  })

  it('streams a POST body from wsgi.input to c.req.text()', async () => {
    const input = new ChunkInput(['hello ', 'from ', 'wsgi.input'])
    const environ = makeEnviron({
      REQUEST_METHOD: 'POST',
      PATH_INFO: '/echo',
      CONTENT_LENGTH: '21',
      'wsgi.input': input,
    })
    expect((await runApp(fromFetch(honoApp().fetch), environ)).text).toBe('hello from wsgi.input')
  })

  it('keeps three setCookie() calls as three Set-Cookie headers', async () => {
    const result = await runApp(fromFetch(honoApp().fetch), makeEnviron({ PATH_INFO: '/cookies' }))
    const cookies = headerValues(result.headers, 'set-cookie')
    expect(cookies).toHaveLength(3)
    expect(cookies.map((c) => c.split(';')[0])).toEqual(['a=1', 'b=2', 'c=3'])
    // The comma inside Expires is where a joined header would have been split wrongly.
    expect(cookies[2]).toMatch(/; Expires=\w{3}, \d{2} \w{3} \d{4} [\d:]{8} GMT/)
  })

  it('passes request cookies through HTTP_COOKIE', async () => {
    const environ = makeEnviron({ PATH_INFO: '/who', HTTP_COOKIE: 'session=s3cr3t; theme=dark' })
    expect((await runApp(fromFetch(honoApp().fetch), environ)).text).toBe('s3cr3t')
  })

  it('streams server-sent events chunk by chunk', async () => {
    const body = await fromFetch(honoApp().fetch)(
      makeEnviron({ PATH_INFO: '/sse' }),
      (status, headers) => {
        expect(status).toBe('200 OK')
        expect(headerValues(headers, 'content-type')).toEqual(['text/event-stream'])
        return ignoreStart(status, headers)
      },
    )
    const chunks: string[] = []
    for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(textOf(chunk))
    await body.close?.()
    expect(chunks.join('')).toBe(
      'data: tick 1\nid: 1\n\ndata: tick 2\nid: 2\n\ndata: tick 3\nid: 3\n\n',
    )
    expect(chunks.length).toBeGreaterThanOrEqual(3)
  })

  it('stops an endless SSE handler when the server closes the body (client gone)', async () => {
    const body = await fromFetch(honoApp().fetch)(
      makeEnviron({ PATH_INFO: '/forever' }),
      ignoreStart,
    )
    const iterator = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
    // The first chunk is empty: it sends the head before the first event is there.
    expect((await iterator.next()).value).toEqual(new Uint8Array(0))
    expect(textOf((await iterator.next()).value)).toBe('data: tick 0\n\n')
    await body.close?.()
    expect((await iterator.next()).done).toBe(true)
  })

  it('gives no body for HEAD on an endless SSE route', async () => {
    const result = await runApp(
      fromFetch(honoApp().fetch),
      makeEnviron({ REQUEST_METHOD: 'HEAD', PATH_INFO: '/forever' }),
    )
    expect(result.status).toBe('200 OK')
    expect(result.body.length).toBe(0)
  })

  it('gives a 204 with no body', async () => {
    const result = await runApp(fromFetch(honoApp().fetch), makeEnviron({ PATH_INFO: '/empty' }))
    expect(result.status).toBe('204 No Content')
    expect(result.body.length).toBe(0)
  })

  it('gives c.executionCtx a waitUntil that logs rejections to wsgi.errors', async () => {
    const errors = new MemoryErrors()
    const result = await runApp(
      fromFetch(honoApp().fetch),
      makeEnviron({ PATH_INFO: '/later', 'wsgi.errors': errors }),
    )
    expect(result.text).toBe('scheduled')
    await vi.waitFor(() => {
      expect(errors.text).toContain('late job failed')
    })
  })

  it("lets Hono's own onError answer handler errors", async () => {
    const result = await runApp(fromFetch(honoApp().fetch), makeEnviron({ PATH_INFO: '/boom' }))
    expect(result.status).toBe('503 Service Unavailable')
  })

  it('routes a Hono sub-app mounted at SCRIPT_NAME with { stripScriptName: true }', async () => {
    const environ = makeEnviron({
      SCRIPT_NAME: '/api',
      PATH_INFO: '/hello/eve',
      'wsgits.fetch_env': bindings,
    })
    expect(
      (await runApp(fromFetch(honoApp().fetch, { stripScriptName: true }), environ)).text,
    ).toBe('Hello, eve')
    const basePathApp = new Hono()
      .basePath('/api')
      .get('/hello/:n', (c) => c.text(`full ${c.req.param('n')}`))
    expect((await runApp(fromFetch(basePathApp.fetch), environ)).text).toBe('full eve')
  })
})

/** A gateway app that reports what it saw. */
const inspectApp: WSGIApplication = async (environ, startResponse) => {
  const body = dec.decode(await environ['wsgi.input'].read())
  startResponse('200 OK', [
    ['Content-Type', 'application/json'],
    ['Set-Cookie', 'x=1'],
    ['Set-Cookie', 'y=2'],
    ['Set-Cookie', 'z=3'],
  ])
  const seen = {
    method: environ.REQUEST_METHOD,
    scriptName: environ.SCRIPT_NAME,
    pathInfo: environ.PATH_INFO,
    query: environ.QUERY_STRING,
    uri: requestURI(environ),
    body,
    env: environ['wsgits.fetch_env'] ?? null,
    hasCtx: environ['wsgits.fetch_ctx'] !== undefined,
  }
  return [enc.encode(JSON.stringify(seen))]
}

describe('toFetch(app) inside Hono', () => {
  it.each([
    ['mount(h) (the prefix stripped from the URL)', (h: GatewayFetchHandler) => mount(h)],
    [
      'mount(h, { replaceRequest: false }) (the full URL)',
      (h: GatewayFetchHandler) => mount(h, { replaceRequest: false }),
    ],
  ])('keeps the mount prefix in SCRIPT_NAME with %s', async (_, mounted) => {
    const app = new Hono()
    app.all('/legacy/*', mounted(toFetch(inspectApp, { scriptName: '/legacy' })))
    const response = await app.request('/legacy/users/7?sort=asc', {
      method: 'POST',
      body: 'payload',
    })
    expect(response.status).toBe(200)
    expect(response.headers.getSetCookie()).toEqual(['x=1', 'y=2', 'z=3'])
    expect(await response.json()).toMatchObject({
      method: 'POST',
      scriptName: '/legacy',
      pathInfo: '/users/7',
      query: 'sort=asc',
      uri: 'http://localhost/legacy/users/7?sort=asc',
      body: 'payload',
    })
  })

  it('receives Hono’s env and execution context through app.fetch', async () => {
    const app = new Hono()
    app.all('/gw/*', mount(toFetch(inspectApp, { scriptName: '/gw' })))
    const ctx = { waitUntil: vi.fn(), passThroughOnException: vi.fn(), props: {} }
    const response = await app.fetch(new Request('http://h/gw/'), { KV: 'bound' }, ctx)
    expect(await response.json()).toMatchObject({
      env: { KV: 'bound' },
      hasCtx: true,
      pathInfo: '/',
    })
  })

  it('serves a gateway app as the whole Hono route with c.req.raw', async () => {
    const gateway = toFetch(inspectApp)
    const app = new Hono().all('/raw/*', (c) => gateway(c.req.raw, c.env))
    const response = await app.request('/raw/x')
    expect(await response.json()).toMatchObject({ scriptName: '', pathInfo: '/raw/x' })
  })

  it('streams a gateway SSE body through Hono as it is produced', async () => {
    const release: (() => void)[] = []
    const sse: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/event-stream']])
      return (async function* () {
        for (let i = 1; i <= 3; i++) {
          yield enc.encode(`data: ${i}\n\n`)
          await new Promise<void>((resolve) => release.push(resolve))
        }
      })()
    }
    const app = new Hono()
    app.all('/events/*', mount(toFetch(sse, { scriptName: '/events' })))
    const response = await app.request('/events')
    const reader = readerOf(response.body)
    let pending = reader.read()
    for (let i = 1; i <= 3; i++) {
      expect(textOf((await pending).value)).toBe(`data: ${i}\n\n`)
      // Asking for more lets the app go on; it then waits, and so does the read.
      pending = reader.read()
      await vi.waitFor(() => {
        expect(release.length).toBe(i)
      })
      release[i - 1]!()
    }
    expect((await pending).done).toBe(true)
  })
})

describe('toFetch(fromFetch(h)) round trip', () => {
  const direct = honoApp()
  const roundTrip = toFetch(fromFetch(direct.fetch))
  const cases: [string, RequestInit?][] = [
    ['http://h/hello/zoe'],
    ['http://h/echo', { method: 'POST', body: 'round and round' }],
    ['http://h/cookies'],
    ['http://h/who', { headers: { cookie: 'session=abc' } }],
    ['http://h/sse'],
    ['http://h/empty'],
    ['http://h/missing'],
    ['http://h/boom'],
    ['http://h/hello/zoe', { method: 'HEAD' }],
  ]

  it.each(cases)('answers %s %o like the handler itself', async (url, init) => {
    const ctx = { waitUntil: vi.fn(), passThroughOnException: vi.fn(), props: {} }
    const expected = await direct.fetch(new Request(url, init), bindings, ctx)
    const actual = await roundTrip(new Request(url, init), bindings, ctx)
    expect(actual.status).toBe(expected.status)
    expect(actual.headers.getSetCookie()).toEqual(expected.headers.getSetCookie())
    expect(actual.headers.get('content-type')).toBe(expected.headers.get('content-type'))
    expect(await actual.text()).toBe(await expected.text())
  })

  it('keeps the URL the client asked for through a mount prefix', async () => {
    const seen: string[] = []
    const handler = (request: Request): Response => {
      seen.push(request.url)
      return new Response('ok')
    }
    const app = new Hono()
    app.all('/outer/*', mount(toFetch(fromFetch(handler), { scriptName: '/outer' })))
    await app.request('http://h/outer/in%2Fner/a:b?q=%C3%A9')
    expect(seen).toEqual(['http://h/outer/in%2Fner/a:b?q=%C3%A9'])
  })

  it('hands the environ of a gateway app through fromFetch(toFetch(app)) unchanged in meaning', async () => {
    const app = fromFetch(toFetch(inspectApp))
    const environ: WSGIEnvironment = makeEnviron({
      REQUEST_METHOD: 'PUT',
      PATH_INFO: '/x y',
      QUERY_STRING: 'a=1',
      CONTENT_LENGTH: '4',
      'wsgi.input': new ChunkInput(['data']),
    })
    const result = await runApp(app, environ)
    expect(headerValues(result.headers, 'set-cookie')).toEqual(['x=1', 'y=2', 'z=3'])
    expect(JSON.parse(result.text)).toMatchObject({
      method: 'PUT',
      pathInfo: '/x y',
      query: 'a=1',
      body: 'data',
      uri: 'http://example.com/x%20y?a=1',
    })
  })
})
