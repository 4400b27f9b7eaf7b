/* eslint-disable @typescript-eslint/require-await -- Fastify routes and hooks are async functions by
   convention: what they return is the reply, with or without an await inside. */
/**
 * Fastify's own plugins across the bridge, over real sockets: a Fastify app using them run as a
 * gateway app (compared with the same instance on Fastify's own server), and a gateway app
 * mounted in a Fastify app that uses them.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'

import compress from '@fastify/compress'
import cookie from '@fastify/cookie'
import cors from '@fastify/cors'
import formbody from '@fastify/formbody'
import helmet from '@fastify/helmet'
import multipart from '@fastify/multipart'
import fastifyStatic from '@fastify/static'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it, onTestFinished } from 'vitest'

import type { WSGIApplication } from '@wsgi/core/types'

import { fromFastify, toFastify } from '../src/index.ts'
import { bytes, listenFastify, send, serveGateway } from './helpers.ts'

// Headers that belong to each connection, not to the app.
const PER_CONNECTION = new Set(['date', 'connection', 'keep-alive'])

interface Seen {
  status: number
  headers: [string, string][]
  body: string
}

async function see(res: Response): Promise<Seen> {
  const headers = [...res.headers].filter(([name]) => !PER_CONNECTION.has(name))
  return {
    status: res.status,
    headers,
    body: Buffer.from(await res.arrayBuffer()).toString('latin1'),
  }
}

/**
 * The same instance on Fastify's own server and as a gateway app under core's Node bridge:
 * `request(base)` must see the same response from both.
 */
async function bothWays(fastify: FastifyInstance): Promise<[native: string, bridged: string]> {
  const bridged = await serveGateway(fromFastify(fastify))
  const native = await listenFastify(fastify)
  return [native, bridged]
}

async function expectSame(
  [native, bridged]: [string, string],
  request: (base: string) => Promise<Response>,
): Promise<Seen> {
  const expected = await see(await request(native))
  expect(await see(await request(bridged))).toEqual(expected)
  return expected
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wsgi-fastify-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  return dir
}

