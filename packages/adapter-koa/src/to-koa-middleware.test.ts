import { Readable } from 'node:stream'

import Koa3 from 'koa'
import compress from 'koa-compress'
import { describe, expect, it } from 'vitest'

import type { Middleware, ResponseBody } from '@wsgi/core/types'
import { shiftPathInfo } from '@wsgi/core/util'

import { KOAS, bytes, rawRequest, serveKoa } from '../test/helpers.ts'
import { environOf } from './environ-of.ts'
import { toKoaMiddleware } from './to-koa-middleware.ts'

/** Adds `X-Gateway: on` to every response. */
const tagHeader: Middleware = (app) => (environ, startResponse) =>
  app(environ, (status, headers, excInfo) =>
    startResponse(status, [...headers, ['X-Gateway', 'on']], excInfo),
  )

/** Upper-cases the body (ASCII), chunk by chunk, dropping Content-Length. */
const upperCase: Middleware = (app) => async (environ, startResponse) => {
  const body = await app(environ, (status, headers, excInfo) =>
    startResponse(
      status,
      headers.filter(([name]) => name.toLowerCase() !== 'content-length'),
      excInfo,
    ),
  )
  return Object.assign(
    (async function* () {
      for await (const chunk of body)
        yield bytes(Buffer.from(chunk).toString('latin1').toUpperCase())
    })(),
    { close: () => body.close?.() },
  ) satisfies ResponseBody
}

