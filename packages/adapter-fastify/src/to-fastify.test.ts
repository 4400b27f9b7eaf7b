/* eslint-disable @typescript-eslint/require-await -- Fastify routes and hooks are async functions by
   convention: what they return is the reply, with or without an await inside. */
import { Writable } from 'node:stream'

import Fastify from 'fastify'
import type { FastifyRequest } from 'fastify'
import { describe, expect, it } from 'vitest'

import { isWSGIError } from '@wsgi/core/errors'
import type { WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'

import { bytes, jsonApp, listenFastify, rawRequest, send, settled, sleep } from '../test/helpers.ts'
import { FASTIFY_REQUEST_KEY, FastifyHandler } from './fastify-handler.ts'
import { toFastify } from './to-fastify.ts'

const mountApp = jsonApp((e) => ({
  method: e.REQUEST_METHOD,
  scriptName: e.SCRIPT_NAME,
  pathInfo: e.PATH_INFO,
  query: e.QUERY_STRING,
}))

/** A gateway app that echoes its whole request body (read in blocks) with its length. */
const echoApp: WSGIApplication = async (environ, startResponse) => {
  const parts: Uint8Array[] = []
  for (;;) {
    const chunk = await environ['wsgi.input'].read(8192)
    if (chunk.length === 0) break
    parts.push(chunk)
  }
  startResponse('200 OK', [
    ['Content-Type', 'application/octet-stream'],
    ['X-Content-Length', String(environ.CONTENT_LENGTH)],
  ])
  return [Buffer.concat(parts)]
}

describe('toFastify(app)', () => {
  it('maps the prefix to SCRIPT_NAME and the rest of the path to PATH_INFO', async () => {
    const fastify = Fastify()
    await fastify.register(toFastify(mountApp), { prefix: '/legacy' })
    const base = await listenFastify(fastify)
    const cases: [string, string, string][] = [
      ['/legacy', '', ''],
      ['/legacy/', '/', ''],
      ['/legacy/a/b%20c?x=1&y', '/a/b c', 'x=1&y'],
    ]
    for (const [path, pathInfo, query] of cases) {
      const res = await fetch(base + path)
      expect(await res.json()).toEqual({ method: 'GET', scriptName: '/legacy', pathInfo, query })
    }
    expect((await fetch(`${base}/other`)).status).toBe(404)
  })

  it('passes every method Fastify supports, added ones included', async () => {
    const fastify = Fastify()
    fastify.addHttpMethod('PROPFIND', { hasBody: true })
    await fastify.register(toFastify(mountApp), { prefix: '/dav' })
    const base = await listenFastify(fastify)
    for (const method of [
      'GET',
      'POST',
      'PUT',
      'PATCH',
      'DELETE',
      'OPTIONS',
      'TRACE',
      'PROPFIND',
    ]) {
      const res = await send(`${base}/dav/x`, { method })
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body.toString())).toMatchObject({ method, pathInfo: '/x' })
    }
    const head = await fetch(`${base}/dav/x`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it('takes SCRIPT_NAME from nested and parametric prefixes', async () => {
    const fastify = Fastify()
    await fastify.register(
      async (v1) => {
        await v1.register(toFastify(mountApp), { prefix: '/legacy' })
        await v1.register(toFastify(mountApp), { prefix: '/tenants/:id' })
      },
      { prefix: '/v1' },
    )
    const base = await listenFastify(fastify)
    expect(await (await fetch(`${base}/v1/legacy/x`)).json()).toMatchObject({
      scriptName: '/v1/legacy',
      pathInfo: '/x',
    })
    expect(await (await fetch(`${base}/v1/tenants/42/users/7`)).json()).toMatchObject({
      scriptName: '/v1/tenants/42',
      pathInfo: '/users/7',
    })
  })

  it('uses the scriptName option instead of the prefix', async () => {
    const fastify = Fastify()
    await fastify.register(toFastify(mountApp, { scriptName: '' }), { prefix: '/legacy' })
    const base = await listenFastify(fastify)
    expect(await (await fetch(`${base}/legacy/x`)).json()).toMatchObject({
      scriptName: '',
      pathInfo: '/legacy/x',
    })
  })

  it('serves everything at the root next to native routes, which win', async () => {
    const fastify = Fastify()
    fastify.get('/native', async () => ({ native: true }))
    await fastify.register(toFastify(mountApp))
    const base = await listenFastify(fastify)
    expect(await (await fetch(`${base}/native`)).json()).toEqual({ native: true })
    expect(await (await fetch(`${base}/anything/else`)).json()).toMatchObject({
      scriptName: '',
      pathInfo: '/anything/else',
    })
  })

  it('can be registered twice in one app', async () => {
    const fastify = Fastify()
    await fastify.register(toFastify(mountApp), { prefix: '/a' })
    await fastify.register(toFastify(mountApp), { prefix: '/b' })
    const base = await listenFastify(fastify)
    expect(await (await fetch(`${base}/b/x`)).json()).toMatchObject({ scriptName: '/b' })
  })

  it('streams the raw body to wsgi.input, unparsed, whatever its type', async () => {
    const fastify = Fastify()
    await fastify.register(toFastify(echoApp), { prefix: '/echo' })
    const base = await listenFastify(fastify)
    const notJSON = '{"broken": '
    const res = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: notJSON,
    })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(notJSON)
    expect(res.headers.get('x-content-length')).toBe(String(notJSON.length))

    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 'abcdefgh')
    const upload = await fetch(`${base}/echo/up`, { method: 'PUT', body: big })
    expect(Buffer.from(await upload.arrayBuffer()).equals(big)).toBe(true)
  })

  it('streams a chunked upload with no Content-Type or Content-Length', async () => {
    const fastify = Fastify()
    await fastify.register(toFastify(echoApp))
    const base = await listenFastify(fastify)
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes('part one, '))
        controller.enqueue(bytes('part two'))
        controller.close()
      },
    })
    const res = await fetch(`${base}/`, { method: 'POST', body, duplex: 'half' })
    expect(await res.text()).toBe('part one, part two')
  })

  it('runs onRequest, onSend and onResponse hooks around the app', async () => {
    const fastify = Fastify()
    const seen: string[] = []
    fastify.addHook('onRequest', async (request) => {
      seen.push(`onRequest ${request.url}`)
    })
    fastify.addHook('onSend', async (_request, reply, payload) => {
      seen.push('onSend')
      reply.header('x-on-send', 'yes')
      return payload
    })
    fastify.addHook('onResponse', async (_request, reply) => {
      seen.push(`onResponse ${reply.statusCode}`)
    })
    await fastify.register(toFastify(mountApp), { prefix: '/legacy' })
    const base = await listenFastify(fastify)
    const res = await fetch(`${base}/legacy/x`)
    expect(res.headers.get('x-on-send')).toBe('yes')
    await res.text()
    await fastify.close()
    expect(seen).toEqual(['onRequest /legacy/x', 'onSend', 'onResponse 200'])
  })

  it('keeps every Set-Cookie byte for byte, and a custom reason phrase', async () => {
    const cookies = [
      'a=1; Path=/; HttpOnly',
      'b=two, with comma; Expires=Wed, 21 Oct 2026 07:28:00 GMT',
    ]
    const app: WSGIApplication = (_e, startResponse) => {
      startResponse('299 Fine Indeed', [
        ['Content-Type', 'text/plain'],
        ...cookies.map((c): [string, string] => ['Set-Cookie', c]),
      ])
      return [bytes('ok')]
    }
    const fastify = Fastify()
    await fastify.register(toFastify(app))
    const base = await listenFastify(fastify)
    const res = await fetch(`${base}/`)
    expect(res.headers.getSetCookie()).toEqual(cookies)
    const raw = await rawRequest(base, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(raw.startsWith('HTTP/1.1 299 Fine Indeed\r\n')).toBe(true)
    expect(raw).toContain(`\r\nset-cookie: ${cookies[0]}\r\nset-cookie: ${cookies[1]}\r\n`)
  })

  it('sends no body for HEAD, 204 and 304, keeping the Content-Length of HEAD', async () => {
    const app: WSGIApplication = (environ, startResponse) => {
      const status =
        environ.PATH_INFO === '/204'
          ? '204 No Content'
          : environ.PATH_INFO === '/304'
            ? '304 Not Modified'
            : '200 OK'
      startResponse(status, [
        ['Content-Type', 'text/plain'],
        ['ETag', '"v1"'],
      ])
      return [bytes('twelve bytes')]
    }
    const fastify = Fastify()
    await fastify.register(toFastify(app))
    const base = await listenFastify(fastify)
    const head = await rawRequest(base, 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(head.toLowerCase()).toContain('\r\ncontent-length: 12\r\n')
    expect(head.endsWith('\r\n\r\n')).toBe(true)
    for (const code of ['204', '304']) {
      const raw = await rawRequest(
        base,
        `GET /${code} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      )
      expect(raw.startsWith(`HTTP/1.1 ${code} `)).toBe(true)
      expect(raw.endsWith('\r\n\r\n')).toBe(true)
      expect(raw).toContain('etag: "v1"')
    }
  })

  it('streams the response, sending the headers on an empty first chunk', async () => {
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const app: WSGIApplication = (_e, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/event-stream']])
      return (async function* () {
        yield new Uint8Array(0)
        await released
        yield bytes('data: one\n\n')
        yield bytes('data: two\n\n')
      })()
    }
    const fastify = Fastify()
    await fastify.register(toFastify(app))
    const base = await listenFastify(fastify)
    // fetch resolves with the headers, before the app sent a single event.
    const res = await fetch(`${base}/events`)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    release()
    expect(await res.text()).toBe('data: one\n\ndata: two\n\n')
  })

  it('holds a fast app back while the client does not read (backpressure)', async () => {
    let produced = 0
    const chunk = new Uint8Array(64 * 1024)
    const app: WSGIApplication = (_e, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'application/octet-stream']])
      return (function* () {
        for (;;) {
          produced++
          yield chunk
        }
      })()
    }
    const fastify = Fastify()
    await fastify.register(toFastify(app))
    const base = await listenFastify(fastify)
    const controller = new AbortController()
    const res = await fetch(`${base}/`, { signal: controller.signal })
    const reader = res.body!.getReader()
    await reader.read()
    // Nobody reads any more: production must stop at a few buffers' worth, not run away.
    const stalled = await settled(() => produced)
    expect(stalled * chunk.length).toBeLessThan(32 * 1024 * 1024)
    controller.abort()
  })

  it('fires wsgits.signal and closes the body once when the client goes away', async () => {
    let closed = 0
    let aborted!: () => void
    const abortedP = new Promise<void>((resolve) => {
      aborted = resolve
    })
    const app: WSGIApplication = (environ, startResponse) => {
      environ['wsgits.signal']?.addEventListener('abort', () => {
        aborted()
      })
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      const body = (async function* () {
        for (;;) {
          yield bytes('tick\n')
          await sleep(5)
        }
      })()
      return Object.assign(body, {
        close() {
          closed++
        },
      })
    }
    const fastify = Fastify()
    await fastify.register(toFastify(app))
    const base = await listenFastify(fastify)
    const controller = new AbortController()
    const res = await fetch(`${base}/`, { signal: controller.signal })
    await res.body!.getReader().read()
    controller.abort()
    await abortedP
    await settled(() => closed)
    expect(closed).toBe(1)
  })

  it("hands an error before the response to Fastify's error handler, details hidden", async () => {
    const app: WSGIApplication = () => {
      throw new Error('secret failure')
    }
    const fastify = Fastify()
    const handled: unknown[] = []
    fastify.setErrorHandler(async (error: Error, _request, reply) => {
      handled.push(error)
      return reply.code(503).send({ handled: error.message })
    })
    await fastify.register(toFastify(app), { prefix: '/hidden' })
    await fastify.register(toFastify(app, { exposeErrors: true }), { prefix: '/exposed' })
    const base = await listenFastify(fastify)
    const hidden = await fetch(`${base}/hidden`)
    expect(hidden.status).toBe(503)
    expect(await hidden.json()).toEqual({
      handled: 'A server error occurred.  Please contact the administrator.',
    })
    expect(handled[0]).toMatchObject({ statusCode: 500 })
    // Nothing of the app's message rides along (pino would print a cause after the generic text).
    expect(handled[0]).not.toHaveProperty('cause')
    const exposed = await fetch(`${base}/exposed`)
    expect(await exposed.json()).toEqual({ handled: 'secret failure' })
  })

  it('answers 500 through the default error handler, status lines out of range included', async () => {
    const app: WSGIApplication = (environ, startResponse) => {
      if (environ.PATH_INFO === '/bad-status') startResponse('999 Nope', [])
      else startResponse('200 OK', [['Bad Name', 'x']])
      return [bytes('never')]
    }
    const fastify = Fastify()
    await fastify.register(toFastify(app))
    const base = await listenFastify(fastify)
    for (const path of ['/bad-status', '/bad-header']) {
      const res = await fetch(base + path)
      expect(res.status).toBe(500)
      const body = await res.text()
      expect(body).not.toContain('never')
      expect(body).toContain('A server error occurred.')
    }
  })

  it('cuts the connection when the app fails after the response started', async () => {
    const app: WSGIApplication = (_e, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return (async function* () {
        yield bytes('partial')
        await sleep(10)
        throw new Error('late failure')
      })()
    }
    const fastify = Fastify()
    await fastify.register(toFastify(app))
    const base = await listenFastify(fastify)
    const res = await fetch(`${base}/`)
    expect(res.status).toBe(200)
    await expect(res.text()).rejects.toThrow()
  })

  it("logs wsgi.errors through the request's logger", async () => {
    const lines: string[] = []
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString())
        cb()
      },
    })
    const app: WSGIApplication = (environ, startResponse) => {
      environ['wsgi.errors'].write('something odd\n')
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return [bytes('ok')]
    }
    const fastify = Fastify({ logger: { level: 'error', stream } })
    await fastify.register(toFastify(app))
    const base = await listenFastify(fastify)
    await (await fetch(`${base}/`)).text()
    const entry = lines
      .map((l) => JSON.parse(l) as { msg: string; reqId?: string })
      .find((l) => l.msg === 'something odd')
    expect(entry?.reqId).toBeDefined()
  })

  it('fails reads of wsgi.input when a hook drained the body first', async () => {
    const fastify = Fastify()
    fastify.addHook('onRequest', async (request) => {
      await new Promise((resolve) => request.raw.on('end', resolve).resume())
    })
    let error: unknown
    const app: WSGIApplication = async (environ, startResponse) => {
      try {
        await environ['wsgi.input'].read()
      } catch (e) {
        error = e
      }
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return [bytes('done')]
    }
    await fastify.register(toFastify(app))
    const base = await listenFastify(fastify)
    const res = await fetch(`${base}/`, { method: 'POST', body: 'payload' })
    expect(await res.text()).toBe('done')
    expect(isWSGIError(error) && error.code).toBe('ERR_WSGI_BODY_ALREADY_READ')
  })

  it('keeps a keep-alive connection usable after the app read part of a body', async () => {
    const app: WSGIApplication = async (environ, startResponse) => {
      if (environ.REQUEST_METHOD === 'POST') await environ['wsgi.input'].read(10)
      startResponse('200 OK', [
        ['Content-Type', 'text/plain'],
        ['Content-Length', '2'],
      ])
      return [bytes('ok')]
    }
    const fastify = Fastify()
    await fastify.register(toFastify(app))
    const base = await listenFastify(fastify)
    const body = 'x'.repeat(30000)
    const raw = await rawRequest(
      base,
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
        'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    )
    expect(raw.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2)
  })

  it('puts the Fastify request in the environ', async () => {
    let seen: unknown
    const app: WSGIApplication = (environ, startResponse) => {
      seen = (environ[FASTIFY_REQUEST_KEY] as FastifyRequest).routeOptions.url
      startResponse('204 No Content', [])
      return []
    }
    const fastify = Fastify()
    await fastify.register(toFastify(app), { prefix: '/p' })
    const base = await listenFastify(fastify)
    await fetch(`${base}/p/x`)
    expect(seen).toBe('/p/*')
  })

  it('takes a handler subclass', async () => {
    const logged: unknown[] = []
    class Quiet extends FastifyHandler {
      override logException(error: unknown): void {
        logged.push(error)
      }
    }
    const app: WSGIApplication = (_e, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return Object.assign([bytes('whole')], {
        close() {
          throw new Error('close failed')
        },
      })
    }
    const fastify = Fastify()
    await fastify.register(toFastify(app, { handlerClass: Quiet }))
    const base = await listenFastify(fastify)
    await fetch(`${base}/`)
      .then((r) => r.text())
      .catch(() => '')
    await settled(() => logged.length)
    expect(logged).toEqual([expect.objectContaining({ message: 'close failed' })])
  })

  it('works with fastify.inject() too', async () => {
    const fastify = Fastify()
    await fastify.register(toFastify(mountApp), { prefix: '/legacy' })
    const res = await fastify.inject({ method: 'DELETE', url: '/legacy/item/3?force=1' })
    expect(res.json<WSGIEnvironment>()).toEqual({
      method: 'DELETE',
      scriptName: '/legacy',
      pathInfo: '/item/3',
      query: 'force=1',
    })
  })

  it('answers a synchronous one-chunk response at once, through the same hooks as a later one', async () => {
    const seen: string[] = []
    class Watched extends FastifyHandler {
      override startNow(app: WSGIApplication): ReturnType<FastifyHandler['startNow']> {
        const outcome = super.startNow(app)
        seen.push(outcome instanceof Promise ? 'later' : 'now')
        return outcome
      }
    }
    const enc = new TextEncoder()
    const app: WSGIApplication = (environ, startResponse) => {
      startResponse('201 Created', [['Content-Type', 'text/plain']])
      const body = [enc.encode(`hello ${environ.PATH_INFO}`)]
      return environ.PATH_INFO === '/later' ? Promise.resolve(body) : body
    }
    const fastify = Fastify()
    fastify.addHook('onSend', async (_request, reply, payload) => {
      reply.header('x-on-send', 'yes')
      return payload
    })
    await fastify.register(toFastify(app, { handlerClass: Watched }), { prefix: '/g' })
    for (const path of ['/now', '/later']) {
      const res = await fastify.inject({ method: 'GET', url: `/g${path}` })
      expect(res.statusCode).toBe(201)
      expect(res.body).toBe(`hello ${path}`)
      expect(res.headers['x-on-send']).toBe('yes')
      expect(res.headers['content-length']).toBe(String(`hello ${path}`.length))
    }
    expect(seen).toEqual(['now', 'later'])
  })

  it('still calls start() of a handler class that overrides it', async () => {
    const started: string[] = []
    class Starting extends FastifyHandler {
      override start(app: WSGIApplication): ReturnType<FastifyHandler['start']> {
        started.push(this.fastifyRequest.url)
        return super.start(app)
      }
    }
    const fastify = Fastify()
    await fastify.register(toFastify(mountApp, { handlerClass: Starting }), { prefix: '/legacy' })
    const res = await fastify.inject({ method: 'GET', url: '/legacy/item' })
    expect(res.json<WSGIEnvironment>()).toMatchObject({ scriptName: '/legacy', pathInfo: '/item' })
    expect(started).toEqual(['/legacy/item'])
  })

  it('rejects an app that is not a function', () => {
    expect(() => toFastify('nope' as unknown as WSGIApplication)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })
})
