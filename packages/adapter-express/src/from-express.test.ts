import { once } from 'node:events'
import { mkdtempSync, readFile, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import express from 'express'
import express4 from 'express4'

import { dispatch } from '@wsgi/core/dispatch'
import { toNodeListener } from '@wsgi/core/node'
import type { WSGIApplication } from '@wsgi/core/types'

import { bodyReader, listen, rawRequest, sleep } from '../test/helpers.ts'
import { fromExpress } from './from-express.ts'

let dir = ''
const BIG = Buffer.alloc(200_000, 'abcdefghij')

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wsgi-express-'))
  writeFileSync(join(dir, 'hello.txt'), 'Hello, static world!\n')
  writeFileSync(join(dir, 'big.bin'), BIG)
  writeFileSync(join(dir, 'page.tpl'), '<h1>Hello, {{name}}!</h1> from {{where}}')
  writeFileSync(join(dir, 'index.html'), '<p>index</p>')
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** A tiny view engine: `{{key}}` is replaced by `options[key]`. */
function tplEngine(
  file: string,
  options: object,
  callback: (error: Error | null, rendered?: string) => void,
): void {
  readFile(file, 'utf8', (error, text) => {
    if (error !== null) {
      callback(error)
      return
    }
    const values = options as Record<string, unknown>
    callback(
      null,
      text.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => String(values[key])),
    )
  })
}

/** One Express app with every feature under test; made twice, once per server. */
function makeApp(factory: typeof express): express.Express {
  const app = factory()
  app.engine('tpl', tplEngine)
  app.set('views', dir)
  app.set('view engine', 'tpl')
  app.get('/json', (req, res) => {
    res.json({ path: req.path, baseUrl: req.baseUrl, originalUrl: req.originalUrl, url: req.url })
  })
  app.get('/cookies', (_req, res) => {
    res.cookie('a', '1')
    res.cookie('b', 'two words', {
      httpOnly: true,
      path: '/x',
      expires: new Date(Date.UTC(2037, 9, 21)),
    })
    res.cookie('c', { obj: 1 }, { sameSite: 'strict' })
    res.send('cookies set')
  })
  app.get('/redirect', (_req, res) => {
    res.redirect('/api/json')
  })
  app.get('/file', (_req, res) => {
    res.sendFile(join(dir, 'hello.txt'))
  })
  app.get('/big', (_req, res) => {
    res.sendFile(join(dir, 'big.bin'))
  })
  app.get('/download', (_req, res) => {
    res.download(join(dir, 'hello.txt'), 'greeting.txt')
  })
  app.get('/render', (_req, res) => {
    res.render('page', { name: 'World', where: 'tpl' })
  })
  app.get('/status', (_req, res) => {
    res.sendStatus(204)
  })
  app.use('/static', factory.static(dir))
  const router = factory.Router()
  router.get('/item/:id', (req, res) => {
    res.type('text').send(`item ${req.params.id} at ${req.baseUrl}`)
  })
  app.use('/router', router)
  return app
}

/** A native server: the app mounted at /api in a parent Express app. */
async function serveNative(factory: typeof express): Promise<string> {
  const parent = factory()
  parent.use('/api', makeApp(factory))
  return listen(parent)
}

/** The bridge: the app behind a gateway dispatcher at /api, served by toNodeListener. */
async function serveBridged(factory: typeof express): Promise<string> {
  return listen(toNodeListener(dispatch({ '/api': fromExpress(makeApp(factory)) })))
}

const VOLATILE = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding'])

async function snapshot(
  base: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: [string, string][]; body: string }> {
  const res = await fetch(base + path, { redirect: 'manual', ...init })
  const headers = [...res.headers].filter(([name]) => !VOLATILE.has(name))
  const body = Buffer.from(await res.arrayBuffer()).toString('latin1')
  return { status: res.status, headers, body }
}

