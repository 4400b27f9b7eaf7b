import { describe, expect, it, vi } from 'vitest'

import type { Middleware, WSGIApplication } from '@wsgi/core/types'

import { ChunkInput, MemoryErrors, headerValues, makeEnviron, runApp } from '../test/helpers.ts'

import { fromFetchMiddleware, toFetchMiddleware } from './middleware.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

/** Gateway middleware: rewrites /old/* to /new/*, adds a request and a response header. */
const rewrite: Middleware = (app) => (environ, startResponse) => {
  const path = environ.PATH_INFO ?? ''
  if (path.startsWith('/old/')) environ.PATH_INFO = `/new/${path.slice(5)}`
  environ['HTTP_X_USER'] = 'ada'
  return app(environ, (status, headers, excInfo) =>
    startResponse(status, [...headers, ['X-Gateway', 'seen']], excInfo),
  )
}

/** Gateway middleware that refuses requests without a token and never calls the app. */
const guard: Middleware = (app) => (environ, startResponse) => {
  if (environ['HTTP_AUTHORIZATION'] !== 'Bearer ok') {
    startResponse('401 Unauthorized', [['WWW-Authenticate', 'Bearer']])
    return [enc.encode('no')]
  }
  return app(environ, startResponse)
}

describe('toFetchMiddleware(mw)', () => {
  it('hands next a Request rebuilt from the environ the middleware passed on', async () => {
    const seen: Request[] = []
    const next = vi.fn((request?: Request) => {
      seen.push(request!)
      return Promise.resolve(
        new Response('downstream', {
          headers: [
            ['set-cookie', 'a=1'],
            ['set-cookie', 'b=2'],
          ],
        }),
      )
    })
    const mw = toFetchMiddleware(rewrite)
    const response = await mw(new Request('http://h/old/page?x=1'), next)
    expect(seen[0]!.url).toBe('http://h/new/page?x=1')
    expect(seen[0]!.headers.get('x-user')).toBe('ada')
    expect(response.headers.get('x-gateway')).toBe('seen')
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(await response.text()).toBe('downstream')
  })

  it('streams the request body to next and the response body back', async () => {
    const next = async (request?: Request): Promise<Response> => {
      const text = await request!.text()
      return new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(enc.encode(`got ${text};`))
            controller.enqueue(enc.encode('more'))
            controller.close()
          },
        }),
      )
    }
    const response = await toFetchMiddleware(rewrite)(
      new Request('http://h/old/upload', { method: 'POST', body: 'payload' }),
      next,
    )
    expect(await response.text()).toBe('got payload;more')
  })

  it('answers without calling next when the middleware short-circuits', async () => {
    const next = vi.fn(() => Promise.resolve(new Response('secret')))
    const mw = toFetchMiddleware(guard)
    const refused = await mw(new Request('http://h/'), next)
    expect(refused.status).toBe(401)
    expect(next).not.toHaveBeenCalled()
    const allowed = await mw(
      new Request('http://h/', { headers: { authorization: 'Bearer ok' } }),
      next,
    )
    expect(await allowed.text()).toBe('secret')
  })

  it('passes env and ctx on to the environ', async () => {
    let env: unknown
    const probe: Middleware = (app) => (environ, startResponse) => {
      env = environ['wsgits.fetch_env']
      return app(environ, startResponse)
    }
    await (
      await toFetchMiddleware(probe)(
        new Request('http://h/'),
        () => Promise.resolve(new Response('x')),
        { KV: 1 },
      )
    ).text()
    expect(env).toEqual({ KV: 1 })
  })

  it('gives a 500 when next rejects before the head', async () => {
    const errors = new MemoryErrors()
    const response = await toFetchMiddleware(rewrite, { errors })(new Request('http://h/'), () =>
      Promise.reject(new Error('downstream exploded')),
    )
    expect(response.status).toBe(500)
    expect(errors.text).toContain('downstream exploded')
  })

  it('throws ERR_WSGI_INVALID_ARG_TYPE for a middleware that is not a function', () => {
    expect(() => toFetchMiddleware(null as unknown as Middleware)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })
})

/** A gateway app that reports the parts of its environ a hop could lose. */
const report: WSGIApplication = async (environ, startResponse) => {
  const body = dec.decode(await environ['wsgi.input'].read())
  startResponse('200 OK', [
    ['Content-Type', 'application/json'],
    ['Set-Cookie', 'inner=1'],
  ])
  const seen = {
    scriptName: environ.SCRIPT_NAME,
    pathInfo: environ.PATH_INFO,
    remoteAddr: environ.REMOTE_ADDR,
    protocol: environ.SERVER_PROTOCOL,
    custom: environ['myserver.tag'],
    traced: environ['HTTP_X_TRACE'],
    body,
  }
  return [enc.encode(JSON.stringify(seen))]
}

describe('fromFetchMiddleware(fetchMw)', () => {
  it('runs the fetch middleware around the app and keeps the outer environ', async () => {
    const tracing = fromFetchMiddleware(async (request, next) => {
      const traced = new Request(request, {
        headers: { ...Object.fromEntries(request.headers), 'x-trace': 't-1' },
      })
      const response = await next(traced)
      const out = new Response(response.body, response)
      out.headers.set('x-outer', 'yes')
      return out
    })
    const environ = makeEnviron({
      REQUEST_METHOD: 'POST',
      SCRIPT_NAME: '/mount',
      PATH_INFO: '/inner',
      REMOTE_ADDR: '192.0.2.7',
      SERVER_PROTOCOL: 'HTTP/1.0',
      CONTENT_LENGTH: '4',
      'myserver.tag': 'kept',
      'wsgi.input': new ChunkInput(['body']),
    })
    const result = await runApp(tracing(report), environ)
    expect(headerValues(result.headers, 'x-outer')).toEqual(['yes'])
    expect(headerValues(result.headers, 'set-cookie')).toEqual(['inner=1'])
    expect(JSON.parse(result.text)).toEqual({
      scriptName: '/mount',
      pathInfo: '/inner',
      remoteAddr: '192.0.2.7',
      protocol: 'HTTP/1.0',
      custom: 'kept',
      traced: 't-1',
      body: 'body',
    })
  })

  it('lets the fetch middleware answer without the app', async () => {
    const app = vi.fn(report)
    const maintenance = fromFetchMiddleware(
      () => new Response('down for maintenance', { status: 503 }),
    )
    const result = await runApp(maintenance(app))
    expect(result.status).toBe('503 Service Unavailable')
    expect(app).not.toHaveBeenCalled()
  })

  it('passes the app’s 500 through when the app throws', async () => {
    const errors = new MemoryErrors()
    const passThrough = fromFetchMiddleware((_request, next) => next())
    const failing: WSGIApplication = () => {
      throw new Error('inner failure')
    }
    const result = await runApp(passThrough(failing), makeEnviron({ 'wsgi.errors': errors }))
    expect(result.status).toBe('500 Internal Server Error')
    expect(errors.text).toContain('inner failure')
  })

  it('throws ERR_WSGI_INVALID_ARG_TYPE for arguments that are not functions', () => {
    expect(() => fromFetchMiddleware(1 as unknown as () => Response)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
    expect(() =>
      fromFetchMiddleware(() => new Response())(undefined as unknown as WSGIApplication),
    ).toThrow(expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }))
  })
})
