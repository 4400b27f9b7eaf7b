import { once } from 'node:events'
import { gunzipSync } from 'node:zlib'

import { describe, expect, it } from 'vitest'
import compression from 'compression'
import express from 'express'
import type { ErrorRequestHandler } from 'express'
import express4 from 'express4'

import { isWSGIError } from '@wsgi/core/errors'
import type { Middleware, WSGIApplication } from '@wsgi/core/types'

import { bodyReader, bytes, dechunk, listen, rawRequest, sleep } from '../test/helpers.ts'
import { environOf, toExpressMiddleware } from './to-express-middleware.ts'

/** Upper-cases the body, tags the response, and reports the status it saw. */
const shout: Middleware = (app) => async (environ, startResponse) => {
  const body = await app(environ, (status, headers, excInfo) => {
    const kept = headers.filter(([name]) => name.toLowerCase() !== 'content-length')
    return startResponse(status, [...kept, ['X-Seen-Status', status]], excInfo)
  })
  async function* upper(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of body) {
        yield bytes(Buffer.from(chunk).toString('utf8').toUpperCase())
      }
    } finally {
      await body.close?.()
    }
  }
  return upper()
}

const reportError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
  res.status(599).json({ caught: error instanceof Error ? error.message : String(error) })
}

describe('toExpressMiddleware(mw)', () => {
  it('lets gateway middleware see and change the status, headers and body of the rest of the chain', async () => {
    const app = express()
    app.use(toExpressMiddleware(shout))
    app.get('/hello', (_req, res) => {
      res.status(201).set('X-Down', 'yes').cookie('a', '1').cookie('b', '2').send('hello, world')
    })
    const base = await listen(app)
    const res = await fetch(`${base}/hello`)
    expect(res.status).toBe(201)
    expect(res.headers.get('x-seen-status')).toBe('201 Created')
    expect(res.headers.get('x-down')).toBe('yes')
    expect(res.headers.get('x-powered-by')).toBe('Express')
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/'])
    expect(await res.text()).toBe('HELLO, WORLD')
  })

  it('hands the middleware a body sent at once with its length as a one-item list', async () => {
    const seen: string[] = []
    const inspect: Middleware = (app) => async (environ, startResponse) => {
      const body = await app(environ, startResponse)
      seen.push(Array.isArray(body) ? `list of ${String(body.length)}` : 'stream')
      return body
    }
    const app = express()
    app.use(toExpressMiddleware(inspect))
    app.get('/now', (_req, res) => {
      res.send('at once')
    })
    app.get('/later', (_req, res) => {
      res.setHeader('Content-Length', '8')
      res.write('in ')
      setImmediate(() => res.end('parts'))
    })
    const base = await listen(app)
    const now = await fetch(`${base}/now`)
    expect(await now.text()).toBe('at once')
    const later = await fetch(`${base}/later`)
    expect(await later.text()).toBe('in parts')
    expect(seen).toEqual(['list of 1', 'stream'])
  })

  it('passes a downstream 404 of Express through the middleware', async () => {
    const app = express()
    app.use(toExpressMiddleware(shout))
    const base = await listen(app)
    const res = await fetch(`${base}/missing`)
    expect(res.status).toBe(404)
    expect(res.headers.get('x-seen-status')).toBe('404 Not Found')
    expect(await res.text()).toContain('CANNOT GET /MISSING')
  })

  it('carries environ changes to req and the environ to environOf(req)', async () => {
    const auth: Middleware = (app) => (environ, startResponse) =>
      app(
        {
          ...environ,
          HTTP_X_USER: 'alice',
          PATH_INFO: `/rewritten${environ.PATH_INFO ?? ''}`,
          REQUEST_METHOD: 'POST',
          'auth.user': { name: 'alice' },
        },
        startResponse,
      )
    const app = express()
    app.use(toExpressMiddleware(auth))
    app.post('/rewritten/me', (req, res) => {
      res.json({
        user: req.get('x-user'),
        url: req.url,
        originalUrl: req.originalUrl,
        fromEnviron: environOf(req)?.['auth.user'],
      })
    })
    const base = await listen(app)
    const res = await fetch(`${base}/me?q=1`)
    expect(await res.json()).toEqual({
      user: 'alice',
      url: '/rewritten/me?q=1',
      originalUrl: '/me?q=1',
      fromEnviron: { name: 'alice' },
    })
  })

  it('answers for the chain when the middleware does not call the app', async () => {
    let downstream = false
    const guard: Middleware = () => (_environ, startResponse) => {
      startResponse('401 Unauthorized', [
        ['Content-Type', 'text/plain'],
        ['WWW-Authenticate', 'Basic'],
      ])
      return [bytes('no')]
    }
    const app = express()
    app.use(toExpressMiddleware(guard))
    app.use((_req, res) => {
      downstream = true
      res.send('yes')
    })
    const base = await listen(app)
    const res = await fetch(base)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Basic')
    // Headers set before the middleware (Express's own) survive on a response it made itself.
    expect(res.headers.get('x-powered-by')).toBe('Express')
    expect(await res.text()).toBe('no')
    expect(downstream).toBe(false)
  })

  it('runs under a mount: SCRIPT_NAME is req.baseUrl, and next() continues after it', async () => {
    const mountKeys: Middleware = (app) => (environ, startResponse) =>
      app(environ, (status, headers, excInfo) =>
        startResponse(
          status,
          [...headers, ['X-Mount', `${environ.SCRIPT_NAME ?? ''}|${environ.PATH_INFO ?? ''}`]],
          excInfo,
        ),
      )
    const app = express()
    app.use('/api', toExpressMiddleware(mountKeys))
    app.get('/api/thing', (req, res) => {
      res.send(`${req.baseUrl}|${req.url}`)
    })
    const base = await listen(app)
    const res = await fetch(`${base}/api/thing`)
    expect(res.headers.get('x-mount')).toBe('/api|/thing')
    expect(await res.text()).toBe('|/api/thing')
  })

  it('streams with backpressure: downstream write() returns false and gets drain', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'y')
    const rounds = 32
    const stats = { falses: 0, drains: 0 }
    const passThrough: Middleware = (app) => app
    const app = express()
    app.use(toExpressMiddleware(passThrough))
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
    const base = await listen(app)
    const res = await fetch(`${base}/flood`)
    const reader = bodyReader(res)
    let total = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.length
      if (total < chunk.length * 4) await sleep(5)
    }
    expect(total).toBe(chunk.length * rounds)
    expect(stats.falses).toBeGreaterThan(0)
    expect(stats.drains).toBe(stats.falses)
  })

  it('starts a flushed (server-sent events) response before its end', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    const app = express()
    app.use(toExpressMiddleware((inner) => inner))
    app.get('/events', async (_req, res) => {
      res.setHeader('Content-Type', 'text/event-stream')
      res.flushHeaders()
      await gate
      res.end('data: done\n\n')
    })
    const base = await listen(app)
    const res = await fetch(`${base}/events`)
    // The head arrived while the handler still waits on the gate.
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    release()
    expect(await res.text()).toBe('data: done\n\n')
  })

  it('serves downstream express.static and res.sendFile (piped streams) through the middleware', async () => {
    const app = express()
    app.use(toExpressMiddleware(shout))
    app.use('/src', express.static(import.meta.dirname))
    const base = await listen(app)
    const res = await fetch(`${base}/src/to-express-middleware.ts`)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('TOEXPRESSMIDDLEWARE')
  })

  it('works under compression() mounted before it (the middleware result is compressed)', async () => {
    const app = express()
    app.use(compression({ threshold: 0 }))
    app.use(toExpressMiddleware(shout))
    app.get('/', (_req, res) => {
      res.type('text').send('compress me '.repeat(100))
    })
    const base = await listen(app)
    const raw = await rawRequest(
      base,
      'GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n',
    )
    const split = raw.indexOf('\r\n\r\n')
    const head = raw.slice(0, split)
    expect(head).toContain('\r\nContent-Encoding: gzip\r\n')
    const chunked = Buffer.from(raw.slice(split + 4), 'latin1')
    expect(gunzipSync(dechunk(chunked)).toString()).toBe('COMPRESS ME '.repeat(100))
  })

  it('sends an error before the app was called to next(err)', async () => {
    const app = express()
    app.use(
      toExpressMiddleware(() => () => {
        throw new Error('mw failed')
      }),
    )
    app.use(reportError)
    const base = await listen(app)
    const res = await fetch(base)
    expect(res.status).toBe(599)
    expect(await res.json()).toEqual({ caught: 'mw failed' })
  })

  it('answers 500 itself for an error after the chain ran (next() cannot be called twice)', async () => {
    const logged: string[] = []
    const errors = {
      write: (s: string) => logged.push(s),
      writelines: () => undefined,
      flush: () => undefined,
    }
    const failAfter: Middleware = (inner) => async (environ) => {
      await inner(environ, () => () => undefined)
      throw new Error('after the chain')
    }
    const app = express()
    app.use(toExpressMiddleware(failAfter, { errors }))
    app.use((_req, res) => {
      res.send('downstream')
    })
    app.use(reportError)
    const base = await listen(app)
    const res = await fetch(base)
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('A server error occurred.  Please contact the administrator.')
    expect(logged.join('')).toContain('after the chain')
  })

  it('refuses a second call of the inner app with ERR_WSGI_CHAIN_ALREADY_RUN', async () => {
    let code = ''
    const twice: Middleware = (inner) => async (environ, startResponse) => {
      const first = await inner(environ, startResponse)
      try {
        await inner(environ, startResponse)
      } catch (error) {
        code = isWSGIError(error) ? error.code : 'other'
      }
      return first
    }
    const app = express()
    app.use(toExpressMiddleware(twice))
    app.use((_req, res) => {
      res.send('once')
    })
    const base = await listen(app)
    expect(await (await fetch(base)).text()).toBe('once')
    expect(code).toBe('ERR_WSGI_CHAIN_ALREADY_RUN')
  })

  it('throws ERR_WSGI_INVALID_ARG_TYPE for a non-function', () => {
    expect(() => toExpressMiddleware(42 as unknown as Middleware)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })

  it('applies the gateway middleware once, not per request, and keeps requests apart', async () => {
    let applied = 0
    const tagged: Middleware = (inner) => {
      applied++
      return (environ, startResponse) =>
        inner(environ, (status, headers, excInfo) =>
          startResponse(status, [...headers, ['X-Path', environ.PATH_INFO ?? '']], excInfo),
        )
    }
    const app = express()
    app.use(toExpressMiddleware(tagged))
    app.use((req, res) => {
      res.send(`at ${req.path}`)
    })
    const base = await listen(app)
    const answers = await Promise.all(
      ['/a', '/b', '/c'].map(async (path) => {
        const res = await fetch(base + path)
        return `${res.headers.get('x-path')} ${await res.text()}`
      }),
    )
    expect(answers).toEqual(['/a at /a', '/b at /b', '/c at /c'])
    expect(applied).toBe(1)
  })

  it('throws ERR_WSGI_INVALID_ARG_TYPE when the middleware returns no app', () => {
    expect(() => toExpressMiddleware(() => 42 as unknown as WSGIApplication)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })

  it('fails an inner app that lost wsgits.express_request, through next(err)', async () => {
    const lossy: Middleware = (inner) => (environ, startResponse) =>
      inner({ ...environ, 'wsgits.express_request': undefined }, startResponse)
    const app = express()
    app.use(toExpressMiddleware(lossy))
    app.use((_req, res) => {
      res.send('never')
    })
    app.use(reportError)
    const res = await fetch(await listen(app))
    expect(res.status).toBe(599)
    expect(((await res.json()) as { caught: string }).caught).toContain(
      "environ['wsgits.express_request']",
    )
  })

  it('works on Express 4', async () => {
    const app = express4()
    app.use(toExpressMiddleware(shout))
    app.get('/v4', (_req, res) => {
      res.send('four')
    })
    const base = await listen(app)
    const res = await fetch(`${base}/v4`)
    expect(res.headers.get('x-seen-status')).toBe('200 OK')
    expect(await res.text()).toBe('FOUR')
  })
})
