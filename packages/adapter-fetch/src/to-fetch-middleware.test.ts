import { describe, expect, it, vi } from 'vitest'

import type { Middleware } from '@wsgi/core/types'

import { MemoryErrors } from '../test/helpers.ts'

import { toFetchMiddleware } from './to-fetch-middleware.ts'

const enc = new TextEncoder()

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
