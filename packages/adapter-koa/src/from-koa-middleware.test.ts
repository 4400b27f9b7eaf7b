import { createHmac } from 'node:crypto'
import { gunzipSync } from 'node:zlib'

import cors from '@koa/cors'
import type KoaApp from 'koa'
import bodyParser from 'koa-bodyparser'
import compress from 'koa-compress'
import helmet from 'koa-helmet'
import session from 'koa-session'
import { describe, expect, it } from 'vitest'

import { dispatch } from '@wsgi/core/dispatch'
import type { Middleware, WSGIApplication } from '@wsgi/core/types'

import {
  KOAS,
  MemoryErrors,
  bytes,
  callApp,
  echoApp,
  fixedApp,
  dechunk,
  rawRequest,
  serveGateway,
} from '../test/helpers.ts'
import { fromKoaMiddleware } from './from-koa-middleware.ts'

interface KoaLike {
  session?: Record<string, unknown> | null
  request: { body?: unknown }
}

function koaContext(environ: Record<string, unknown>): KoaLike {
  return environ['wsgits.koa_context'] as KoaLike
}

describe.each(KOAS)('fromKoaMiddleware(mw) on %s', (_name, Koa) => {
  const host = (): KoaApp => new Koa()

  it('answers a CORS preflight itself and adds CORS headers to the app', async () => {
    let calls = 0
    const app: WSGIApplication = (environ, startResponse) => {
      calls++
      return fixedApp('200 OK', [['Content-Type', 'text/plain']], ['data'])(environ, startResponse)
    }
    const withCors = fromKoaMiddleware(cors({ origin: 'https://a.example', credentials: true }), {
      app: host(),
    })
    const base = await serveGateway(withCors(app))
    const preflight = await fetch(base, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://a.example',
        'Access-Control-Request-Method': 'PUT',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://a.example')
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT')
    expect(calls).toBe(0)
    const res = await fetch(base, { headers: { Origin: 'https://a.example' } })
    expect(res.headers.get('access-control-allow-origin')).toBe('https://a.example')
    expect(res.headers.get('access-control-allow-credentials')).toBe('true')
    expect(res.headers.get('vary')).toBe('Origin')
    expect(await res.text()).toBe('data')
    expect(calls).toBe(1)
  })

  it('compresses the app body with koa-compress', async () => {
    const text = 'gateway body, '.repeat(2000)
    const app = fixedApp(
      '200 OK',
      [['Content-Type', 'text/plain']],
      [text.slice(0, 999), text.slice(999)],
    )
    const base = await serveGateway(
      fromKoaMiddleware(compress({ threshold: 0 }), { app: host() })(app),
    )
    const res = await fetch(base, { headers: { 'Accept-Encoding': 'gzip' } })
    expect(res.headers.get('content-encoding')).toBe('gzip')
    expect(res.headers.get('vary')).toBe('Accept-Encoding')
    expect(await res.text()).toBe(text)
    const raw = await rawRequest(
      base,
      'GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n',
    )
    const split = raw.indexOf('\r\n\r\n')
    const head = raw.subarray(0, split).toString('latin1').toLowerCase()
    expect(head).toContain('content-encoding: gzip')
    const body = head.includes('transfer-encoding: chunked')
      ? dechunk(raw.subarray(split + 4))
      : raw.subarray(split + 4)
    expect(gunzipSync(body).toString('utf8')).toBe(text)
  })

  it('keeps a koa-session session across requests, with signed cookies', async () => {
    const koa = new Koa()
    koa.keys = ['session secret']
    const app: WSGIApplication = (environ, startResponse) => {
      const ctx = koaContext(environ)
      const session = ctx.session ?? {}
      const views = ((session['views'] as number | undefined) ?? 0) + 1
      session['views'] = views
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return [bytes(`views=${views}`)]
    }
    const withSession = fromKoaMiddleware(
      session({ key: 'sid', signed: true, maxAge: 'session' }, koa),
      { app: koa },
    )
    const base = await serveGateway(withSession(app))
    const first = await fetch(base)
    expect(await first.text()).toBe('views=1')
    // Byte for byte: koa-session's value is base64 JSON, its signature keygrip's HMAC-SHA1.
    const value = Buffer.from(JSON.stringify({ views: 1, _session: true })).toString('base64')
    const sig = createHmac('sha1', 'session secret')
      .update(`sid=${value}`)
      .digest('base64')
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
    const cookies = first.headers.getSetCookie()
    expect(cookies).toEqual([`sid=${value}; path=/; httponly`, `sid.sig=${sig}; path=/; httponly`])
    const jar = cookies.map((c) => c.split(';')[0]).join('; ')
    const second = await fetch(base, { headers: { Cookie: jar } })
    expect(await second.text()).toBe('views=2')
    const forged = jar.replace(/sid\.sig=[\w-]+/, 'sid.sig=forged')
    expect(await (await fetch(base, { headers: { Cookie: forged } })).text()).toBe('views=1')
  })

  it('adds the koa-helmet headers', async () => {
    const base = await serveGateway(
      fromKoaMiddleware(helmet(), { app: host() })(
        fixedApp('200 OK', [['Content-Type', 'text/html']], ['<p>x</p>']),
      ),
    )
    const res = await fetch(base)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    expect(res.headers.get('x-powered-by')).toBeNull()
    expect(await res.text()).toBe('<p>x</p>')
  })

  it('parses the body with koa-bodyparser and still offers the bytes as wsgi.input', async () => {
    let parsed: unknown
    const app: WSGIApplication = async (environ, startResponse) => {
      parsed = koaContext(environ).request.body
      return echoApp(environ, startResponse)
    }
    const base = await serveGateway(fromKoaMiddleware(bodyParser(), { app: host() })(app))
    const sent = JSON.stringify({ name: 'Zoë', list: [1, 2] })
    const res = await fetch(base, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: sent,
    })
    const echo = (await res.json()) as { body: string; CONTENT_LENGTH: string }
    expect(Buffer.from(echo.body, 'latin1').toString('utf8')).toBe(sent)
    expect(echo.CONTENT_LENGTH).toBe(String(Buffer.byteLength(sent)))
    expect(parsed).toEqual({ name: 'Zoë', list: [1, 2] })
  })

  it('runs a list of middleware in order, and passes the mount point through', async () => {
    const order: string[] = []
    const mark =
      (name: string) =>
      async (_ctx: unknown, next: () => Promise<unknown>): Promise<void> => {
        order.push(`>${name}`)
        await next()
        order.push(`<${name}`)
      }
    const wrapped = fromKoaMiddleware([mark('a'), mark('b')], { app: host() })(echoApp)
    const base = await serveGateway(dispatch({ '/api': wrapped }))
    const res = await fetch(`${base}/api/items/%C3%A9?x=1`)
    expect(await res.json()).toMatchObject({
      SCRIPT_NAME: '/api',
      PATH_INFO: '/items/\xc3\xa9',
      QUERY_STRING: 'x=1',
    })
    expect(order).toEqual(['>a', '>b', '<b', '<a'])
  })

  it('passes keys the request cannot carry on to the app', async () => {
    let seen: unknown[] = []
    const app: WSGIApplication = (environ, startResponse) => {
      seen = [environ['REMOTE_USER'], environ['myapp.token'], environ['wsgi.url_scheme']]
      startResponse('204 No Content', [])
      return []
    }
    const wrapped = fromKoaMiddleware(
      async (_ctx, next) => {
        await next()
      },
      { app: host() },
    )(app)
    const res = await callApp(wrapped, {
      REMOTE_USER: 'ann',
      'myapp.token': 't0k3n',
      HTTPS: 'on',
      'wsgi.url_scheme': 'https',
    })
    expect(res.status).toBe('204 No Content')
    expect(seen).toEqual(['ann', 't0k3n', 'https'])
  })

  it('cuts the connection when the app fails after its head', async () => {
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return (async function* () {
        yield bytes('partial ')
        await new Promise((resolve) => setTimeout(resolve, 20))
        throw new Error('late failure')
      })()
    }
    const koa = host()
    koa.on('error', () => undefined)
    const wrapped = fromKoaMiddleware(
      async (_ctx, next) => {
        await next()
      },
      { app: koa, inner: { errors: new MemoryErrors() } },
    )(app)
    const base = await serveGateway(wrapped, 'toNodeListener')
    const raw = await rawRequest(base, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    const text = raw.toString('latin1')
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(text).toContain('partial ')
    expect(text.endsWith('0\r\n\r\n')).toBe(false)
  })

  it('rejects what is not Koa middleware, or not a Koa app', () => {
    expect(() =>
      fromKoaMiddleware('x' as unknown as Parameters<typeof fromKoaMiddleware>[0]),
    ).toThrow(expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }))
    expect(() =>
      fromKoaMiddleware(
        async (_ctx, next) => {
          await next()
        },
        { app: Object.create(null) as KoaApp },
      ),
    ).toThrow(expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }))
  })
})

