/**
 * Real Express 5 and Koa 3 apps run through fromNodeListener in-process. The frameworks are
 * dev dependencies of the adapter packages, so they are loaded from there.
 */
import { Buffer } from 'node:buffer'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { Readable } from 'node:stream'
import { gunzipSync } from 'node:zlib'

import { describe, expect, it } from 'vitest'

import { InputReader } from '../_internal/input.ts'
import type { HeaderList, ResponseBody, WSGIEnvironment } from '../types.ts'
import { fromNodeListener } from './from-node-listener.ts'
import type { NodeListener } from './from-node-listener.ts'

const requireExpress = createRequire(
  new URL('../../../adapter-express/package.json', import.meta.url),
)
const requireKoa = createRequire(new URL('../../../adapter-koa/package.json', import.meta.url))

// Just the parts of the framework APIs these tests use.
type Handler = (req: ExpressRequest, res: ExpressResponse, next: (err?: unknown) => void) => void
type ErrorHandler = (
  err: Error,
  req: ExpressRequest,
  res: ExpressResponse,
  next: () => void,
) => void
interface ExpressRequest extends IncomingMessage {
  ip: string
  protocol: string
  hostname: string
  secure: boolean
  path: string
  baseUrl: string
  originalUrl: string
  body: unknown
  params: Record<string, string>
  query: Record<string, unknown>
}
interface ExpressResponse extends ServerResponse {
  json(value: unknown): this
  cookie(name: string, value: string, options?: object): this
  redirect(url: string): void
  sendStatus(code: number): this
  send(body: unknown): this
  status(code: number): this
  flush?: () => void
}
interface ExpressApp extends NodeListener {
  use(...handlers: (Handler | ErrorHandler | string)[]): this
  get(path: string, ...handlers: Handler[]): this
  post(path: string, ...handlers: Handler[]): this
  set(name: string, value: unknown): this
}
interface Express {
  (): ExpressApp
  json(): Handler
}
interface KoaContext {
  body: unknown
  status: number
  path: string
  url: string
  originalUrl: string
  host: string
  protocol: string
  secure: boolean
  method: string
  request: { ip: string; body?: unknown }
  cookies: { set(name: string, value: string, options?: object): void }
  set(name: string, value: string): void
  throw(status: number, message?: string): never
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void> | void
interface KoaApp {
  use(middleware: KoaMiddleware): this
  callback(): NodeListener
  keys: string[]
  silent: boolean
}

const express = requireExpress('express') as Express
const helmet = requireExpress('helmet') as () => Handler
const cors = requireExpress('cors') as () => Handler
const compression = requireExpress('compression') as (options?: object) => Handler
const morgan = requireExpress('morgan') as (format: string, options: object) => Handler
interface MulterFile {
  fieldname: string
  originalname: string
  size: number
  buffer: Buffer
}
const multer = requireExpress('multer') as (() => { single(field: string): Handler }) & {
  memoryStorage(): unknown
}
const staticFiles = (express as unknown as { static: (root: string) => Handler }).static
const Koa = requireKoa('koa') as new () => KoaApp
const bodyParser = requireKoa('koa-bodyparser') as () => KoaMiddleware

function makeEnviron(overrides: Record<string, unknown> = {}): WSGIEnvironment {
  return {
    REQUEST_METHOD: 'GET',
    SCRIPT_NAME: '',
    PATH_INFO: '/',
    QUERY_STRING: '',
    SERVER_NAME: 'example.test',
    SERVER_PORT: '80',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REMOTE_ADDR: '203.0.113.9',
    REMOTE_PORT: '40000',
    HTTP_HOST: 'example.test',
    'wsgi.version': [1, 0],
    'wsgi.url_scheme': 'http',
    'wsgi.input': InputReader.fromBytes(''),
    'wsgi.errors': { write: () => undefined, writelines: () => undefined, flush: () => undefined },
    'wsgi.multithread': false,
    'wsgi.multiprocess': false,
    'wsgi.run_once': false,
    'wsgi.input_terminated': true,
    ...overrides,
  }
}

function postJSON(value: unknown, overrides: Record<string, unknown> = {}): WSGIEnvironment {
  const bytes = Buffer.from(JSON.stringify(value))
  return makeEnviron({
    REQUEST_METHOD: 'POST',
    CONTENT_TYPE: 'application/json',
    CONTENT_LENGTH: String(bytes.length),
    'wsgi.input': InputReader.fromBytes(bytes),
    ...overrides,
  })
}

interface Result {
  status: string
  headers: HeaderList
  body: Buffer
  text: string
}

async function run(listener: NodeListener, environ: WSGIEnvironment): Promise<Result> {
  let status = ''
  let headers: HeaderList = []
  const body: ResponseBody = await fromNodeListener(listener)(environ, (s, h) => {
    status = s
    headers = h
    return () => undefined
  })
  const chunks: Uint8Array[] = []
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk)
  } finally {
    await body.close?.()
  }
  const bytes = Buffer.concat(chunks)
  return { status, headers, body: bytes, text: bytes.toString('utf8') }
}

