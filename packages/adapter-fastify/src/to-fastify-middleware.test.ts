/* eslint-disable @typescript-eslint/require-await -- Fastify routes and hooks are async functions by
   convention: what they return is the reply, with or without an await inside. */
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'

import type {
  HeaderList,
  Middleware,
  ResponseBody,
  Status,
  WSGIApplication,
  WSGIEnvironment,
} from '@wsgi/core/types'

import { bytes, listenFastify, send } from '../test/helpers.ts'
import { toFastify } from './to-fastify.ts'
import { environOf, toFastifyMiddleware } from './to-fastify-middleware.ts'

interface Inner {
  status: Status
  headers: HeaderList
  body: ResponseBody
}

/** Call `app` and collect its status and headers (the body stays a stream). */
async function callInner(app: WSGIApplication, environ: WSGIEnvironment): Promise<Inner> {
  let status = '500 Internal Server Error' as Status
  let headers: HeaderList = []
  const body = await app(environ, (s, h) => {
    status = s
    headers = h
    return () => undefined
  })
  return { status, headers, body }
}

async function* mapBody(
  body: ResponseBody,
  fn: (chunk: Uint8Array) => Uint8Array,
): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of body) yield fn(chunk)
  } finally {
    await body.close?.()
  }
}

/** Authenticates (REMOTE_USER, a request header), answers 401 itself, shouts the response. */
const shout: Middleware = (app) => async (environ, startResponse) => {
  if (environ['HTTP_AUTHORIZATION'] === 'Bearer nope') {
    startResponse('401 Unauthorized', [
      ['Content-Type', 'text/plain'],
      ['WWW-Authenticate', 'Bearer'],
    ])
    return [bytes('denied')]
  }
  environ['REMOTE_USER'] = 'ann'
  environ['HTTP_X_USER'] = 'ann'
  const inner = await callInner(app, environ)
  startResponse(inner.status, [
    ...inner.headers.filter(([n]) => n.toLowerCase() !== 'content-length'),
    ['X-Shouted', 'yes'],
  ])
  return mapBody(inner.body, (c) => bytes(Buffer.from(c).toString().toUpperCase()))
}

/** Appends its name to X-Trail on the way in (request) and on the way out (response). */
function trail(name: string): Middleware {
  return (app) => async (environ, startResponse) => {
    const before = environ['HTTP_X_TRAIL']
    environ['HTTP_X_TRAIL'] = before === undefined ? name : `${before},${name}`
    const inner = await callInner(app, environ)
    const out = inner.headers.find(([n]) => n.toLowerCase() === 'x-trail')?.[1]
    startResponse(inner.status, [
      ...inner.headers.filter(([n]) => n.toLowerCase() !== 'x-trail'),
      ['X-Trail', out === undefined ? name : `${out},${name}`],
    ])
    return inner.body
  }
}

async function scoped(
  build: (scope: FastifyInstance) => Promise<void>,
  setup?: (fastify: FastifyInstance) => void,
): Promise<string> {
  const fastify = Fastify()
  setup?.(fastify)
  fastify.get('/outside', async () => 'outside')
  await fastify.register(build, { prefix: '/api' })
  return listenFastify(fastify)
}

