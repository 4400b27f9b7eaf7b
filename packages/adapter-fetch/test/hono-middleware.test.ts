/**
 * The Hono forms: `toHono` (mount prefix from the route), `toHonoMiddleware` (gateway middleware
 * in a Hono chain) and `fromHonoMiddleware` (hono/cors, hono/etag, hono/compress,
 * hono/secure-headers around a gateway app).
 */
import { Hono } from 'hono'
import { compress } from 'hono/compress'
import { cors } from 'hono/cors'
import { etag } from 'hono/etag'
import { secureHeaders } from 'hono/secure-headers'
import { describe, expect, it } from 'vitest'

import type { Middleware, WSGIApplication } from '@wsgi/core/types'
import { requestURI } from '@wsgi/core/util'

import { fromHonoMiddleware, mountPrefix, toHono, toHonoMiddleware } from '../src/hono.ts'

import { headerValues, makeEnviron, runApp } from './helpers.ts'

const enc = new TextEncoder()

const whereAmI: WSGIApplication = (environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']])
  return [
    enc.encode(`${environ.SCRIPT_NAME ?? ''}|${environ.PATH_INFO ?? ''}|${requestURI(environ)}`),
  ]
}

describe('mountPrefix(pattern, rawPath)', () => {
  it.each([
    ['/legacy/*', '/legacy/a/b', '/legacy'],
    ['/legacy/*', '/legacy', '/legacy'],
    ['/t/:tenant/*', '/t/acme/x', '/t/acme'],
    ['/caf%C3%A9/*', '/caf%C3%A9/x', '/caf\xc3\xa9'],
    ['*', '/anything', ''],
    ['/exact', '/exact', ''],
  ])('gives the prefix of %s for %s', (pattern, path, prefix) => {
    expect(mountPrefix(pattern, path)).toBe(prefix)
  })
})

describe('toHono(app)', () => {
  it('takes SCRIPT_NAME from the wildcard route, so requestURI is the client URL', async () => {
    const app = new Hono()
    app.all('/legacy/*', toHono(whereAmI))
    app.all('/t/:tenant/*', toHono(whereAmI))
    expect(await (await app.request('http://h/legacy/a%20b?q=1')).text()).toBe(
      '/legacy|/a b|http://h/legacy/a%20b?q=1',
    )
    expect(await (await app.request('http://h/t/acme/users')).text()).toBe(
      '/t/acme|/users|http://h/t/acme/users',
    )
  })

  it('keeps a path that repeats the prefix intact', async () => {
    const app = new Hono()
    app.all('/legacy/*', toHono(whereAmI))
    expect(await (await app.request('http://h/legacy/legacy/x')).text()).toBe(
      '/legacy|/legacy/x|http://h/legacy/legacy/x',
    )
  })
})

describe('toHonoMiddleware(mw)', () => {
  const stamp: Middleware = (app) => (environ, startResponse) =>
    app(environ, (status, headers, excInfo) =>
      startResponse(
        status,
        [...headers.filter(([n]) => n.toLowerCase() !== 'x-powered-by'), ['X-Stamp', 'gw']],
        excInfo,
      ),
    )
  const guard: Middleware = (app) => (environ, startResponse) => {
    if (environ['HTTP_AUTHORIZATION'] === undefined) {
      startResponse('401 Unauthorized', [])
      return []
    }
    return app(environ, startResponse)
  }

  it('sees and replaces the Hono response, removed headers staying removed', async () => {
    const app = new Hono()
    app.use('*', toHonoMiddleware(stamp))
    app.get('/', (c) => {
      c.header('X-Powered-By', 'hono')
      c.header('Set-Cookie', 'a=1', { append: true })
      c.header('Set-Cookie', 'b=2', { append: true })
      return c.text('hello')
    })
    const response = await app.request('/')
    expect(response.headers.get('x-stamp')).toBe('gw')
    expect(response.headers.has('x-powered-by')).toBe(false)
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(await response.text()).toBe('hello')
  })

  it('short-circuits the Hono chain', async () => {
    let reached = false
    const app = new Hono()
    app.use('*', toHonoMiddleware(guard))
    app.get('/', (c) => {
      reached = true
      return c.text('secret')
    })
    expect((await app.request('/')).status).toBe(401)
    expect(reached).toBe(false)
    expect(await (await app.request('/', { headers: { authorization: 'x' } })).text()).toBe(
      'secret',
    )
  })

  it('leaves the request body to the Hono handler when the middleware does not read it', async () => {
    const app = new Hono()
    app.use('*', toHonoMiddleware(stamp))
    app.post('/echo', async (c) => c.text(await c.req.text()))
    expect(await (await app.request('/echo', { method: 'POST', body: 'kept' })).text()).toBe('kept')
  })
})