function header(result: Result, name: string): string[] {
  return result.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v)
}

describe('fromNodeListener(expressApp)', () => {
  function expressApp(): ExpressApp {
    const app = express()
    app.use(express.json())
    app.get('/users/:id', (req, res) => {
      res.cookie('session', 'abc', { httpOnly: true })
      res.cookie('theme', 'dark')
      res.json({
        id: req.params['id'],
        query: req.query,
        path: req.path,
        originalUrl: req.originalUrl,
        ip: req.ip,
        protocol: req.protocol,
        secure: req.secure,
        hostname: req.hostname,
      })
    })
    app.post('/echo', (req, res) => {
      res.status(201).json({ received: req.body })
    })
    app.get('/old', (_req, res) => {
      res.redirect('/new')
    })
    app.get('/empty', (_req, res) => {
      res.sendStatus(204)
    })
    app.get('/fail', () => {
      throw new Error('route failed')
    })
    app.use((err: Error, _req: ExpressRequest, res: ExpressResponse, _next: () => void) => {
      res.status(500).json({ error: err.message })
    })
    return app
  }

  it('answers a route with res.json and two cookies, mounted under SCRIPT_NAME', async () => {
    const result = await run(
      expressApp(),
      makeEnviron({ SCRIPT_NAME: '/api', PATH_INFO: '/users/7', QUERY_STRING: 'x=1' }),
    )
    expect(result.status).toBe('200 OK')
    expect(header(result, 'content-type')).toEqual(['application/json; charset=utf-8'])
    expect(header(result, 'set-cookie')).toEqual([
      'session=abc; Path=/; HttpOnly',
      'theme=dark; Path=/',
    ])
    expect(JSON.parse(result.text)).toEqual({
      id: '7',
      query: { x: '1' },
      path: '/users/7',
      originalUrl: '/api/users/7?x=1',
      ip: '203.0.113.9',
      protocol: 'http',
      secure: false,
      hostname: 'example.test',
    })
    expect(header(result, 'content-length')).toEqual([String(result.body.length)])
  })

  it('sees https from the socket', async () => {
    const result = await run(
      expressApp(),
      makeEnviron({ PATH_INFO: '/users/1', 'wsgi.url_scheme': 'https', SERVER_PORT: '443' }),
    )
    expect(JSON.parse(result.text)).toMatchObject({ protocol: 'https', secure: true })
  })

  it('parses a JSON request body with express.json()', async () => {
    const result = await run(expressApp(), postJSON({ a: [1, 2] }, { PATH_INFO: '/echo' }))
    expect(result.status).toBe('201 Created')
    expect(JSON.parse(result.text)).toEqual({ received: { a: [1, 2] } })
  })

  it('redirects', async () => {
    const result = await run(expressApp(), makeEnviron({ PATH_INFO: '/old' }))
    expect(result.status).toBe('302 Found')
    expect(header(result, 'location')).toEqual(['/new'])
    expect(result.text).toContain('Redirecting to /new')
  })

  it('sends 204 without a body and HEAD without a body', async () => {
    const empty = await run(expressApp(), makeEnviron({ PATH_INFO: '/empty' }))
    expect(empty.status).toBe('204 No Content')
    expect(empty.body.length).toBe(0)
    const head = await run(
      expressApp(),
      makeEnviron({ REQUEST_METHOD: 'HEAD', PATH_INFO: '/users/3' }),
    )
    expect(head.status).toBe('200 OK')
    expect(head.body.length).toBe(0)
    expect(Number(header(head, 'content-length')[0])).toBeGreaterThan(0)
  })

  it("answers 404 from Express's final handler and 500 from an error handler", async () => {
    const missing = await run(expressApp(), postJSON({ unread: true }, { PATH_INFO: '/nowhere' }))
    expect(missing.status).toBe('404 Not Found')
    expect(missing.text).toContain('Cannot POST /nowhere')
    const failed = await run(expressApp(), makeEnviron({ PATH_INFO: '/fail' }))
    expect(failed.status).toBe('500 Internal Server Error')
    expect(JSON.parse(failed.text)).toEqual({ error: 'route failed' })
  })

  it('works with helmet, cors and compression in front', async () => {
    const app = express()
    app.use(helmet(), cors(), compression({ threshold: 0 }))
    app.get('/', (_req, res) => {
      res.send('x'.repeat(5000))
    })
    const result = await run(
      app,
      makeEnviron({ HTTP_ACCEPT_ENCODING: 'gzip', HTTP_ORIGIN: 'http://o.test' }),
    )
    expect(result.status).toBe('200 OK')
    expect(header(result, 'content-encoding')).toEqual(['gzip'])
    expect(header(result, 'access-control-allow-origin')).toEqual(['*'])
    expect(header(result, 'x-content-type-options')).toEqual(['nosniff'])
    expect(gunzipSync(result.body).toString()).toBe('x'.repeat(5000))
  })
})

