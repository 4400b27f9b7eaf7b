/**
 * `toFetch(fromFetch(handler))`: a fetch runtime, a gateway in between, a fetch handler. The
 * handler gets the runtime's own `Request` while the environ still matches it, so what the
 * runtime hangs on it (Workers' `request.cf`, the object Bun's `server.requestIP()` knows)
 * survives; once the environ changed, it gets a new `Request` that says what the environ says.
 */

import { getConnInfo } from '@hono/node-server/conninfo'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'

import type { WSGIApplication } from '@wsgi/core/types'

import { FETCH_REQUEST_KEY } from '../src/index.ts'
import { fromFetch } from '../src/from-fetch.ts'
import { toFetch } from '../src/to-fetch.ts'

import { ChunkInput, MemoryErrors, serveOnNodeServer } from './helpers.ts'

/** A handler that records each Request it was given. */
function recorder(): { seen: Request[]; handler: (request: Request) => Promise<Response> } {
  const seen: Request[] = []
  return {
    seen,
    handler: async (request) => {
      seen.push(request)
      const body = request.body === null ? '' : await request.text()
      return new Response(`${request.method} ${request.url} ${body}`)
    },
  }
}

/** A request carrying a property only the runtime knows of, as Workers' `request.cf`. */
function runtimeRequest(input: string, init?: RequestInit): Request & { cf: unknown } {
  return Object.assign(new Request(input, init), { cf: { colo: 'AMS' } })
}

describe('toFetch(fromFetch(handler)): the runtime’s own Request', () => {
  it('reaches the handler when the gateway changed nothing, request.cf and all', async () => {
    const { seen, handler } = recorder()
    const request = runtimeRequest('http://example.com/a/b?x=1', {
      headers: { 'x-custom': 'yes', accept: 'text/plain' },
    })
    const response = await toFetch(fromFetch(handler))(request)
    expect(await response.text()).toBe('GET http://example.com/a/b?x=1 ')
    expect(seen[0]).toBe(request)
    expect((seen[0] as Request & { cf?: unknown }).cf).toEqual({ colo: 'AMS' })
  })

  it('carries an unread upload in the original Request', async () => {
    const { seen, handler } = recorder()
    const request = runtimeRequest('http://example.com/up', { method: 'POST', body: 'payload' })
    const response = await toFetch(fromFetch(handler))(request)
    expect(await response.text()).toBe('POST http://example.com/up payload')
    expect(seen[0]).toBe(request)
  })

  it('puts the Request in environ["wsgits.fetch_request"] for gateway apps too', async () => {
    let found: unknown
    const app: WSGIApplication = (environ, startResponse) => {
      found = environ[FETCH_REQUEST_KEY]
      startResponse('204 No Content', [])
      return []
    }
    const request = new Request('http://example.com/')
    await toFetch(app, { errors: new MemoryErrors() })(request)
    expect(found).toBe(request)
  })

  it.each([
    [
      'a middleware changed the path',
      (environ: Record<string, unknown>) => {
        environ['PATH_INFO'] = '/elsewhere'
        environ['REQUEST_URI'] = undefined
      },
      'GET http://example.com/elsewhere?x=1 ',
    ],
    [
      'a middleware added a header',
      (environ: Record<string, unknown>) => {
        environ['HTTP_X_ADDED'] = '1'
      },
      'GET http://example.com/a/b?x=1 ',
    ],
    [
      'a middleware changed the method',
      (environ: Record<string, unknown>) => {
        environ['REQUEST_METHOD'] = 'HEAD'
      },
      '',
    ],
  ])('is rebuilt when %s', async (_, change, text) => {
    const { seen, handler } = recorder()
    const inner = fromFetch(handler)
    const middleware: WSGIApplication = (environ, startResponse) => {
      change(environ)
      return inner(environ, startResponse)
    }
    const request = runtimeRequest('http://example.com/a/b?x=1')
    const response = await toFetch(middleware, { errors: new MemoryErrors() })(request)
    expect(await response.text()).toBe(text)
    expect(seen[0]).not.toBe(request)
    expect((seen[0] as Request & { cf?: unknown }).cf).toBeUndefined()
  })

  it('is rebuilt when a middleware replaced wsgi.input', async () => {
    const { seen, handler } = recorder()
    const inner = fromFetch(handler)
    const middleware: WSGIApplication = (environ, startResponse) => {
      environ['wsgi.input'] = new ChunkInput(['other'])
      environ.CONTENT_LENGTH = '5'
      return inner(environ, startResponse)
    }
    const request = runtimeRequest('http://example.com/up', { method: 'POST', body: 'abcdefg' })
    const response = await toFetch(middleware, { errors: new MemoryErrors() })(request)
    expect(await response.text()).toBe('POST http://example.com/up other')
    expect(seen[0]).not.toBe(request)
  })

  it('is rebuilt when a middleware read the body, with what is left of it', async () => {
    const { seen, handler } = recorder()
    const inner = fromFetch(handler)
    const middleware: WSGIApplication = async (environ, startResponse) => {
      await environ['wsgi.input'].read(3)
      environ.CONTENT_LENGTH = '4'
      return inner(environ, startResponse)
    }
    const request = runtimeRequest('http://example.com/up', { method: 'POST', body: 'abcdefg' })
    const response = await toFetch(middleware, { errors: new MemoryErrors() })(request)
    expect(await response.text()).toBe('POST http://example.com/up defg')
    expect(seen[0]).not.toBe(request)
  })
})

describe('toFetch(fromFetch(hono.fetch)) on @hono/node-server', () => {
  it("keeps what the host hung on its Request, and Hono's getConnInfo", async () => {
    const inner = new Hono().get('/who', (c) =>
      c.json({
        tag: (c.req.raw as Request & { tag?: unknown }).tag ?? null,
        address: getConnInfo(c).remote.address ?? null,
      }),
    )
    const bridge = toFetch(fromFetch(inner.fetch), { errors: new MemoryErrors() })
    const outer = new Hono()
      .use(async (c, next) => {
        Object.assign(c.req.raw, { tag: 'from the host' })
        await next()
      })
      .get('/who', (c) => bridge(c.req.raw, c.env))
    const port = await serveOnNodeServer(outer.fetch)
    const response = await fetch(`http://127.0.0.1:${String(port)}/who`)
    expect(await response.json()).toEqual({ tag: 'from the host', address: '127.0.0.1' })
  })
})
