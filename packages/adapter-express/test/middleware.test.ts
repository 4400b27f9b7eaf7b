/**
 * Real Express middleware in a gateway pipeline through fromExpressMiddleware, over real
 * sockets: helmet, cors, compression, morgan, cookie-parser, express.json, express-session and
 * multer. Where the middleware's own output matters, it is compared with the same middleware in
 * a native Express app.
 */
import { createHmac } from 'node:crypto'
import { gunzipSync } from 'node:zlib'

import { describe, expect, it, vi } from 'vitest'
import compression from 'compression'
import cookieParser from 'cookie-parser'
import cors from 'cors'
import express from 'express'
import type { Request, RequestHandler } from 'express'
import express4 from 'express4'
import session from 'express-session'
import helmet from 'helmet'
import morgan from 'morgan'
import multer from 'multer'

import { dispatch } from '@wsgi/core/dispatch'
import { isWSGIError } from '@wsgi/core/errors'
import { toNodeListener } from '@wsgi/core/node'
import type { WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'

import { fromExpressMiddleware } from '../src/from-express-middleware.ts'
import { bytes, listen, rawRequest, sleep, splitResponse } from './helpers.ts'

/** A gateway app answering `text` as text/plain with a Content-Length. */
function textApp(text: string, status = '200 OK'): WSGIApplication {
  const body = bytes(text)
  return (_environ, startResponse) => {
    startResponse(status as `${number} ${string}`, [
      ['Content-Type', 'text/plain; charset=utf-8'],
      ['Content-Length', String(body.length)],
    ])
    return [body]
  }
}

/** A gateway app answering JSON of what `pick` takes from the environ and Express request. */
function jsonOf(pick: (environ: WSGIEnvironment, req: Request) => unknown): WSGIApplication {
  return (environ, startResponse) => {
    const req = environ['wsgits.express_request'] as Request
    startResponse('200 OK', [['Content-Type', 'application/json']])
    return [bytes(JSON.stringify(pick(environ, req)))]
  }
}

/** The same answer as `textApp`, from a native Express app behind the same middleware. */
async function serveNative(mw: RequestHandler, text: string): Promise<string> {
  const app = express()
  app.disable('x-powered-by')
  app.use(mw)
  app.use((_req, res) => {
    res.writeHead(200, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(text)),
    })
    res.end(text)
  })
  return listen(app)
}

async function serveGateway(app: WSGIApplication): Promise<string> {
  return listen(toNodeListener(app))
}

const VOLATILE = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding'])

async function snapshot(url: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(url, init)
  return {
    status: res.status,
    headers: [...res.headers].filter(([name]) => !VOLATILE.has(name)),
    body: await res.text(),
  }
}