describe('a Fastify app with plugins, as a gateway app (fromFastify)', () => {
  it('@fastify/cookie: reads cookies and sets several, byte for byte', async () => {
    const fastify = Fastify()
    await fastify.register(cookie, { secret: 's3cret' })
    fastify.get('/cookies', async (request, reply) => {
      reply
        .setCookie('session', 'abc', { path: '/', httpOnly: true, sameSite: 'lax' })
        .setCookie('theme', 'dark mode', { maxAge: 3600, path: '/' })
        .setCookie('signed', 'v', { signed: true, path: '/' })
      return { got: request.cookies }
    })
    const seen = await expectSame(await bothWays(fastify), (base) =>
      fetch(`${base}/cookies`, { headers: { cookie: 'a=1; b=two' } }),
    )
    expect(seen.headers.filter(([n]) => n === 'set-cookie')).toHaveLength(3)
    expect(JSON.parse(seen.body)).toEqual({ got: { a: '1', b: 'two' } })
  })

  it('@fastify/cors: preflights and simple requests', async () => {
    const fastify = Fastify()
    await fastify.register(cors, { origin: 'https://app.example', credentials: true })
    fastify.put('/data', async () => ({ ok: true }))
    const bases = await bothWays(fastify)
    const preflight = await expectSame(bases, (base) =>
      fetch(`${base}/data`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT' },
      }),
    )
    expect(preflight.status).toBe(204)
    const simple = await expectSame(bases, (base) =>
      fetch(`${base}/data`, { method: 'PUT', headers: { origin: 'https://app.example' } }),
    )
    expect(Object.fromEntries(simple.headers)['access-control-allow-origin']).toBe(
      'https://app.example',
    )
  })

  it('@fastify/static: files, Range (206) and If-None-Match (304)', async () => {
    const dir = await tempDir()
    const content = Buffer.alloc(200_000)
    for (let i = 0; i < content.length; i++) content[i] = i % 251
    await writeFile(join(dir, 'data.bin'), content)
    const fastify = Fastify()
    await fastify.register(fastifyStatic, { root: dir, prefix: '/files/' })
    const [native, bridged] = await bothWays(fastify)
    for (const base of [native, bridged]) {
      const whole = await fetch(`${base}/files/data.bin`)
      expect(whole.status).toBe(200)
      expect(Buffer.from(await whole.arrayBuffer()).equals(content)).toBe(true)
      const etag = whole.headers.get('etag')!

      const range = await fetch(`${base}/files/data.bin`, { headers: { range: 'bytes=1000-1999' } })
      expect(range.status).toBe(206)
      expect(range.headers.get('content-range')).toBe(`bytes 1000-1999/${content.length}`)
      expect(Buffer.from(await range.arrayBuffer()).equals(content.subarray(1000, 2000))).toBe(true)

      // Through node:http: fetch would add `Cache-Control: no-cache`, which disables 304s.
      const cached = await send(`${base}/files/data.bin`, { headers: { 'if-none-match': etag } })
      expect(cached.status).toBe(304)
      expect(cached.body).toHaveLength(0)
      expect(cached.headers.etag).toBe(etag)

      const head = await fetch(`${base}/files/data.bin`, { method: 'HEAD' })
      expect(head.headers.get('content-length')).toBe(String(content.length))
      expect(await head.text()).toBe('')
    }
    const seen = await see(
      await fetch(`${bridged}/files/data.bin`, { headers: { range: 'bytes=-10' } }),
    )
    expect(seen.status).toBe(206)
    expect(Buffer.from(seen.body, 'latin1').equals(content.subarray(-10))).toBe(true)
  })

  it('@fastify/multipart: a large file streamed, and fields', async () => {
    const fastify = Fastify()
    await fastify.register(multipart, { limits: { fileSize: 64 * 1024 * 1024 } })
    fastify.post('/upload', async (request) => {
      const hash = createHash('sha256')
      let size = 0
      let filename = ''
      const fields: Record<string, string> = {}
      for await (const part of request.parts()) {
        if (part.type === 'file') {
          filename = part.filename
          for await (const chunk of part.file) {
            hash.update(chunk as Buffer)
            size += (chunk as Buffer).length
          }
        } else {
          fields[part.fieldname] = String(part.value)
        }
      }
      return { filename, size, sha256: hash.digest('hex'), fields }
    })
    const base = await serveGateway(fromFastify(fastify))
    const file = Buffer.alloc(6 * 1024 * 1024 + 123)
    for (let i = 0; i < file.length; i += 4096) file[i] = (i / 4096) % 256
    const form = new FormData()
    form.append('title', 'report')
    form.append('doc', new Blob([file]), 'big.bin')
    const res = await fetch(`${base}/upload`, { method: 'POST', body: form })
    expect(await res.json()).toEqual({
      filename: 'big.bin',
      size: file.length,
      sha256: createHash('sha256').update(file).digest('hex'),
      fields: { title: 'report' },
    })
  })

  it('@fastify/compress: gzip and brotli bodies that decompress to the original', async () => {
    const text = 'All work and no play makes Jack a dull boy. '.repeat(2000)
    const fastify = Fastify()
    await fastify.register(compress, { global: true })
    fastify.get('/text', async (_request, reply) => reply.type('text/plain').send(text))
    const [native, bridged] = await bothWays(fastify)
    const decode = { gzip: gunzipSync, br: brotliDecompressSync }
    for (const encoding of ['gzip', 'br'] as const) {
      for (const base of [native, bridged]) {
        // node:http hands over the compressed bytes as they came.
        const res = await send(`${base}/text`, { headers: { 'accept-encoding': encoding } })
        expect(res.headers['content-encoding']).toBe(encoding)
        expect(res.body.length).toBeLessThan(text.length / 10)
        expect(decode[encoding](res.body).toString()).toBe(text)
      }
    }
  })

  it('@fastify/helmet: the same security headers', async () => {
    const fastify = Fastify()
    await fastify.register(helmet)
    fastify.get('/', async () => 'safe')
    const seen = await expectSame(await bothWays(fastify), (base) => fetch(`${base}/`))
    expect(Object.fromEntries(seen.headers)['x-frame-options']).toBe('SAMEORIGIN')
  })

  it('@fastify/formbody: urlencoded bodies parsed', async () => {
    const fastify = Fastify()
    await fastify.register(formbody)
    fastify.post('/form', async (request) => request.body)
    await expectSame(await bothWays(fastify), (base) =>
      fetch(`${base}/form`, { method: 'POST', body: new URLSearchParams({ a: '1', b: 'x y' }) }),
    )
  })
})