describe('toFastifyMiddleware(mw)', () => {
  it("wraps the scope's routes: request changes in, response changes out", async () => {
    let mount: unknown
    const base = await scoped(async (api) => {
      await api.register(toFastifyMiddleware(shout))
      api.get('/me/:id', async (request, reply) => {
        const environ = environOf(request)
        mount = [environ?.SCRIPT_NAME, environ?.PATH_INFO]
        reply.header('set-cookie', ['a=1; Path=/', 'b=2'])
        return { user: environ?.['REMOTE_USER'], header: request.headers['x-user'] }
      })
    })
    const res = await fetch(`${base}/api/me/1`)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-shouted')).toBe('yes')
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2'])
    expect(await res.text()).toBe('{"USER":"ANN","HEADER":"ANN"}')
    expect(mount).toEqual(['/api', '/me/1'])

    const outside = await fetch(`${base}/outside`)
    expect(outside.headers.get('x-shouted')).toBeNull()
    expect(await outside.text()).toBe('outside')
  })

  it('answers by itself without running the route', async () => {
    let ran = 0
    const base = await scoped(async (api) => {
      await api.register(toFastifyMiddleware(shout))
      api.get('/secret', async () => {
        ran++
        return 'secret'
      })
    })
    const res = await fetch(`${base}/api/secret`, { headers: { authorization: 'Bearer nope' } })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(await res.text()).toBe('denied')
    expect(ran).toBe(0)
  })

  it("sees the route's error response, and hands its own errors to Fastify", async () => {
    const failing: Middleware = (app) => async (environ, startResponse) => {
      if (environ.PATH_INFO === '/early') throw new Error('middleware broke early')
      const inner = await callInner(app, environ)
      if (environ.PATH_INFO === '/late') throw new Error('middleware broke late')
      startResponse(inner.status, [...inner.headers, ['X-Saw', inner.status]])
      return inner.body
    }
    const base = await scoped(
      async (api) => {
        await api.register(toFastifyMiddleware(failing, { exposeErrors: true }))
        api.get('/boom', async () => {
          throw new Error('route broke')
        })
        api.get('/early', async () => 'x')
        api.get('/late', async () => 'x')
      },
      (fastify) => {
        fastify.setErrorHandler(async (error: Error, _request, reply) =>
          reply.code(500).send({ handled: error.message }),
        )
      },
    )
    const boom = await fetch(`${base}/api/boom`)
    expect(boom.status).toBe(500)
    expect(boom.headers.get('x-saw')).toBe('500 Internal Server Error')
    expect(await boom.json()).toEqual({ handled: 'route broke' })
    expect(await (await fetch(`${base}/api/early`)).json()).toEqual({
      handled: 'middleware broke early',
    })
    expect(await (await fetch(`${base}/api/late`)).json()).toEqual({
      handled: 'middleware broke late',
    })
  })

  it('nests several middleware in registration order, the first outermost', async () => {
    const base = await scoped(async (api) => {
      await api.register(toFastifyMiddleware(trail('a')))
      await api.register(toFastifyMiddleware(trail('b')))
      api.get('/t', async (request) => ({ seen: request.headers['x-trail'] }))
    })
    const res = await fetch(`${base}/api/t`)
    expect(await res.json()).toEqual({ seen: 'a,b' })
    expect(res.headers.get('x-trail')).toBe('b,a')
  })

  it('hands a replaced wsgi.input to the route, and fails a drained one at once', async () => {
    const rewrite: Middleware = (app) => async (environ, startResponse) => {
      const body = await environ['wsgi.input'].read()
      if (environ.PATH_INFO === '/drained') return app(environ, startResponse)
      const changed = bytes(Buffer.from(body).toString().replace('cat', 'dog'))
      let sent = false
      environ['wsgi.input'] = {
        read: () => {
          const out = sent ? new Uint8Array(0) : changed
          sent = true
          return Promise.resolve(out)
        },
        readline: () => Promise.resolve(new Uint8Array(0)),
        readlines: () => Promise.resolve([]),
        [Symbol.asyncIterator]: () => ({
          next: () => Promise.resolve({ done: true, value: undefined }),
        }),
      }
      environ.CONTENT_LENGTH = String(changed.length)
      return app(environ, startResponse)
    }
    const base = await scoped(async (api) => {
      await api.register(toFastifyMiddleware(rewrite))
      api.post('/pet', async (request) => request.body)
      api.post('/drained', async (request) => request.body)
    })
    const pet = await fetch(`${base}/api/pet`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pet: 'a cat' }),
    })
    expect(await pet.json()).toEqual({ pet: 'a dog' })
    const drained = await fetch(`${base}/api/drained`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(drained.status).toBe(500)
    expect(((await drained.json()) as { code: string }).code).toBe('ERR_WSGI_BODY_ALREADY_READ')
  })

  it('gives a gateway app in the scope the environ the middleware handed on', async () => {
    const app: WSGIApplication = (environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return [bytes(`${String(environ['REMOTE_USER'])} at ${String(environ.SCRIPT_NAME)}`)]
    }
    const base = await scoped(async (api) => {
      await api.register(toFastifyMiddleware(shout))
      await api.register(toFastify(app), { prefix: '/legacy' })
    })
    expect(await (await fetch(`${base}/api/legacy/x`)).text()).toBe('ANN AT /API/LEGACY')
  })

  it('keeps HEAD bodiless and streams the route body through', async () => {
    const base = await scoped(async (api) => {
      await api.register(toFastifyMiddleware(trail('m')))
      api.get('/text', async () => 'some text')
    })
    const head = await send(`${base}/api/text`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers['x-trail']).toBe('m')
    expect(head.headers['content-length']).toBe('9')
    expect(head.body).toHaveLength(0)
    const get = await fetch(`${base}/api/text`)
    expect(get.headers.get('content-length')).toBe('9')
    expect(await get.text()).toBe('some text')
  })

  it('refuses to run the rest of the lifecycle twice for one request', async () => {
    const twice: Middleware = (app) => async (environ, startResponse) => {
      const first = await callInner(app, environ)
      await first.body.close?.()
      return app(environ, startResponse)
    }
    const base = await scoped(
      async (api) => {
        await api.register(toFastifyMiddleware(twice, { exposeErrors: true }))
        api.get('/x', async () => 'x')
      },
      (fastify) => {
        fastify.setErrorHandler(async (error: Error & { code?: string }, _request, reply) =>
          reply.code(500).send({ code: error.code }),
        )
      },
    )
    expect(await (await fetch(`${base}/api/x`)).json()).toEqual({
      code: 'ERR_WSGI_CHAIN_ALREADY_RUN',
    })
  })

  it('rejects what is not middleware', () => {
    expect(() => toFastifyMiddleware(42 as unknown as Middleware)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
    expect(() => toFastifyMiddleware((() => null) as unknown as Middleware)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })
})
