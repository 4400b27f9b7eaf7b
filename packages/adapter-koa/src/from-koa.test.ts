import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'

import Router from '@koa/router'
import bodyParser from 'koa-bodyparser'
import serveStatic from 'koa-static'
import { describe, expect, it, onTestFinished } from 'vitest'

import { dispatch } from '@wsgi/core/dispatch'

import { GATEWAY_SERVERS, KOAS, bytes, callApp, rawRequest, serveGateway } from '../test/helpers.ts'
import { environOf } from './environ-of.ts'
import { fromKoa } from './from-koa.ts'

describe.each(KOAS)('fromKoa(koaApp) on %s', (_name, Koa) => {
  describe.each(GATEWAY_SERVERS)('served by %s', (server) => {
    it('answers strings, buffers and JSON with their types and lengths', async () => {
      const koa = new Koa().use((ctx) => {
        if (ctx.path === '/text') ctx.body = 'héllo'
        else if (ctx.path === '/html') ctx.body = '<p>hi</p>'
        else if (ctx.path === '/buffer') ctx.body = Buffer.from([0, 1, 2, 255])
        else ctx.body = { ok: true, path: ctx.path }
      })
      const base = await serveGateway(fromKoa(koa), server)
      const text = await fetch(`${base}/text`)
      expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect(text.headers.get('content-length')).toBe('6')
      expect(await text.text()).toBe('héllo')
      const html = await fetch(`${base}/html`)
      expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8')
      const buffer = await fetch(`${base}/buffer`)
      expect(buffer.headers.get('content-type')).toBe('application/octet-stream')
      expect(new Uint8Array(await buffer.arrayBuffer())).toEqual(new Uint8Array([0, 1, 2, 255]))
      const json = await fetch(`${base}/json`)
      expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8')
      expect(await json.json()).toEqual({ ok: true, path: '/json' })
    })

    it('streams a ctx.body stream to the client whole', async () => {
      const block = Buffer.alloc(64 * 1024)
      for (let i = 0; i < block.length; i++) block[i] = (i * 31) & 0xff
      const blocks = 64
      const koa = new Koa().use((ctx) => {
        ctx.type = 'application/octet-stream'
        ctx.body = Readable.from(
          (function* () {
            for (let i = 0; i < blocks; i++) yield block
          })(),
        )
      })
      const res = await fetch(await serveGateway(fromKoa(koa), server))
      const got = Buffer.from(await res.arrayBuffer())
      const expected = createHash('sha256')
      for (let i = 0; i < blocks; i++) expected.update(block)
      expect(got.length).toBe(block.length * blocks)
      expect(createHash('sha256').update(got).digest('hex')).toBe(expected.digest('hex'))
    })

    it('holds a streamed ctx.body back while the client does not read', async () => {
      let produced = 0
      const koa = new Koa().use((ctx) => {
        ctx.body = Readable.from(
          (function* () {
            for (let i = 0; i < 300; i++) {
              produced++
              yield Buffer.alloc(64 * 1024, i)
            }
          })(),
        )
      })
      const res = await fetch(await serveGateway(fromKoa(koa), server))
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      await reader.read()
      await new Promise((resolve) => setTimeout(resolve, 100))
      // 19 MiB would be all of it: the sockets and stream buffers hold a few MiB at most.
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

    it('tells Koa when the client goes away: the body stream is destroyed', async () => {
      let destroyed = false
      let closedWithoutFinish = false
      const koa = new Koa().use((ctx) => {
        ctx.res.once('close', () => {
          closedWithoutFinish = !ctx.res.writableFinished
        })
        const body = Readable.from(
          (async function* () {
            for (;;) {
              yield Buffer.alloc(16 * 1024)
              await new Promise((resolve) => setImmediate(resolve))
            }
          })(),
        )
        body.once('close', () => {
          destroyed = true
        })
        ctx.body = body
      })
      koa.on('error', () => undefined)
      const controller = new AbortController()
      const res = await fetch(await serveGateway(fromKoa(koa), server), {
        signal: controller.signal,
      })
      await (res.body as ReadableStream<Uint8Array>).getReader().read()
      controller.abort()
      await expect.poll(() => destroyed).toBe(true)
      expect(closedWithoutFinish).toBe(true)
    })

    it('gives ctx.ip from REMOTE_ADDR, or X-Forwarded-For with app.proxy', async () => {
      const koa = new Koa().use((ctx) => {
        ctx.body = { ip: ctx.ip, ips: ctx.ips, protocol: ctx.protocol, secure: ctx.secure }
      })
      const base = await serveGateway(fromKoa(koa), server)
      const headers = { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https' }
      expect(await (await fetch(base, { headers })).json()).toEqual({
        ip: '127.0.0.1',
        ips: [],
        protocol: 'http',
        secure: false,
      })
      koa.proxy = true
      expect(await (await fetch(base, { headers })).json()).toEqual({
        ip: '203.0.113.7',
        ips: ['203.0.113.7'],
        protocol: 'https',
        secure: true,
      })
    })

    it('sets several cookies, signed ones too, and reads them back', async () => {
      const koa = new Koa({ keys: ['k1', 'k2'] }).use((ctx) => {
        if (ctx.path === '/set') {
          ctx.cookies.set('plain', 'v1')
          ctx.cookies.set('signed', 'v2', { signed: true, httpOnly: true })
          ctx.body = 'set'
        } else {
          ctx.body = {
            plain: ctx.cookies.get('plain') ?? null,
            signed: ctx.cookies.get('signed', { signed: true }) ?? null,
          }
        }
      })
      const base = await serveGateway(fromKoa(koa), server)
      const set = await fetch(`${base}/set`)
      const cookies = set.headers.getSetCookie()
      expect(cookies).toHaveLength(3)
      expect(cookies[0]).toBe('plain=v1; path=/; httponly')
      expect(cookies[1]).toBe('signed=v2; path=/; httponly')
      expect(cookies[2]).toMatch(/^signed\.sig=[\w-]+; path=\/; httponly$/)
      const jar = cookies.map((c) => c.split(';')[0]).join('; ')
      expect(await (await fetch(`${base}/get`, { headers: { Cookie: jar } })).json()).toEqual({
        plain: 'v1',
        signed: 'v2',
      })
      const forged = jar.replace('signed=v2', 'signed=evil')
      expect(await (await fetch(`${base}/get`, { headers: { Cookie: forged } })).json()).toEqual({
        plain: 'v1',
        signed: null,
      })
    })

    it("answers ctx.throw() with Koa's status and message", async () => {
      const koa = new Koa().use((ctx) => ctx.throw(422, 'no good'))
      const res = await fetch(await serveGateway(fromKoa(koa), server))
      expect(res.status).toBe(422)
      expect(await res.text()).toBe('no good')
    })

    it("reports a failure to app.on('error') and answers 500", async () => {
      const errors: unknown[] = []
      const koa = new Koa().use(() => {
        throw new Error('kaput')
      })
      koa.on('error', (error: unknown) => errors.push(error))
      const res = await fetch(await serveGateway(fromKoa(koa), server))
      expect(res.status).toBe(500)
      expect(await res.text()).toBe('Internal Server Error')
      expect(errors.map((e) => (e as Error).message)).toEqual(['kaput'])
    })

    it('routes with @koa/router', async () => {
      const router = new Router()
      router.get('/users/:id', (ctx) => {
        ctx.body = { id: ctx.params['id'] }
      })
      router.post('/users', (ctx) => {
        ctx.status = 201
      })
      const koa = new Koa().use(router.routes()).use(router.allowedMethods())
      const base = await serveGateway(fromKoa(koa), server)
      expect(await (await fetch(`${base}/users/42`)).json()).toEqual({ id: '42' })
      expect((await fetch(`${base}/users`, { method: 'POST' })).status).toBe(201)
      const put = await fetch(`${base}/users`, { method: 'PUT' })
      expect(put.status).toBe(405)
      expect(put.headers.get('allow')).toBe('POST')
    })

    it('serves files with koa-static, byte for byte, and HEAD', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wsgi-koa-static-'))
      onTestFinished(() => {
        rmSync(dir, { recursive: true, force: true })
      })
      const content = Buffer.alloc(100_000)
      for (let i = 0; i < content.length; i++) content[i] = (i * 13) & 0xff
      writeFileSync(join(dir, 'data.bin'), content)
      writeFileSync(join(dir, 'index.html'), '<h1>home</h1>')
      const koa = new Koa().use(serveStatic(dir))
      const base = await serveGateway(fromKoa(koa), server)
      const res = await fetch(`${base}/data.bin`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-length')).toBe('100000')
      expect(Buffer.from(await res.arrayBuffer()).equals(content)).toBe(true)
      const index = await fetch(`${base}/`)
      expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(await index.text()).toBe('<h1>home</h1>')
      const head = await rawRequest(
        base,
        'HEAD /data.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      )
      const text = head.toString('latin1')
      expect(text).toMatch(/^HTTP\/1\.[01] 200 OK\r\n/)
      expect(text.toLowerCase()).toContain('content-length: 100000\r\n')
      expect(text.endsWith('\r\n\r\n')).toBe(true)
      expect((await fetch(`${base}/missing.txt`)).status).toBe(404)
    })

    it('reads the request body as a stream, and through koa-bodyparser', async () => {
      const koa = new Koa()
        .use(async (ctx, next) => {
          if (ctx.path !== '/raw') {
            await next()
            return
          }
          const hash = createHash('sha256')
          let length = 0
          for await (const chunk of ctx.req) {
            hash.update(chunk as Buffer)
            length += (chunk as Buffer).length
          }
          ctx.body = { length, sha256: hash.digest('hex') }
        })
        .use(bodyParser())
        .use((ctx) => {
          ctx.body = { parsed: ctx.request.body ?? null }
        })
      const base = await serveGateway(fromKoa(koa), server)
      const upload = Buffer.alloc(300_000, 7)
      const raw = await fetch(`${base}/raw`, { method: 'POST', body: upload })
      expect(await raw.json()).toEqual({
        length: upload.length,
        sha256: createHash('sha256').update(upload).digest('hex'),
      })
      const parsed = await fetch(`${base}/json`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ a: [1, 'é'] }),
      })
      expect(await parsed.json()).toEqual({ parsed: { a: [1, 'é'] } })
    })

    it('sends no body for HEAD, 204 and 304', async () => {
      const koa = new Koa().use((ctx) => {
        if (ctx.path === '/204') ctx.status = 204
        else {
          ctx.set('ETag', '"v"')
          ctx.body = 'content'
          // Koa's own conditional GET: fresh when If-None-Match matches the ETag.
          if (ctx.fresh) ctx.status = 304
        }
      })
      const base = await serveGateway(fromKoa(koa), server)
      for (const [request, code] of [
        ['HEAD / HTTP/1.1', 200],
        ['GET /204 HTTP/1.1', 204],
        ['GET / HTTP/1.1\r\nIf-None-Match: "v"', 304],
      ] as const) {
        const raw = await rawRequest(base, `${request}\r\nHost: x\r\nConnection: close\r\n\r\n`)
        const text = raw.toString('latin1')
        expect(text).toMatch(new RegExp(`^HTTP/1\\.[01] ${code} `))
        expect(text.endsWith('\r\n\r\n')).toBe(true)
      }
    })

    it('cuts the connection when a streamed body fails midway', async () => {
      const koa = new Koa().use((ctx) => {
        ctx.body = Readable.from(
          (async function* () {
            yield Buffer.from('start ')
            await new Promise((resolve) => setTimeout(resolve, 20))
            throw new Error('stream broke')
          })(),
        )
      })
      koa.on('error', () => undefined)
      const base = await serveGateway(fromKoa(koa, {}), server)
      const raw = await rawRequest(base, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
      const text = raw.toString('latin1')
      expect(text).toContain('start ')
      expect(text.endsWith('0\r\n\r\n')).toBe(false)
    })
  })

  it('shows a gateway mount as koa-mount does: ctx.path, ctx.mountPath, ctx.originalUrl', async () => {
    const koa = new Koa().use((ctx) => {
      ctx.body = {
        path: ctx.path,
        url: ctx.url,
        mountPath: (ctx['mountPath'] as string | undefined) ?? null,
        originalUrl: ctx.originalUrl,
        href: ctx.href,
        scriptName: environOf(ctx)?.SCRIPT_NAME ?? null,
      }
    })
    const base = await serveGateway(dispatch({ '/api/v1': fromKoa(koa) }))
    expect(await (await fetch(`${base}/api/v1/users/%C3%A9?x=1`)).json()).toEqual({
      path: '/users/%C3%A9',
      url: '/users/%C3%A9?x=1',
      mountPath: '/api/v1',
      originalUrl: '/api/v1/users/%C3%A9?x=1',
      href: `${base}/api/v1/users/%C3%A9?x=1`,
      scriptName: '/api/v1',
    })
    expect(await (await fetch(`${base}/api/v1`)).json()).toMatchObject({
      path: '/',
      mountPath: '/api/v1',
      originalUrl: '/api/v1',
    })
  })

  it('shows the full path with fullPath: true', async () => {
    const koa = new Koa().use((ctx) => {
      ctx.body = { path: ctx.path, mountPath: (ctx['mountPath'] as string | undefined) ?? null }
    })
    const base = await serveGateway(dispatch({ '/api': fromKoa(koa, { fullPath: true }) }))
    expect(await (await fetch(`${base}/api/x`)).json()).toEqual({ path: '/api/x', mountPath: null })
  })

  it('is secure when wsgi.url_scheme is https', async () => {
    const koa = new Koa().use((ctx) => {
      ctx.body = { protocol: ctx.protocol, secure: ctx.secure, host: ctx.host, ip: ctx.ip }
    })
    const res = await callApp(fromKoa(koa), {
      HTTPS: 'on',
      'wsgi.url_scheme': 'https',
      SERVER_NAME: 'example.org',
      SERVER_PORT: '8443',
      HTTP_HOST: 'example.org:8443',
      REMOTE_ADDR: '198.51.100.2',
    })
    expect(res.status).toBe('200 OK')
    expect(JSON.parse(res.body.toString('utf8'))).toEqual({
      protocol: 'https',
      secure: true,
      host: 'example.org:8443',
      ip: '198.51.100.2',
    })
  })

  it('keeps every Set-Cookie apart in the gateway header list', async () => {
    const koa = new Koa().use((ctx) => {
      ctx.append('Set-Cookie', 'a=1')
      ctx.append('Set-Cookie', 'b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT')
      ctx.body = ''
    })
    const res = await callApp(fromKoa(koa))
    expect(res.headers.filter(([name]) => name.toLowerCase() === 'set-cookie')).toEqual([
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT'],
    ])
  })

  it('reads the middleware list at the first request', async () => {
    const koa = new Koa()
    const app = fromKoa(koa)
    koa.use((ctx) => {
      ctx.body = 'added later'
    })
    expect((await callApp(app)).body.toString()).toBe('added later')
  })

  it('leaves the Koa app as it was, apart from the default error listener', async () => {
    const koa = new Koa().use((ctx) => {
      ctx.body = ctx.app === koa ? 'same' : Object.getPrototypeOf(ctx.app) === koa ? 'child' : 'x'
    })
    const before = Object.keys(koa).sort()
    expect((await callApp(fromKoa(koa))).body.toString()).toBe('child')
    expect(Object.keys(koa).sort()).toEqual(before)
    expect(koa.listenerCount('error')).toBe(1)
  })

  it('rejects what is not a Koa app', () => {
    expect(() => fromKoa({} as unknown as InstanceType<typeof Koa>)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })

  it('passes the body bytes in one piece when asked for small reads', async () => {
    const koa = new Koa().use(async (ctx) => {
      const parts: Buffer[] = []
      for await (const chunk of ctx.req) parts.push(chunk as Buffer)
      ctx.body = Buffer.concat(parts)
    })
    const res = await callApp(
      fromKoa(koa, { readSize: 3 }),
      { REQUEST_METHOD: 'POST' },
      'abcdefghij',
    )
    expect(res.body.toString()).toBe('abcdefghij')
    expect(bytes('x')).toHaveLength(1)
  })
})