describe('a gateway app inside a Fastify app with plugins (toFastify)', () => {
  const echo: WSGIApplication = async (environ, startResponse) => {
    const body = await environ['wsgi.input'].read()
    startResponse('200 OK', [
      ['Content-Type', 'text/plain'],
      ['Vary', 'Accept'],
      ['Set-Cookie', 'fromApp=1'],
      ['X-Content-Length', String(environ.CONTENT_LENGTH)],
      ['X-Cookie', String(environ['HTTP_COOKIE'])],
    ])
    return [Buffer.concat([bytes(`${environ.REQUEST_METHOD} `), body])]
  }

  it('@fastify/cookie: cookies from hooks and from the app are all sent', async () => {
    const fastify = Fastify()
    await fastify.register(cookie)
    fastify.addHook('onRequest', async (request, reply) => {
      reply.setCookie('seen', String(Object.keys(request.cookies).length), { path: '/' })
    })
    await fastify.register(toFastify(echo), { prefix: '/app' })
    const base = await listenFastify(fastify)
    const res = await fetch(`${base}/app`, { headers: { cookie: 'x=1' } })
    expect(res.headers.getSetCookie().sort()).toEqual(['fromApp=1', 'seen=1; Path=/; SameSite=Lax'])
    expect(res.headers.get('x-cookie')).toBe('x=1')
  })

  it('@fastify/cors: preflights answered by CORS, Vary merged with the app', async () => {
    const fastify = Fastify()
    await fastify.register(cors, { origin: true })
    await fastify.register(toFastify(echo))
    const base = await listenFastify(fastify)
    const preflight = await fetch(`${base}/x`, {
      method: 'OPTIONS',
      headers: { origin: 'https://a.example', 'access-control-request-method': 'PUT' },
    })
    expect(preflight.status).toBe(204)
    const res = await fetch(`${base}/x`, { headers: { origin: 'https://a.example' } })
    expect(res.headers.get('access-control-allow-origin')).toBe('https://a.example')
    expect(res.headers.get('vary')).toBe('Origin, Accept')
    expect(await res.text()).toBe('GET ')
  })

  it('@fastify/helmet: security headers on the app response', async () => {
    const fastify = Fastify()
    await fastify.register(helmet)
    await fastify.register(toFastify(echo))
    const base = await listenFastify(fastify)
    const res = await fetch(`${base}/`)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-cookie')).toBe('undefined')
  })

  it('@fastify/compress: the streamed app body compressed, gzip request bodies decoded', async () => {
    const text = 'streamed line of text\n'.repeat(5000)
    const streaming: WSGIApplication = async (environ, startResponse) => {
      const body = await environ['wsgi.input'].read()
      startResponse('200 OK', [
        ['Content-Type', 'text/plain'],
        ['X-Content-Length', String(environ.CONTENT_LENGTH)],
        ['X-Received', String(body.length)],
      ])
      return (async function* () {
        for (const line of text.match(/.{1,1000}/gs) ?? []) yield bytes(line)
      })()
    }
    const fastify = Fastify()
    await fastify.register(compress, { global: true })
    await fastify.register(toFastify(streaming))
    const base = await listenFastify(fastify)
    const res = await fetch(`${base}/`, { headers: { 'accept-encoding': 'gzip' } })
    expect(res.headers.get('content-encoding')).toBe('gzip')
    expect(await res.text()).toBe(text)

    const payload = Buffer.from('x'.repeat(10000))
    const upload = await fetch(`${base}/`, {
      method: 'POST',
      headers: { 'content-encoding': 'gzip', 'content-type': 'text/plain' },
      body: gzipSync(payload),
    })
    expect(upload.headers.get('x-received')).toBe(String(payload.length))
    expect(upload.headers.get('x-content-length')).toBe('')
  })

  it('@fastify/formbody and @fastify/multipart registered first leave the body to the app', async () => {
    const fastify = Fastify()
    await fastify.register(formbody)
    await fastify.register(multipart)
    await fastify.register(toFastify(echo))
    const base = await listenFastify(fastify)
    const form = await fetch(`${base}/`, {
      method: 'POST',
      body: new URLSearchParams({ a: 'b c' }),
    })
    expect(await form.text()).toBe('POST a=b+c')
    const data = new FormData()
    data.append('f', 'v')
    const multi = await fetch(`${base}/`, { method: 'POST', body: data })
    expect(await multi.text()).toContain('name="f"')
  })

  it('@fastify/static and native routes side by side with gateway apps', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'hello.txt'), 'static hello')
    const fastify = Fastify()
    await fastify.register(fastifyStatic, { root: dir, prefix: '/static/' })
    fastify.get('/api/native', async () => ({ native: true }))
    await fastify.register(toFastify(echo), { prefix: '/legacy' })
    await fastify.register(
      toFastify((environ, startResponse) => {
        startResponse('404 Not Found', [['Content-Type', 'text/plain']])
        return [bytes(`fallback ${String(environ.PATH_INFO)}`)]
      }),
    )
    const base = await listenFastify(fastify)
    expect(await (await fetch(`${base}/static/hello.txt`)).text()).toBe('static hello')
    expect(await (await fetch(`${base}/api/native`)).json()).toEqual({ native: true })
    expect(await (await fetch(`${base}/legacy/x`, { method: 'PUT', body: 'b' })).text()).toBe(
      'PUT b',
    )
    const fallback = await fetch(`${base}/nowhere`)
    expect(fallback.status).toBe(404)
    expect(await fallback.text()).toBe('fallback /nowhere')
  })
})