describe('fromNodeListener(expressApp) with middleware that reads the socket and streams', () => {
  it('serves a file with express.static, whole and as a range', async () => {
    const app = express()
    app.use(staticFiles(fileURLToPath(new URL('.', import.meta.url))))
    const file = readFileSync(new URL('./from-chunked.ts', import.meta.url))
    const whole = await run(app, makeEnviron({ PATH_INFO: '/from-chunked.ts' }))
    expect(whole.status).toBe('200 OK')
    expect(whole.body.equals(file)).toBe(true)
    const range = await run(
      app,
      makeEnviron({ PATH_INFO: '/from-chunked.ts', HTTP_RANGE: 'bytes=3-9' }),
    )
    expect(range.status).toBe('206 Partial Content')
    expect(range.body.equals(file.subarray(3, 10))).toBe(true)
  })

  it('logs the remote address and status with morgan', async () => {
    const lines: string[] = []
    const app = express()
    app.use(
      morgan(':remote-addr :method :url :status', {
        stream: { write: (line: string) => lines.push(line) },
      }),
    )
    app.get('/x', (_req, res) => {
      res.send('ok')
    })
    await run(app, makeEnviron({ PATH_INFO: '/x' }))
    expect(lines).toEqual(['203.0.113.9 GET /x 200\n'])
  })

  it('receives a multipart upload with multer', async () => {
    const boundary = 'XyZ'
    const content = Buffer.alloc(300_000, 0x41)
    const multipart = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n` +
          'Content-Type: text/plain\r\n\r\n',
      ),
      content,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ])
    const app = express()
    const upload = multer()
    app.post('/upload', upload.single('file'), (req, res) => {
      const file = (req as ExpressRequest & { file: MulterFile }).file
      res.json({ name: file.originalname, size: file.size, same: file.buffer.equals(content) })
    })
    const result = await run(
      app,
      makeEnviron({
        REQUEST_METHOD: 'POST',
        PATH_INFO: '/upload',
        CONTENT_TYPE: `multipart/form-data; boundary=${boundary}`,
        CONTENT_LENGTH: String(multipart.length),
        // Delivered in small pieces, as a socket would.
        'wsgi.input': new InputReader(
          Array.from({ length: Math.ceil(multipart.length / 7000) }, (_, i) =>
            multipart.subarray(i * 7000, (i + 1) * 7000),
          ),
        ),
      }),
    )
    expect(JSON.parse(result.text)).toEqual({ name: 'a.txt', size: 300_000, same: true })
  })
})

describe('fromNodeListener(koaApp.callback())', () => {
  function koaApp(): KoaApp {
    const app = new Koa()
    app.keys = ['secret']
    app.silent = true
    app.use(bodyParser())
    app.use(async (ctx, next) => {
      if (ctx.path === '/teapot') ctx.throw(418, 'short and stout')
      if (ctx.path === '/stream') {
        ctx.set('Content-Type', 'text/plain')
        ctx.body = Readable.from(['one ', 'two ', 'three'])
        return
      }
      if (ctx.method === 'POST') {
        ctx.status = 201
        ctx.body = { received: ctx.request.body }
        return
      }
      ctx.cookies.set('a', '1', { signed: false })
      ctx.cookies.set('b', '2', { signed: false })
      ctx.body = {
        ip: ctx.request.ip,
        protocol: ctx.protocol,
        secure: ctx.secure,
        host: ctx.host,
        path: ctx.path,
        url: ctx.url,
        originalUrl: ctx.originalUrl,
      }
      await next()
    })
    return app
  }

  it('answers with the request seen from the socket and two cookies', async () => {
    const result = await run(
      koaApp().callback(),
      makeEnviron({
        SCRIPT_NAME: '/k',
        PATH_INFO: '/info',
        QUERY_STRING: 'q=1',
        'wsgi.url_scheme': 'https',
        SERVER_PORT: '443',
      }),
    )
    expect(result.status).toBe('200 OK')
    expect(header(result, 'set-cookie')).toEqual([
      // Koa adds 'secure' by itself because the socket is encrypted.
      'a=1; path=/; secure; httponly',
      'b=2; path=/; secure; httponly',
    ])
    expect(JSON.parse(result.text)).toEqual({
      ip: '203.0.113.9',
      protocol: 'https',
      secure: true,
      host: 'example.test',
      path: '/info',
      url: '/info?q=1',
      originalUrl: '/info?q=1',
    })
  })

  it('parses a JSON body with koa-bodyparser', async () => {
    const result = await run(koaApp().callback(), postJSON({ k: 'v' }))
    expect(result.status).toBe('201 Created')
    expect(JSON.parse(result.text)).toEqual({ received: { k: 'v' } })
  })

  it('streams a Readable body', async () => {
    const result = await run(koaApp().callback(), makeEnviron({ PATH_INFO: '/stream' }))
    expect(result.text).toBe('one two three')
    expect(header(result, 'transfer-encoding')).toEqual([])
  })

  it("answers ctx.throw() through Koa's error handling", async () => {
    const result = await run(koaApp().callback(), makeEnviron({ PATH_INFO: '/teapot' }))
    expect(result.status).toBe("418 I'm a Teapot")
    expect(result.text).toBe('short and stout')
  })
})