describe('fromExpressMiddleware(mw)', () => {
  describe('helmet', () => {
    it('adds the same headers as in a native Express app', async () => {
      const native = await serveNative(helmet(), 'hello')
      const gateway = await serveGateway(fromExpressMiddleware(helmet())(textApp('hello')))
      const expected = await snapshot(native)
      expect(await snapshot(gateway)).toEqual(expected)
      const res = await fetch(gateway)
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
    })
  })

  describe('cors', () => {
    const options = { origin: 'https://a.example', credentials: true, maxAge: 600 }

    it('answers a simple request as natively, through the app', async () => {
      const native = await serveNative(cors(options), 'data')
      const gateway = await serveGateway(fromExpressMiddleware(cors(options))(textApp('data')))
      const init = { headers: { Origin: 'https://a.example' } }
      const expected = await snapshot(native, init)
      expect(await snapshot(gateway, init)).toEqual(expected)
      expect((await fetch(gateway, init)).headers.get('access-control-allow-origin')).toBe(
        'https://a.example',
      )
    })

    it('answers a preflight itself, without calling the app', async () => {
      const app = vi.fn(textApp('never'))
      const gateway = await serveGateway(fromExpressMiddleware(cors(options))(app))
      const native = await serveNative(cors(options), 'never')
      const init = {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://a.example',
          'Access-Control-Request-Method': 'PUT',
          'Access-Control-Request-Headers': 'x-token',
        },
      }
      const expected = await snapshot(native, init)
      const actual = await snapshot(gateway, init)
      expect(actual).toEqual(expected)
      expect((actual as { status: number }).status).toBe(204)
      expect(app).not.toHaveBeenCalled()
    })
  })

  describe('compression', () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(400)

    it('gzips a streamed body of the app; gunzipped it is the original', async () => {
      const streaming: WSGIApplication = (_environ, startResponse) => {
        startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']])
        return (async function* () {
          for (let i = 0; i < text.length; i += 1000) {
            yield bytes(text.slice(i, i + 1000))
            await sleep(0)
          }
        })()
      }
      const gateway = await serveGateway(fromExpressMiddleware(compression())(streaming))
      const raw = await rawRequest(
        gateway,
        'GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n',
      )
      const { head, body } = splitResponse(raw)
      expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
      expect(head).toContain('\r\nContent-Encoding: gzip\r\n')
      expect(head).toContain('\r\nVary: Accept-Encoding\r\n')
      expect(head).not.toMatch(/\r\nContent-Length:/i)
      expect(gunzipSync(body).toString()).toBe(text)
    })

    it('leaves a body below the threshold alone, as natively', async () => {
      const native = await serveNative(compression(), 'tiny')
      const gateway = await serveGateway(fromExpressMiddleware(compression())(textApp('tiny')))
      const request =
        'GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n'
      const strip = (raw: string): string => raw.replace(/\r\nDate: [^\r]*/, '')
      expect(strip(await rawRequest(gateway, request))).toBe(
        strip(await rawRequest(native, request)),
      )
    })

    it('gives the same compressed bytes as natively', async () => {
      const native = await serveNative(compression(), text)
      const gateway = await serveGateway(fromExpressMiddleware(compression())(textApp(text)))
      const request =
        'GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n'
      const nativeParts = splitResponse(await rawRequest(native, request))
      const gatewayParts = splitResponse(await rawRequest(gateway, request))
      expect(gatewayParts.body).toEqual(nativeParts.body)
      expect(gunzipSync(gatewayParts.body).toString()).toBe(text)
    })
  })

  describe('morgan', () => {
    it('logs the request line under the mount, the status and length of the app response', async () => {
      const lines: string[] = []
      const logger = morgan(':method :url :status :res[content-length] :remote-addr', {
        stream: { write: (line: string) => lines.push(line) },
      })
      const gateway = await serveGateway(
        dispatch({ '/api': fromExpressMiddleware(logger)(textApp('hello', '201 Created')) }),
      )
      const res = await fetch(`${gateway}/api/things?x=1`)
      expect(res.status).toBe(201)
      await vi.waitFor(() => {
        expect(lines).toEqual(['GET /api/things?x=1 201 5 127.0.0.1\n'])
      })
    })
  })

  describe('cookie-parser', () => {
    it('exposes req.cookies and req.signedCookies to the app', async () => {
      const secret = 'shh'
      const signature = createHmac('sha256', secret)
        .update('alice')
        .digest('base64')
        .replace(/=+$/, '')
      const gateway = await serveGateway(
        fromExpressMiddleware(cookieParser(secret))(
          jsonOf((_environ, req) => ({
            cookies: req.cookies as unknown,
            signed: req.signedCookies as unknown,
          })),
        ),
      )
      const res = await fetch(gateway, {
        headers: { Cookie: `theme=dark; user=${encodeURIComponent(`s:alice.${signature}`)}` },
      })
      expect(await res.json()).toEqual({ cookies: { theme: 'dark' }, signed: { user: 'alice' } })
    })
  })

  describe('express.json', () => {
    const app: WSGIApplication = async (environ, startResponse) => {
      const req = environ['wsgits.express_request'] as Request
      let readError = ''
      try {
        await environ['wsgi.input'].read()
      } catch (error) {
        readError = isWSGIError(error) ? error.code : 'other'
      }
      startResponse('200 OK', [['Content-Type', 'application/json']])
      return [bytes(JSON.stringify({ body: req.body as unknown, readError }))]
    }

    it('gives the app req.body, and wsgi.input fails at once with ERR_WSGI_BODY_ALREADY_READ', async () => {
      const gateway = await serveGateway(fromExpressMiddleware(express.json())(app))
      const res = await fetch(gateway, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"a":[1,2]}',
        signal: AbortSignal.timeout(5000),
      })
      expect(await res.json()).toEqual({
        body: { a: [1, 2] },
        readError: 'ERR_WSGI_BODY_ALREADY_READ',
      })
    })

    it('answers 400 for malformed JSON without calling the app', async () => {
      const spy = vi.fn(app)
      const gateway = await serveGateway(fromExpressMiddleware(express.json())(spy))
      const res = await fetch(gateway, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"a":',
      })
      expect(res.status).toBe(400)
      expect(await res.text()).toBe('Bad Request\n')
      expect(spy).not.toHaveBeenCalled()
    })

    it('answers 413 for a body over the limit', async () => {
      const gateway = await serveGateway(fromExpressMiddleware(express.json({ limit: 10 }))(app))
      const res = await fetch(gateway, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ long: 'x'.repeat(100) }),
      })
      expect(res.status).toBe(413)
    })

    it('replays the bytes of express.raw() as wsgi.input', async () => {
      const echo: WSGIApplication = async (environ, startResponse) => {
        const body = await environ['wsgi.input'].read()
        startResponse('200 OK', [['Content-Type', 'application/octet-stream']])
        return [body]
      }
      const gateway = await serveGateway(fromExpressMiddleware(express.raw({ type: '*/*' }))(echo))
      const res = await fetch(gateway, { method: 'POST', body: 'raw payload' })
      expect(await res.text()).toBe('raw payload')
    })
  })

  describe('express-session', () => {
    it('keeps req.session across requests with its cookie', async () => {
      const sessions = session({ secret: 'keyboard cat', resave: false, saveUninitialized: false })
      const counter: WSGIApplication = (environ, startResponse) => {
        const req = environ['wsgits.express_request'] as Request & {
          session: { views?: number }
        }
        req.session.views = (req.session.views ?? 0) + 1
        startResponse('200 OK', [['Content-Type', 'text/plain']])
        return [bytes(String(req.session.views))]
      }
      const gateway = await serveGateway(fromExpressMiddleware(sessions)(counter))
      const first = await fetch(gateway)
      expect(await first.text()).toBe('1')
      const cookie = first.headers.getSetCookie()[0] ?? ''
      expect(cookie).toMatch(/^connect\.sid=s%3A[^;]+; Path=\/; HttpOnly$/)
      const jar = cookie.split(';')[0] ?? ''
      const second = await fetch(gateway, { headers: { Cookie: jar } })
      expect(await second.text()).toBe('2')
      const third = await fetch(gateway, { headers: { Cookie: jar } })
      expect(await third.text()).toBe('3')
    })
  })

  describe('multer', () => {
    it('gives the app req.file and the text fields in req.body', async () => {
      const upload = multer({ storage: multer.memoryStorage() }).single('doc')
      const gateway = await serveGateway(
        fromExpressMiddleware(upload)(
          jsonOf((_environ, req) => ({
            field: (req.body as Record<string, unknown>)['title'],
            name: req.file?.originalname,
            type: req.file?.mimetype,
            content: req.file?.buffer.toString(),
          })),
        ),
      )
      const form = new FormData()
      form.set('title', 'Report')
      form.set('doc', new Blob(['file contents'], { type: 'text/plain' }), 'report.txt')
      const res = await fetch(gateway, {
        method: 'POST',
        body: form,
        signal: AbortSignal.timeout(5000),
      })
      expect(await res.json()).toEqual({
        field: 'Report',
        name: 'report.txt',
        type: 'text/plain',
        content: 'file contents',
      })
    })
  })

  describe('the environ of the wrapped app', () => {
    it('is the gateway environ, with what the middleware changed on the request', async () => {
      const rewrite: RequestHandler = (req, _res, next) => {
        req.url = '/rewritten?y=2'
        req.headers['x-added'] = 'by middleware'
        delete req.headers['x-removed']
        next()
      }
      const inner = jsonOf((environ, req) => ({
        scriptName: environ.SCRIPT_NAME,
        pathInfo: environ.PATH_INFO,
        query: environ.QUERY_STRING,
        added: environ['HTTP_X_ADDED'],
        removed: environ['HTTP_X_REMOVED'] ?? null,
        kept: environ['HTTP_X_KEPT'],
        custom: environ['custom.key'],
        errorsKept: environ['wsgi.errors'] === errors,
        sameReq: environ['wsgits.node_request'] === req,
      }))
      const errors = { write: () => undefined, writelines: () => undefined, flush: () => undefined }
      const outer: WSGIApplication = (environ, startResponse) =>
        dispatch({ '/api': fromExpressMiddleware(rewrite)(inner) })(
          { ...environ, 'custom.key': 42, 'wsgi.errors': errors },
          startResponse,
        )
      const gateway = await serveGateway(outer)
      const res = await fetch(`${gateway}/api/original?x=1`, {
        headers: { 'X-Removed': 'yes', 'X-Kept': 'kept' },
      })
      expect(await res.json()).toEqual({
        scriptName: '/api',
        pathInfo: '/rewritten',
        query: 'y=2',
        added: 'by middleware',
        removed: null,
        kept: 'kept',
        custom: 42,
        errorsKept: true,
        sameReq: true,
      })
    })

    it('keeps SCRIPT_NAME and PATH_INFO exactly when nothing changed them', async () => {
      const inner = jsonOf((environ) => [
        environ.SCRIPT_NAME,
        environ.PATH_INFO,
        environ.QUERY_STRING,
      ])
      const gateway = await serveGateway(
        dispatch({ '/api': fromExpressMiddleware(helmet())(inner) }),
      )
      expect(await (await fetch(`${gateway}/api/caf%C3%A9%20x?q=%20`)).json()).toEqual([
        '/api',
        '/caf\u00c3\u00a9 x',
        'q=%20',
      ])
      expect(await (await fetch(`${gateway}/api`)).json()).toEqual(['/api', '', ''])
    })
  })

  describe('errors', () => {
    const quiet = { write: () => undefined, writelines: () => undefined, flush: () => undefined }

    it('throws a server error of the middleware to the gateway server (500)', async () => {
      const failing: RequestHandler = (_req, _res, next) => {
        next(new Error('middleware broke'))
      }
      const gateway = await listen(
        toNodeListener(fromExpressMiddleware(failing)(textApp('never')), { errors: quiet }),
      )
      const res = await fetch(gateway)
      expect(res.status).toBe(500)
      expect(await res.text()).not.toContain('middleware broke')
    })

    it('throws an error of the wrapped app to the gateway server, whatever its status', async () => {
      const logged: string[] = []
      const errors = { ...quiet, write: (s: string) => logged.push(s) }
      const failing: WSGIApplication = () => {
        throw Object.assign(new Error('app broke'), { status: 404 })
      }
      const gateway = await listen(
        toNodeListener(fromExpressMiddleware(helmet())(failing), { errors }),
      )
      const res = await fetch(gateway)
      expect(res.status).toBe(500)
      expect(logged.join('')).toContain('app broke')
    })
  })

  it('logs an error of the wrapped app after its response started once, to the gateway wsgi.errors', async () => {
    const logged: string[] = []
    const errors = {
      write: (s: string) => logged.push(s),
      writelines: () => undefined,
      flush: () => undefined,
    }
    const late: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return (async function* () {
        yield bytes('partial')
        await sleep(5)
        throw new Error('late app failure')
      })()
    }
    const gateway = await listen(toNodeListener(fromExpressMiddleware(helmet())(late), { errors }))
    const raw = await rawRequest(gateway, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(raw.endsWith('0\r\n\r\n')).toBe(false)
    await vi.waitFor(() => {
      expect(logged.join('')).toContain('late app failure')
    })
    await sleep(20)
    // Logged once, by the gateway server, not a second time by the bridge.
    expect(logged.join('').match(/late app failure/g)).toHaveLength(1)
  })

  it('takes several middleware in order, and runs them under Express 4', async () => {
    const order: string[] = []
    const first: RequestHandler = (req, _res, next) => {
      order.push(`first ${typeof (req as Request & { get?: unknown }).get}`)
      next()
    }
    const second: RequestHandler = (_req, res, next) => {
      order.push('second')
      res.setHeader('X-Second', 'yes')
      next()
    }
    const gateway = await serveGateway(
      fromExpressMiddleware([first, second], { express: express4 })(textApp('ok')),
    )
    const res = await fetch(gateway)
    expect(res.headers.get('x-second')).toBe('yes')
    expect(await res.text()).toBe('ok')
    expect(order).toEqual(['first function', 'second'])
  })

  it('applies the settings option to the internal app (trust proxy)', async () => {
    const passThrough: RequestHandler = (_req, _res, next) => {
      next()
    }
    const inner = jsonOf((_environ, req) => ({ ip: req.ip, protocol: req.protocol }))
    const gateway = await serveGateway(
      fromExpressMiddleware(passThrough, { settings: { 'trust proxy': true } })(inner),
    )
    const res = await fetch(gateway, {
      headers: { 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https' },
    })
    expect(await res.json()).toEqual({ ip: '203.0.113.9', protocol: 'https' })
  })

  it('throws ERR_WSGI_INVALID_ARG_TYPE for something that is not middleware', () => {
    expect(() => fromExpressMiddleware('nope' as unknown as RequestHandler)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
    expect(() => fromExpressMiddleware([])).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })
})
