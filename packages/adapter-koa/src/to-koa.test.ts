import { Readable } from 'node:stream'
import { gunzipSync } from 'node:zlib'

import Router from '@koa/router'
import bodyParser from 'koa-bodyparser'
import compress from 'koa-compress'
import mount from 'koa-mount'
import { describe, expect, it, onTestFinished } from 'vitest'

import type { WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'

import {
  KOAS,
  MemoryErrors,
  bytes,
  dechunk,
  echoApp,
  fixedApp,
  rawRequest,
  serveKoa,
} from '../test/helpers.ts'
import { toKoa } from './to-koa.ts'

interface Echo {
  REQUEST_METHOD: string
  SCRIPT_NAME: string
  PATH_INFO: string
  QUERY_STRING: string
  CONTENT_LENGTH: string
  body: string
}

describe.each(KOAS)('toKoa(app) on %s', (_name, Koa) => {
  it('answers with the status, headers and body of the app', async () => {
    const koa = new Koa().use(
      toKoa(
        fixedApp(
          '201 Created',
          [
            ['Content-Type', 'text/plain'],
            ['X-App', 'yes'],
          ],
          ['hi ', 'there'],
        ),
      ),
    )
    const res = await fetch(await serveKoa(koa))
    expect(res.status).toBe(201)
    expect(res.statusText).toBe('Created')
    expect(res.headers.get('content-type')).toBe('text/plain')
    expect(res.headers.get('x-app')).toBe('yes')
    expect(await res.text()).toBe('hi there')
  })

  it('keeps a custom reason phrase', async () => {
    const koa = new Koa().use(toKoa(fixedApp('299 Quite Fine', [], ['x'])))
    const raw = await rawRequest(
      await serveKoa(koa),
      'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    )
    expect(raw.toString('latin1')).toMatch(/^HTTP\/1\.1 299 Quite Fine\r\n/)
  })

  it('adds no Content-Type of its own when the app sends none', async () => {
    const koa = new Koa().use(toKoa(fixedApp('200 OK', [], ['raw'])))
    const res = await fetch(await serveKoa(koa))
    expect(res.headers.get('content-type')).toBeNull()
    expect(await res.text()).toBe('raw')
  })

  it('sends every Set-Cookie byte for byte, after one set upstream', async () => {
    const cookies = [
      'a=1; Path=/; HttpOnly',
      'b=2, with comma; Expires=Wed, 21 Oct 2037 07:28:00 GMT',
    ]
    const koa = new Koa()
      .use(async (ctx, next) => {
        ctx.cookies.set('up', 'stream', { httpOnly: false })
        await next()
      })
      .use(
        toKoa(
          fixedApp(
            '200 OK',
            cookies.map((c) => ['Set-Cookie', c] as [string, string]),
          ),
        ),
      )
    const raw = await rawRequest(
      await serveKoa(koa),
      'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    )
    const lines = raw
      .toString('latin1')
      .split('\r\n')
      .filter((l) => l.toLowerCase().startsWith('set-cookie:'))
    expect(lines).toEqual([
      'Set-Cookie: up=stream; path=/',
      `Set-Cookie: ${cookies[0]}`,
      `Set-Cookie: ${cookies[1]}`,
    ])
  })

  it('gives the environ of the request, the whole path when not mounted', async () => {
    const koa = new Koa().use(toKoa(echoApp))
    const res = await fetch(`${await serveKoa(koa)}/caf%C3%A9/x?q=1&r=%20`, {
      method: 'POST',
      body: 'payload',
    })
    const echo = (await res.json()) as Echo
    expect(echo).toMatchObject({
      REQUEST_METHOD: 'POST',
      SCRIPT_NAME: '',
      PATH_INFO: '/caf\xc3\xa9/x',
      QUERY_STRING: 'q=1&r=%20',
      CONTENT_LENGTH: '7',
      body: 'payload',
    })
  })

  it.each([
    ['/legacy/a/b?x=1', { SCRIPT_NAME: '/legacy', PATH_INFO: '/a/b', QUERY_STRING: 'x=1' }],
    ['/legacy', { SCRIPT_NAME: '/legacy', PATH_INFO: '' }],
    ['/legacy/', { SCRIPT_NAME: '/legacy', PATH_INFO: '/' }],
    ['/legacy/legacy/z', { SCRIPT_NAME: '/legacy', PATH_INFO: '/legacy/z' }],
    ['/legacy/%E2%82%AC', { SCRIPT_NAME: '/legacy', PATH_INFO: '/\xe2\x82\xac' }],
  ])('splits SCRIPT_NAME/PATH_INFO at a koa-mount prefix for %s', async (path, expected) => {
    const koa = new Koa().use(mount('/legacy', toKoa(echoApp)))
    const res = await fetch(`${await serveKoa(koa)}${path}`)
    expect(await res.json()).toMatchObject(expected)
  })

  it('adds up nested koa-mount prefixes', async () => {
    const inner = new Koa().use(mount('/b', toKoa(echoApp)))
    const koa = new Koa().use(mount('/a', inner))
    const res = await fetch(`${await serveKoa(koa)}/a/b/c`)
    expect(await res.json()).toMatchObject({ SCRIPT_NAME: '/a/b', PATH_INFO: '/c' })
  })

  it.each([
    ['/legacy/{*rest}', '/legacy/x/y', { SCRIPT_NAME: '/legacy', PATH_INFO: '/x/y' }],
    ['/legacy{/*rest}', '/legacy', { SCRIPT_NAME: '/legacy', PATH_INFO: '' }],
    ['/legacy{/*rest}', '/legacy/x%20y', { SCRIPT_NAME: '/legacy', PATH_INFO: '/x y' }],
    ['/u/:id/files/{*rest}', '/u/7/files/a', { SCRIPT_NAME: '/u/7/files', PATH_INFO: '/a' }],
    ['/plain', '/plain', { SCRIPT_NAME: '', PATH_INFO: '/plain' }],
  ])('takes SCRIPT_NAME from a @koa/router route %s for %s', async (route, path, expected) => {
    const router = new Router()
    router.all(route, toKoa(echoApp))
    const koa = new Koa().use(router.routes())
    const res = await fetch(`${await serveKoa(koa)}${path}`)
    expect(await res.json()).toMatchObject(expected)
  })

  it('adds a router prefix under a koa-mount prefix', async () => {
    const router = new Router({ prefix: '/api' })
    router.all('/gw/{*rest}', toKoa(echoApp))
    const koa = new Koa().use(mount('/m', router.routes()))
    const res = await fetch(`${await serveKoa(koa)}/m/api/gw/deep/er?z`)
    expect(await res.json()).toMatchObject({
      SCRIPT_NAME: '/m/api/gw',
      PATH_INFO: '/deep/er',
      QUERY_STRING: 'z',
    })
  })

  it('takes SCRIPT_NAME from options.scriptName', async () => {
    const koa = new Koa().use(toKoa(echoApp, { scriptName: '/app/' }))
    const base = await serveKoa(koa)
    expect(await (await fetch(`${base}/app/x`)).json()).toMatchObject({
      SCRIPT_NAME: '/app',
      PATH_INFO: '/x',
    })
    expect(await (await fetch(`${base}/other`)).json()).toMatchObject({
      SCRIPT_NAME: '/app',
      PATH_INFO: '/other',
    })
  })

  it('puts the Koa context in the environ', async () => {
    let seen: unknown
    const koa = new Koa()
      .use(async (ctx, next) => {
        ctx.state['user'] = 'ann'
        await next()
      })
      .use(
        toKoa((environ, startResponse) => {
          seen = (environ['wsgits.koa_context'] as { state: Record<string, unknown> }).state['user']
          startResponse('204 No Content', [])
          return []
        }),
      )
    const res = await fetch(await serveKoa(koa))
    expect(res.status).toBe(204)
    expect(seen).toBe('ann')
  })

  it('sends no body for HEAD, but keeps Content-Length', async () => {
    const koa = new Koa().use(
      toKoa(
        fixedApp(
          '200 OK',
          [
            ['Content-Type', 'text/plain'],
            ['Content-Length', '5'],
          ],
          ['hello'],
        ),
      ),
    )
    const raw = await rawRequest(
      await serveKoa(koa),
      'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    )
    const text = raw.toString('latin1')
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(text.toLowerCase()).toContain('content-length: 5\r\n')
    expect(text.endsWith('\r\n\r\n')).toBe(true)
  })

  it.each([
    ['204 No Content', 204],
    ['304 Not Modified', 304],
  ] as const)('sends no body for %s', async (status, code) => {
    let closed = false
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse(status, [['ETag', '"x"']])
      return Object.assign([bytes('never sent')], {
        close: () => {
          closed = true
        },
      })
    }
    const koa = new Koa().use(toKoa(app))
    const raw = await rawRequest(
      await serveKoa(koa),
      'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    )
    const text = raw.toString('latin1')
    expect(text.startsWith(`HTTP/1.1 ${code} `)).toBe(true)
    expect(text).toContain('ETag: "x"\r\n')
    expect(text.endsWith('\r\n\r\n')).toBe(true)
    expect(closed).toBe(true)
  })

  it('resolves at the head, so Koa responds while the body streams', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/event-stream']])
      return (async function* () {
        yield bytes('data: first\n\n')
        await gate
        yield bytes('data: second\n\n')
      })()
    }
    const koa = new Koa().use(toKoa(app))
    const res = await fetch(await serveKoa(koa))
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toBe('data: first\n\n')
    release()
    let rest = ''
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      rest += new TextDecoder().decode(value)
    }
    expect(rest).toBe('data: second\n\n')
  })

  it('sends the head at once when the app flushes it with an empty chunk (SSE)', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    onTestFinished(() => {
      release()
    })
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/event-stream']])
      return (async function* () {
        // wsgiref sends the head on this empty write; nothing else comes until the client has it
        // (without the flush, fetch waits for a body byte that never comes).
        yield new Uint8Array(0)
        await gate
        yield bytes('data: late\n\n')
      })()
    }
    const koa = new Koa().use(toKoa(app))
    const res = await fetch(await serveKoa(koa))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    release()
    expect(await res.text()).toBe('data: late\n\n')
  })

  it('flushes the head only when Koa pipes the body, after upstream middleware ran', async () => {
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return (async function* () {
        yield new Uint8Array(0)
        await new Promise((resolve) => setTimeout(resolve, 10))
        yield bytes('body')
      })()
    }
    const koa = new Koa()
      .use(async (ctx, next) => {
        await next()
        ctx.set('X-Upstream', 'after')
      })
      .use(toKoa(app))
    const res = await fetch(await serveKoa(koa))
    expect(res.headers.get('x-upstream')).toBe('after')
    expect(await res.text()).toBe('body')
  })

  it('holds the app back while the client does not read (backpressure)', async () => {
    let produced = 0
    const chunk = new Uint8Array(64 * 1024)
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'application/octet-stream']])
      return (function* () {
        for (let i = 0; i < 300; i++) {
          produced++
          yield chunk
        }
      })()
    }
    const koa = new Koa().use(toKoa(app))
    const res = await fetch(await serveKoa(koa))
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    // Give the app every chance to run ahead.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setTimeout(resolve, 100))
    // 19 MiB would be all of it; socket buffers and the streams hold a few MiB at most.
    expect(produced).toBeLessThan(150)
    let total = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.length
    }
    expect(produced).toBe(300)
    expect(total).toBeGreaterThan(0)
  })

  it("passes an error before the head to Koa's error handling", async () => {
    const failure = new Error('boom')
    let caught: unknown
    const koa = new Koa()
      .use(async (ctx, next) => {
        try {
          await next()
        } catch (error) {
          caught = error
          ctx.status = 503
          ctx.body = 'handled upstream'
        }
      })
      .use(
        toKoa(() => {
          throw failure
        }),
      )
    const res = await fetch(await serveKoa(koa))
    expect(res.status).toBe(503)
    expect(await res.text()).toBe('handled upstream')
    expect(caught).toBe(failure)
  })

  it("answers 500 through ctx.onerror and emits app 'error' when nobody catches", async () => {
    const koa = new Koa().use(
      toKoa((_environ, startResponse) => {
        startResponse('200 OK', [])
        return {
          [Symbol.iterator]: () => ({
            next: (): IteratorResult<Uint8Array> => {
              throw new Error('before the first chunk')
            },
          }),
        }
      }),
    )
    const errors: unknown[] = []
    koa.on('error', (error: unknown) => errors.push(error))
    const res = await fetch(await serveKoa(koa))
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('Internal Server Error')
    expect(errors).toHaveLength(1)
    expect((errors[0] as Error).message).toBe('before the first chunk')
  })

  it('cuts the connection when the app fails after the head', async () => {
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return (async function* () {
        yield bytes('partial')
        await new Promise((resolve) => setTimeout(resolve, 20))
        throw new Error('late')
      })()
    }
    const koa = new Koa().use(toKoa(app, { errors: new MemoryErrors() }))
    koa.on('error', () => undefined)
    const raw = await rawRequest(await serveKoa(koa), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    const text = raw.toString('latin1')
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(text).toContain('partial')
    // Chunked, but the terminating zero-size chunk never comes.
    expect(text.endsWith('0\r\n\r\n')).toBe(false)
  })

  it('replays a body koa-bodyparser already read', async () => {
    const koa = new Koa().use(bodyParser()).use(toKoa(echoApp))
    const sent = JSON.stringify({ café: 'ü' })
    const res = await fetch(await serveKoa(koa), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: sent,
    })
    const echo = (await res.json()) as Echo
    expect(Buffer.from(echo.body, 'latin1').toString('utf8')).toBe(sent)
    expect(echo.CONTENT_LENGTH).toBe(String(Buffer.byteLength(sent)))
  })

  it('fails reads of a body that was read and not kept, without hanging', async () => {
    let error: unknown
    const koa = new Koa()
      .use(async (ctx, next) => {
        // Read the body and drop it, as a parser that keeps nothing would.
        await new Promise((resolve) => ctx.req.resume().once('end', resolve))
        await next()
      })
      .use(
        toKoa(async (environ, startResponse) => {
          try {
            await environ['wsgi.input'].read()
          } catch (e) {
            error = e
          }
          startResponse('200 OK', [])
          return []
        }),
      )
    const res = await fetch(await serveKoa(koa), { method: 'POST', body: 'lost' })
    expect(res.status).toBe(200)
    expect(error).toMatchObject({ code: 'ERR_WSGI_BODY_ALREADY_READ' })
  })

  it('falls through to next() on a 404 with fallthrough: true', async () => {
    let closed = false
    const app: WSGIApplication = (environ: WSGIEnvironment, startResponse) => {
      if (environ.PATH_INFO === '/known') {
        startResponse('200 OK', [])
        return [bytes('gateway')]
      }
      startResponse('404 Not Found', [['Content-Type', 'text/plain']])
      return Object.assign([bytes('nope')], {
        close: () => {
          closed = true
        },
      })
    }
    const koa = new Koa().use(toKoa(app, { fallthrough: true })).use((ctx) => {
      ctx.body = 'koa'
    })
    const base = await serveKoa(koa)
    expect(await (await fetch(`${base}/known`)).text()).toBe('gateway')
    const res = await fetch(`${base}/other`)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('koa')
    expect(closed).toBe(true)
  })

  it('lets koa-compress upstream compress the streamed body', async () => {
    const text = 'compress me '.repeat(1000)
    const koa = new Koa()
      .use(compress({ threshold: 0 }))
      .use(
        toKoa(
          fixedApp(
            '200 OK',
            [['Content-Type', 'text/plain']],
            [text.slice(0, 6000), text.slice(6000)],
          ),
        ),
      )
    const raw = await rawRequest(
      await serveKoa(koa),
      'GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n',
    )
    const head = raw.subarray(0, raw.indexOf('\r\n\r\n')).toString('latin1')
    expect(head.toLowerCase()).toContain('content-encoding: gzip')
    const res = await fetch(await serveKoa(koa), { headers: { 'Accept-Encoding': 'gzip' } })
    expect(res.headers.get('content-encoding')).toBe('gzip')
    // fetch decompresses; compare with the original, and check the wire bytes are gzip.
    expect(await res.text()).toBe(text)
    const body = dechunk(raw.subarray(raw.indexOf('\r\n\r\n') + 4))
    expect(gunzipSync(body).toString('utf8')).toBe(text)
  })

  it('lets a logger upstream see the final status', async () => {
    const log: string[] = []
    const koa = new Koa()
      .use(async (ctx, next) => {
        await next()
        log.push(`${ctx.method} ${ctx.path} ${ctx.status}`)
      })
      .use(toKoa(fixedApp("418 I'm a teapot", [], ['short and stout'])))
    const res = await fetch(`${await serveKoa(koa)}/pot`)
    expect(res.status).toBe(418)
    expect(log).toEqual(['GET /pot 418'])
  })

  it('stops the app when the client goes away mid-body', async () => {
    let closed = false
    let signal: AbortSignal | undefined
    const app: WSGIApplication = (environ, startResponse) => {
      signal = environ['wsgits.signal']
      startResponse('200 OK', [])
      return Object.assign(
        (async function* () {
          for (;;) {
            yield new Uint8Array(16 * 1024)
            await new Promise((resolve) => setImmediate(resolve))
          }
        })(),
        {
          close: () => {
            closed = true
          },
        },
      )
    }
    const koa = new Koa().use(toKoa(app))
    // Koa reports the cut stream as an app error ('Premature close'); expected here.
    koa.on('error', () => undefined)
    const controller = new AbortController()
    const res = await fetch(await serveKoa(koa), { signal: controller.signal })
    await (res.body as ReadableStream<Uint8Array>).getReader().read()
    controller.abort()
    await expect.poll(() => closed).toBe(true)
    expect(signal?.aborted).toBe(true)
  })

  it('does not abort the signal of a request that completed', async () => {
    let signal: AbortSignal | undefined
    const koa = new Koa().use(
      toKoa(async (environ, startResponse) => {
        signal = environ['wsgits.signal']
        await environ['wsgi.input'].read()
        startResponse('200 OK', [])
        return [bytes('ok')]
      }),
    )
    const server = await serveKoa(koa)
    expect(await (await fetch(server, { method: 'POST', body: 'x' })).text()).toBe('ok')
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(signal?.aborted).toBe(false)
  })

  it('reads a streamed upload', async () => {
    const koa = new Koa().use(toKoa(echoApp))
    const parts = ['one,', 'two,', 'three']
    const res = await fetch(await serveKoa(koa), {
      method: 'POST',
      body: Readable.toWeb(Readable.from(parts.map((p) => Buffer.from(p)))),
      duplex: 'half',
    })
    expect(((await res.json()) as Echo).body).toBe('one,two,three')
  })

  it('rejects a non-function app', () => {
    expect(() => toKoa('nope' as unknown as WSGIApplication)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })
})
