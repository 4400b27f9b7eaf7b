import { describe, expect, it, vi } from 'vitest'

import type { WSGIApplication } from '@wsgi/core/types'

import { ChunkInput, MemoryErrors, headerValues, makeEnviron, runApp } from '../test/helpers.ts'

import { fromFetchMiddleware } from './from-fetch-middleware.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

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