describe('fromKoaMiddleware(mw) with its own Koa app', () => {
  it('logs an app failure to wsgi.errors and answers 500', async () => {
    const failing: WSGIApplication = () => {
      throw new Error('inner failure')
    }
    const logged: string[] = []
    const errors = {
      write: (s: string) => logged.push(s),
      writelines: (seq: Iterable<string>) => logged.push(...seq),
      flush: () => undefined,
    }
    const wrapped: Middleware = fromKoaMiddleware(async (_ctx, next) => {
      await next()
    })
    const res = await callApp(wrapped(failing), { 'wsgi.errors': errors })
    expect(res.status).toBe('500 Internal Server Error')
    expect(res.body.toString()).toBe('Internal Server Error')
    expect(logged.join('')).toContain('Error: inner failure')
  })

  it('does not log errors Koa answers with their own 4xx status', async () => {
    const logged: string[] = []
    const errors = {
      write: (s: string) => logged.push(s),
      writelines: () => undefined,
      flush: () => undefined,
    }
    const wrapped = fromKoaMiddleware((ctx) => ctx.throw(400, 'bad input'))(echoApp)
    const res = await callApp(wrapped, { 'wsgi.errors': errors })
    expect(res.status).toBe('400 Bad Request')
    expect(res.body.toString()).toBe('bad input')
    expect(logged).toEqual([])
  })
})