describe('fromHonoMiddleware(...handlers)', () => {
  const json: WSGIApplication = (_environ, startResponse) => {
    startResponse('200 OK', [
      ['Content-Type', 'application/json'],
      ['Set-Cookie', 's=1'],
      ['Set-Cookie', 't=2'],
    ])
    return [
      enc.encode(JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => `item ${i}`) })),
    ]
  }

  it('answers a CORS preflight with hono/cors without calling the app', async () => {
    let called = false
    const app: WSGIApplication = (environ, startResponse) => {
      called = true
      return json(environ, startResponse)
    }
    const wrapped = fromHonoMiddleware(cors({ origin: 'https://example.org' }))(app)
    const result = await runApp(
      wrapped,
      makeEnviron({
        REQUEST_METHOD: 'OPTIONS',
        HTTP_ORIGIN: 'https://example.org',
        HTTP_ACCESS_CONTROL_REQUEST_METHOD: 'PUT',
      }),
    )
    expect(result.status).toBe('204 No Content')
    expect(headerValues(result.headers, 'access-control-allow-origin')).toEqual([
      'https://example.org',
    ])
    expect(called).toBe(false)
  })

  it('adds CORS and security headers to the app response, cookies kept apart', async () => {
    const wrapped = fromHonoMiddleware(cors({ origin: '*' }), secureHeaders())(json)
    const result = await runApp(wrapped, makeEnviron({ HTTP_ORIGIN: 'https://a.example' }))
    expect(headerValues(result.headers, 'access-control-allow-origin')).toEqual(['*'])
    expect(headerValues(result.headers, 'x-content-type-options')).toEqual(['nosniff'])
    expect(headerValues(result.headers, 'set-cookie')).toEqual(['s=1', 't=2'])
    expect((JSON.parse(result.text) as { items: string[] }).items).toHaveLength(200)
  })

  it('answers 304 from hono/etag when If-None-Match matches', async () => {
    const wrapped = fromHonoMiddleware(etag())(json)
    const first = await runApp(wrapped)
    const tag = headerValues(first.headers, 'etag')[0]!
    expect(tag).toMatch(/^(W\/)?"/)
    const second = await runApp(wrapped, makeEnviron({ HTTP_IF_NONE_MATCH: tag }))
    expect(second.status).toBe('304 Not Modified')
    expect(second.body.length).toBe(0)
  })

  it('gzips the app response with hono/compress', async () => {
    const wrapped = fromHonoMiddleware(compress())(json)
    const result = await runApp(wrapped, makeEnviron({ HTTP_ACCEPT_ENCODING: 'gzip' }))
    expect(headerValues(result.headers, 'content-encoding')).toEqual(['gzip'])
    const plain = await new Response(
      new Blob([result.body]).stream().pipeThrough(new DecompressionStream('gzip')),
    ).text()
    expect((JSON.parse(plain) as { items: string[] }).items[199]).toBe('item 199')
  })

  it('keeps SCRIPT_NAME and PATH_INFO for the wrapped app', async () => {
    const wrapped = fromHonoMiddleware(secureHeaders())(whereAmI)
    const result = await runApp(wrapped, makeEnviron({ SCRIPT_NAME: '/app', PATH_INFO: '/x' }))
    expect(result.text).toBe('/app|/x|http://example.com/app/x')
  })
})