const CASES: [string, string, RequestInit?][] = [
  ['res.json', '/api/json?x=1'],
  ['res.json at the mount path', '/api/json/'],
  ['several res.cookie', '/api/cookies'],
  ['res.redirect', '/api/redirect'],
  ['res.sendFile', '/api/file'],
  ['res.sendFile, a range', '/api/big', { headers: { Range: 'bytes=100-199' } }],
  ['res.sendFile, HEAD', '/api/file', { method: 'HEAD' }],
  ['res.download', '/api/download'],
  ['res.render with a custom engine', '/api/render'],
  ['res.sendStatus(204)', '/api/status'],
  ['express.static', '/api/static/hello.txt'],
  ['express.static, index.html', '/api/static/'],
  ['express.static, the directory redirect', '/api/static'],
  ['express.static, two ranges', '/api/static/big.bin', { headers: { Range: 'bytes=0-9,-5' } }],
  [
    'express.static, an unsatisfiable range',
    '/api/static/big.bin',
    { headers: { Range: 'bytes=999999-' } },
  ],
  ['express.static, a missing file', '/api/static/nope.txt'],
  ['express.Router', '/api/router/item/42'],
  ['the final 404', '/api/nowhere'],
]

describe('fromExpress(expressApp)', () => {
  describe.each([
    ['Express 5', express],
    ['Express 4', express4],
  ])('on %s behaves as under its own server', (_name, factory) => {
    it.each(CASES)('%s', async (_label, path, init) => {
      const native = await serveNative(factory)
      const bridged = await serveBridged(factory)
      const expected = await snapshot(native, path, init)
      const actual = await snapshot(bridged, path, init)
      expect(actual).toEqual(expected)
    })

    it('answers a conditional request with 304 (ETag from express.static)', async () => {
      const bridged = await serveBridged(factory)
      const first = await fetch(`${bridged}/api/static/hello.txt`)
      const etag = first.headers.get('etag')
      expect(etag).toMatch(/^W\/"/)
      // Raw bytes: fetch() itself adds Cache-Control: no-cache to conditional requests.
      const second = await rawRequest(
        bridged,
        `GET /api/static/hello.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: ${etag ?? ''}\r\nConnection: close\r\n\r\n`,
      )
      expect(second).toMatch(/^HTTP\/1\.1 304 Not Modified\r\n/)
      expect(second).toContain(`\r\nETag: ${etag ?? ''}\r\n`)
      expect(second.endsWith('\r\n\r\n')).toBe(true)
    })
  })

  it('sets req.baseUrl, req.url and req.originalUrl from SCRIPT_NAME and PATH_INFO', async () => {
    const bridged = await serveBridged(express)
    expect(await (await fetch(`${bridged}/api/json?x=1`)).json()).toEqual({
      path: '/json',
      baseUrl: '/api',
      originalUrl: '/api/json?x=1',
      url: '/json?x=1',
    })
    const router = await (await fetch(`${bridged}/api/router/item/7`)).text()
    expect(router).toBe('item 7 at /api/router')
  })

  it('gives req.baseUrl and req.originalUrl of a request for the mount point itself', async () => {
    const app = express()
    app.use((req, res) => {
      res.json({ baseUrl: req.baseUrl, originalUrl: req.originalUrl, url: req.url })
    })
    const base = await listen(toNodeListener(dispatch({ '/api': fromExpress(app) })))
    expect(await (await fetch(`${base}/api?q=1`)).json()).toEqual({
      baseUrl: '/api',
      originalUrl: '/api?q=1',
      url: '/?q=1',
    })
  })

  describe('req.ip, req.protocol, req.secure and req.hostname', () => {
    function whoApp(trust: boolean): express.Express {
      const app = express()
      app.set('trust proxy', trust)
      app.get('/who', (req, res) => {
        res.json({
          ip: req.ip,
          ips: req.ips,
          protocol: req.protocol,
          secure: req.secure,
          hostname: req.hostname,
        })
      })
      return app
    }
    const forwarded = {
      'X-Forwarded-For': '203.0.113.7',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': 'public.example',
    }

    it('come from the environ, ignoring forwarded headers without trust proxy', async () => {
      const base = await listen(toNodeListener(fromExpress(whoApp(false))))
      const res = await fetch(`${base}/who`, { headers: forwarded })
      expect(await res.json()).toEqual({
        ip: '127.0.0.1',
        ips: [],
        protocol: 'http',
        secure: false,
        hostname: '127.0.0.1',
      })
    })

    it('follow the forwarded headers with trust proxy', async () => {
      const base = await listen(toNodeListener(fromExpress(whoApp(true))))
      const res = await fetch(`${base}/who`, { headers: forwarded })
      expect(await res.json()).toEqual({
        ip: '203.0.113.7',
        ips: ['203.0.113.7'],
        protocol: 'https',
        secure: true,
        hostname: 'public.example',
      })
    })

    it('read https from wsgi.url_scheme', async () => {
      const app = fromExpress(whoApp(false))
      const https: WSGIApplication = (environ, startResponse) =>
        app({ ...environ, 'wsgi.url_scheme': 'https', REMOTE_ADDR: '198.51.100.1' }, startResponse)
      const base = await listen(toNodeListener(https))
      const body = (await (await fetch(`${base}/who`)).json()) as Record<string, unknown>
      expect(body['protocol']).toBe('https')
      expect(body['secure']).toBe(true)
      expect(body['ip']).toBe('198.51.100.1')
    })
  })

  it('streams res.write() chunks as they are written', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    const app = express()
    app.get('/stream', async (_req, res) => {
      res.type('text')
      res.write('first;')
      await gate
      res.end('second')
    })
    const base = await listen(toNodeListener(fromExpress(app)))
    const res = await fetch(`${base}/stream`)
    const reader = bodyReader(res)
    const first = await reader.read()
    // The handler is still waiting on the gate: this chunk cannot come from a buffered end().
    expect(Buffer.from(first.value!).toString()).toBe('first;')
    release()
    let rest = ''
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      rest += Buffer.from(value).toString()
    }
    expect(rest).toBe('second')
  })

  it('tells res.write() the truth and emits drain when the gateway side catches up', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x')
    const rounds = 40
    const stats = { falses: 0, drains: 0 }
    const app = express()
    app.get('/flood', async (_req, res) => {
      res.type('bin')
      for (let i = 0; i < rounds; i++) {
        if (!res.write(chunk)) {
          stats.falses++
          await once(res, 'drain')
          stats.drains++
        }
      }
      res.end()
    })
    const base = await listen(toNodeListener(fromExpress(app)))
    const res = await fetch(`${base}/flood`)
    const reader = bodyReader(res)
    let total = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.length
      // A slow reader: the server side must wait for it.
      if (total < chunk.length * 4) await sleep(5)
    }
    expect(total).toBe(chunk.length * rounds)
    expect(stats.falses).toBeGreaterThan(0)
    expect(stats.drains).toBe(stats.falses)
  })

  it('shows the Express app a client that leaves: req aborted, res close without finish', async () => {
    const events: string[] = []
    let closed: () => void = () => undefined
    const closedSeen = new Promise<void>((resolve) => (closed = resolve))
    const app = express()
    app.get('/forever', (req, res) => {
      req.on('aborted', () => events.push('req aborted'))
      res.on('finish', () => events.push('res finish'))
      res.on('close', () => {
        events.push(`res close, finished=${String(res.writableFinished)}`)
        closed()
      })
      res.type('text')
      const timer = setInterval(() => res.write('tick\n'), 5)
      res.on('close', () => {
        clearInterval(timer)
      })
    })
    const base = await listen(toNodeListener(fromExpress(app)))
    const controller = new AbortController()
    const res = await fetch(`${base}/forever`, { signal: controller.signal })
    await bodyReader(res).read()
    controller.abort()
    await closedSeen
    expect(events).toContain('res close, finished=false')
    expect(events).not.toContain('res finish')
  })

  it('accepts an express.Router(), answering 404 when nothing matched', async () => {
    const router = express.Router()
    router.get('/hi', (req, res) => {
      // A Router outside an app has Node's plain res (no res.send), as under http.createServer.
      res.end(`hi from ${req.baseUrl}`)
    })
    const base = await listen(toNodeListener(dispatch({ '/r': fromExpress(router) })))
    expect(await (await fetch(`${base}/r/hi`)).text()).toBe('hi from /r')
    const missing = await fetch(`${base}/r/nope`)
    expect(missing.status).toBe(404)
    expect(await missing.text()).toBe('Not Found\n')
  })

  it('lets the gateway server answer 500 when a Router passes on a server error', async () => {
    const router = express.Router()
    router.get('/fail', () => {
      throw new Error('router boom')
    })
    const logged: string[] = []
    const errors = {
      write: (s: string) => logged.push(s),
      writelines: () => undefined,
      flush: () => undefined,
    }
    const base = await listen(toNodeListener(fromExpress(router), { errors }))
    const res = await fetch(`${base}/fail`)
    expect(res.status).toBe(500)
    expect(await res.text()).not.toContain('router boom')
    expect(logged.join('')).toContain('router boom')
  })

  it('throws ERR_WSGI_INVALID_ARG_TYPE for a non-function', () => {
    expect(() => fromExpress({} as unknown as express.Express)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })
})