describe.each(KOAS)('toKoaMiddleware(mw) on %s', (_name, Koa) => {
  it('wraps the rest of the chain: downstream status, headers and body, plus its own', async () => {
    const koa = new Koa().use(toKoaMiddleware(tagHeader)).use((ctx) => {
      ctx.status = 201
      ctx.set('X-Down', 'yes')
      ctx.body = 'made downstream'
    })
    const res = await fetch(await serveKoa(koa))
    expect(res.status).toBe(201)
    expect(res.headers.get('x-down')).toBe('yes')
    expect(res.headers.get('x-gateway')).toBe('on')
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await res.text()).toBe('made downstream')
  })

  it.each([
    ['a string', (ctx: { body: unknown }) => (ctx.body = 'text'), 'TEXT'],
    ['a Buffer', (ctx: { body: unknown }) => (ctx.body = Buffer.from('buf')), 'BUF'],
    ['JSON', (ctx: { body: unknown }) => (ctx.body = { k: 'v' }), '{"K":"V"}'],
    [
      'a stream',
      (ctx: { body: unknown }) =>
        (ctx.body = Readable.from([Buffer.from('s1'), Buffer.from('s2')])),
      'S1S2',
    ],
    ['no body (404)', () => undefined, 'NOT FOUND'],
  ])('turns %s downstream into the inner response', async (_kind, handler, expected) => {
    const koa = new Koa().use(toKoaMiddleware(upperCase)).use((ctx) => {
      handler(ctx)
    })
    const res = await fetch(await serveKoa(koa))
    expect(await res.text()).toBe(expected)
  })

  it('keeps each Set-Cookie set downstream', async () => {
    const koa = new Koa().use(toKoaMiddleware(tagHeader)).use((ctx) => {
      ctx.cookies.set('a', '1')
      ctx.cookies.set('b', '2', { httpOnly: false })
      ctx.body = 'ok'
    })
    const res = await fetch(await serveKoa(koa))
    expect(res.headers.getSetCookie()).toEqual(['a=1; path=/; httponly', 'b=2; path=/'])
  })

  it('ends the chain when the gateway middleware answers itself', async () => {
    let ran = false
    const guard: Middleware = (app) => (environ, startResponse) => {
      if (environ['HTTP_AUTHORIZATION'] === undefined) {
        startResponse('401 Unauthorized', [['WWW-Authenticate', 'Basic']])
        return [bytes('who are you?')]
      }
      return app(environ, startResponse)
    }
    const koa = new Koa().use(toKoaMiddleware(guard)).use((ctx) => {
      ran = true
      ctx.body = 'secret'
    })
    const base = await serveKoa(koa)
    const denied = await fetch(base)
    expect(denied.status).toBe(401)
    expect(denied.headers.get('www-authenticate')).toBe('Basic')
    expect(await denied.text()).toBe('who are you?')
    expect(ran).toBe(false)
    expect(await (await fetch(base, { headers: { Authorization: 'Basic eDp5' } })).text()).toBe(
      'secret',
    )
  })

  it('shows environ changes downstream, and undoes them upstream', async () => {
    const rewrite: Middleware = (app) => (environ, startResponse) => {
      shiftPathInfo(environ)
      environ.REQUEST_METHOD = 'PUT'
      environ.QUERY_STRING = 'q=changed'
      environ.REMOTE_ADDR = '192.0.2.9'
      environ['HTTP_X_USER'] = 'ann'
      delete environ['HTTP_X_DROP']
      environ['myapp.user'] = { name: 'ann' }
      return app(environ, startResponse)
    }
    const seenUpstream: string[] = []
    const koa = new Koa()
      .use(async (ctx, next) => {
        await next()
        seenUpstream.push(ctx.method, ctx.path, ctx.querystring, ctx.get('x-user'))
      })
      .use(toKoaMiddleware(rewrite))
      .use((ctx) => {
        ctx.body = {
          method: ctx.method,
          path: ctx.path,
          query: ctx.query,
          ip: ctx.ip,
          user: ctx.get('x-user'),
          drop: ctx.get('x-drop'),
          custom: environOf(ctx)?.['myapp.user'] ?? null,
        }
      })
    const res = await fetch(`${await serveKoa(koa)}/first/rest/of%20it?q=1`, {
      headers: { 'X-Drop': 'me' },
    })
    expect(await res.json()).toEqual({
      method: 'PUT',
      path: '/rest/of%20it',
      query: { q: 'changed' },
      ip: '192.0.2.9',
      user: 'ann',
      drop: '',
      custom: { name: 'ann' },
    })
    expect(seenUpstream).toEqual(['GET', '/first/rest/of%20it', 'q=1', ''])
  })

  it("lets downstream errors reach Koa's error handling through the middleware", async () => {
    const koa = new Koa().use(toKoaMiddleware(tagHeader)).use((ctx) => {
      ctx.throw(403, 'forbidden here')
    })
    const res = await fetch(await serveKoa(koa))
    expect(res.status).toBe(403)
    expect(await res.text()).toBe('forbidden here')
  })

  it('lets the gateway middleware turn a downstream error into its own response', async () => {
    const rescue: Middleware = (app) => async (environ, startResponse) => {
      try {
        return await app(environ, startResponse)
      } catch (error) {
        startResponse('502 Bad Gateway', [['Content-Type', 'text/plain']])
        return [bytes(`rescued: ${(error as Error).message}`)]
      }
    }
    const koa = new Koa().use(toKoaMiddleware(rescue)).use(() => {
      throw new Error('downstream broke')
    })
    const res = await fetch(await serveKoa(koa))
    expect(res.status).toBe(502)
    expect(await res.text()).toBe('rescued: downstream broke')
  })

  it('nests, and lets koa-compress upstream compress the result', async () => {
    const koa = new Koa()
      .use(compress({ threshold: 0 }))
      .use(toKoaMiddleware(tagHeader))
      .use(toKoaMiddleware(upperCase))
      .use((ctx) => {
        ctx.type = 'text/plain'
        ctx.body = 'abc'.repeat(1000)
      })
    const res = await fetch(await serveKoa(koa), { headers: { 'Accept-Encoding': 'gzip' } })
    expect(res.headers.get('content-encoding')).toBe('gzip')
    expect(res.headers.get('x-gateway')).toBe('on')
    expect(await res.text()).toBe('ABC'.repeat(1000))
  })

  it('sends no body for HEAD', async () => {
    const koa = new Koa().use(toKoaMiddleware(tagHeader)).use((ctx) => {
      ctx.body = 'body'
    })
    const raw = await rawRequest(
      await serveKoa(koa),
      'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    )
    const text = raw.toString('latin1')
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(text).toContain('X-Gateway: on\r\n')
    expect(text.endsWith('\r\n\r\n')).toBe(true)
  })

  it('rejects what is not gateway middleware', () => {
    expect(() => toKoaMiddleware('x' as unknown as Middleware)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
    expect(() => toKoaMiddleware((() => 'x') as unknown as Middleware)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })

  it('refuses a second call of the inner app with ERR_WSGI_CHAIN_ALREADY_RUN', async () => {
    let code: unknown
    const twice: Middleware = (app) => async (environ, startResponse) => {
      const first = await app(environ, () => () => undefined)
      await first.close?.()
      try {
        return await app(environ, startResponse)
      } catch (error) {
        code = (error as { code?: unknown }).code
        startResponse('200 OK', [])
        return [bytes('once')]
      }
    }
    let runs = 0
    const koa = new Koa().use(toKoaMiddleware(twice)).use((ctx) => {
      runs++
      ctx.body = 'downstream'
    })
    const res = await fetch(await serveKoa(koa))
    expect(await res.text()).toBe('once')
    expect(code).toBe('ERR_WSGI_CHAIN_ALREADY_RUN')
    expect(runs).toBe(1)
  })

  it('fails an inner app that lost the Koa context', async () => {
    const lossy: Middleware = (app) => (environ, startResponse) =>
      app({ ...environ, 'wsgits.koa_context': undefined }, startResponse)
    const errors: unknown[] = []
    const koa = new Koa().use(toKoaMiddleware(lossy)).use((ctx) => {
      ctx.body = 'never'
    })
    koa.on('error', (error: unknown) => errors.push(error))
    const res = await fetch(await serveKoa(koa))
    expect(res.status).toBe(500)
    expect(errors[0]).toMatchObject({ code: 'ERR_WSGI_INVALID_ARG_TYPE' })
  })

  it('carries header changes downstream without reading the lazy client-abort signal', async () => {
    // Reading `wsgits.signal` makes an AbortController for the request: the rest of the chain
    // must look only at the keys it carries.
    let reads = 0
    const watchSignal: Middleware = (app) => (environ, startResponse) => {
      const lazy = Object.getOwnPropertyDescriptor(environ, 'wsgits.signal')
      Object.defineProperty(environ, 'wsgits.signal', {
        get(this: unknown): unknown {
          reads++
          return lazy?.get?.call(this)
        },
        enumerable: true,
        configurable: true,
      })
      environ['HTTP_X_ADDED'] = 'by gateway'
      return app(environ, startResponse)
    }
    const koa = new Koa().use(toKoaMiddleware(watchSignal)).use((ctx) => {
      ctx.body = ctx.get('x-added')
    })
    const res = await fetch(await serveKoa(koa))
    expect(await res.text()).toBe('by gateway')
    expect(reads).toBe(0)
  })
})

describe('toKoaMiddleware(mw) on Koa 3 only', () => {
  it.each([
    ['a Blob', () => new Blob(['blob ', 'body'], { type: 'text/plain' }), 200, 'BLOB BODY'],
    ['a ReadableStream', () => new Response('web stream').body, 200, 'WEB STREAM'],
    ['a Response', () => new Response('response body', { status: 202 }), 202, 'RESPONSE BODY'],
  ])('turns %s downstream into the inner response', async (_kind, make, status, expected) => {
    const koa = new Koa3().use(toKoaMiddleware(upperCase)).use((ctx) => {
      ctx.body = make()
    })
    const res = await fetch(await serveKoa(koa))
    expect(res.status).toBe(status)
    expect(await res.text()).toBe(expected)
  })
})
