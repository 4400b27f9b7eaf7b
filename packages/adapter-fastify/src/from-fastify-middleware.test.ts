/* eslint-disable @typescript-eslint/require-await -- Fastify routes and hooks are async functions by
   convention: what they return is the reply, with or without an await inside. */
import compress from '@fastify/compress'
import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import type { FastifyPluginCallback } from 'fastify'
import { describe, expect, it } from 'vitest'

import type { Middleware, WSGIApplication } from '@wsgi/core/types'

import { bytes, serveGateway } from '../test/helpers.ts'
import { fromFastifyMiddleware } from './from-fastify-middleware.ts'

/** Answers with its mount and the extra keys set further out; counts its calls. */
function probe(): WSGIApplication & { calls: number } {
  const app = Object.assign(
    ((environ, startResponse) => {
      app.calls++
      startResponse('200 OK', [
        ['Content-Type', 'application/json'],
        ['Vary', 'Accept'],
      ])
      return [
        bytes(
          JSON.stringify({
            scriptName: environ.SCRIPT_NAME,
            pathInfo: environ.PATH_INFO,
            tenant: environ['myapp.tenant'],
          }),
        ),
      ]
    }) satisfies WSGIApplication,
    { calls: 0 },
  )
  return app
}

const withTenant: Middleware = (app) => (environ, startResponse) => {
  environ['myapp.tenant'] = 'acme'
  return app(environ, startResponse)
}

describe('fromFastifyMiddleware(plugin, options)', () => {
  it('@fastify/cors: answers preflights itself and decorates the rest', async () => {
    const app = probe()
    const wrapped = withTenant(fromFastifyMiddleware(cors, { origin: 'https://a.example' })(app))
    const base = await serveGateway(wrapped, { scriptName: '/mnt' })
    const preflight = await fetch(`${base}/mnt/items`, {
      method: 'OPTIONS',
      headers: { origin: 'https://a.example', 'access-control-request-method': 'DELETE' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://a.example')
    expect(app.calls).toBe(0)

    const res = await fetch(`${base}/mnt/items?x=1`, { headers: { origin: 'https://a.example' } })
    expect(res.headers.get('access-control-allow-origin')).toBe('https://a.example')
    // A fixed origin needs no `Vary: Origin`: the app's Vary is left as it was.
    expect(res.headers.get('vary')).toBe('Accept')
    expect(await res.json()).toEqual({ scriptName: '/mnt', pathInfo: '/items', tenant: 'acme' })
    expect(app.calls).toBe(1)
  })

  it('@fastify/helmet and @fastify/compress stack around a streaming app', async () => {
    const text = 'a line of a long streamed document\n'.repeat(3000)
    const streaming: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return (async function* () {
        for (let i = 0; i < text.length; i += 4096) yield bytes(text.slice(i, i + 4096))
      })()
    }
    const app = fromFastifyMiddleware(helmet)(
      fromFastifyMiddleware(compress, { global: true })(streaming),
    )
    const base = await serveGateway(app)
    for (const encoding of ['gzip', 'br', 'deflate']) {
      const res = await fetch(`${base}/doc`, { headers: { 'accept-encoding': encoding } })
      expect(res.headers.get('content-encoding')).toBe(encoding)
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(await res.text()).toBe(text)
    }
    const plain = await fetch(`${base}/doc`, { headers: { 'accept-encoding': 'identity' } })
    expect(plain.headers.get('content-encoding')).toBeNull()
    expect(await plain.text()).toBe(text)
  })

  it('passes the request body through to the app', async () => {
    const echo: WSGIApplication = async (environ, startResponse) => {
      const body = await environ['wsgi.input'].read()
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return [body]
    }
    const base = await serveGateway(fromFastifyMiddleware(helmet)(echo))
    const payload = 'x'.repeat(200_000)
    const res = await fetch(`${base}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: payload,
    })
    expect(await res.text()).toBe(payload)
  })

  it('takes an async plugin with options, and server options', async () => {
    const header: FastifyPluginCallback<{ value: string }> = (instance, opts, done) => {
      instance.addHook('onSend', async (_request, reply, payload) => {
        reply.header('x-added', opts.value)
        return payload
      })
      done()
    }
    Object.assign(header, { [Symbol.for('skip-override')]: true })
    const app = fromFastifyMiddleware(
      header,
      { value: 'hello' },
      { server: { logger: false } },
    )(probe())
    const base = await serveGateway(app)
    expect((await fetch(`${base}/`)).headers.get('x-added')).toBe('hello')
  })

  it('rejects a plugin that is not a function', () => {
    expect(() => fromFastifyMiddleware('cors' as unknown as FastifyPluginCallback)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })
})
