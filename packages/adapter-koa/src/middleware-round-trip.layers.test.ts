/**
 * What `toKoaMiddleware(fromExpressMiddleware(mw))` sends, byte for byte, where running the
 * Express middleware on Koa's own `req`/`res` (koa-connect's way, the peer of the benchmark's
 * `koa-expressmw` job) would send something else. The Express middleware's response is a layer
 * of its own: its headers come first and yield to those of the Koa middleware downstream, which
 * neither sees nor removes them; a response it answers by itself goes through Koa, so middleware
 * upstream still changes it; a 4xx from `next(err)` is the gateway's plain page. Any fast path
 * for this round trip must keep these bytes (issue 16).
 *
 * The other way round, `toExpressMiddleware(fromKoaMiddleware(mw))` against a hand wrapper that
 * makes a Koa context on Express's `req`/`res` and calls `next()` as Koa's `next`: the Koa
 * middleware sees the Express chain's response after `next()` (status, headers it adds), what it
 * answers itself is sent, its headers come before those Express upstream set, and Koa answers
 * its own errors.
 *
 * @module
 */
import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import Koa from 'koa'
import { describe, expect, it } from 'vitest'

import { fromExpressMiddleware, toExpressMiddleware } from '@wsgi/adapter-express'

import { rawRequest, serve, serveKoa } from '../test/helpers.ts'
import { fromKoaMiddleware } from './from-koa-middleware.ts'
import { toKoaMiddleware } from './to-koa-middleware.ts'

type ExpressMiddleware = (req: Request, res: Response, next: NextFunction) => void

/** Koa with `up` in front of the Express middleware and `down` after it. */
function koaWith(up: Koa.Middleware[], mw: ExpressMiddleware, down: Koa.Middleware[]): Koa {
  const koa = new Koa()
  koa.silent = true
  for (const m of up) koa.use(m)
  koa.use(toKoaMiddleware(fromExpressMiddleware(mw)))
  for (const m of down) koa.use(m)
  return koa
}

/** The raw response to a GET of `/`, its `Date` value replaced by `*`. */
async function rawGet(koa: Koa): Promise<string> {
  const base = await serveKoa(koa)
  const raw = await rawRequest(base, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  return raw.toString('latin1').replace(/\r\nDate: [^\r]*\r\n/, '\r\nDate: *\r\n')
}

const tag: ExpressMiddleware = (_req, res, next) => {
  res.setHeader('X-Bench', '1')
  next()
}

const hello: Koa.Middleware = (ctx) => {
  ctx.body = 'hello'
}

/** The head lines of `raw` and its body, for a readable comparison. */
function lines(raw: string): string[] {
  return raw.split('\r\n')
}

describe('toKoaMiddleware(fromExpressMiddleware(mw)): the middleware response is a layer', () => {
  it('sends the middleware headers first, then those of Koa downstream', async () => {
    const raw = await rawGet(koaWith([], tag, [hello]))
    expect(lines(raw)).toEqual([
      'HTTP/1.1 200 OK',
      'X-Bench: 1',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Length: 5',
      'Date: *',
      'Connection: close',
      '',
      'hello',
    ])
  })

  it('lets a header from Koa downstream win over the same header from the middleware', async () => {
    const html: ExpressMiddleware = (_req, res, next) => {
      res.setHeader('Content-Type', 'text/html')
      next()
    }
    const raw = await rawGet(koaWith([], html, [hello]))
    // Koa's body setter saw no Content-Type on its own response, so it chose text/plain.
    expect(raw).toContain('\r\nContent-Type: text/plain; charset=utf-8\r\n')
    expect(raw).not.toContain('text/html')
  })

  it('hides the middleware headers from Koa downstream: it neither reads nor removes them', async () => {
    const reads = await rawGet(
      koaWith([], tag, [
        (ctx) => {
          ctx.body = ctx.response.get('X-Bench') || 'unset'
        },
      ]),
    )
    expect(reads.endsWith('\r\n\r\nunset')).toBe(true)
    const removes = await rawGet(
      koaWith([], tag, [
        (ctx) => {
          ctx.remove('X-Bench')
          ctx.body = 'hello'
        },
      ]),
    )
    expect(removes).toContain('\r\nX-Bench: 1\r\n')
  })

  it('puts the middleware headers before those Koa upstream set, and the date before later ones', async () => {
    const upstream: Koa.Middleware = async (ctx, next) => {
      ctx.set('X-Up', 'a')
      await next()
      ctx.set('X-After', 'b')
    }
    const raw = await rawGet(koaWith([upstream], tag, [hello]))
    expect(lines(raw).slice(0, 8)).toEqual([
      'HTTP/1.1 200 OK',
      'X-Bench: 1',
      'X-Up: a',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Length: 5',
      'Date: *',
      'X-After: b',
      'Connection: close',
    ])
  })

  it('hands a response the middleware answers itself to Koa, where upstream still adds to it', async () => {
    const upstream: Koa.Middleware = async (ctx, next) => {
      await next()
      ctx.set('X-After', 'b')
    }
    const preflight: ExpressMiddleware = (_req, res) => {
      res.statusCode = 204
      res.setHeader('Access-Control-Allow-Origin', '*')
      res.end()
    }
    const raw = await rawGet(koaWith([upstream], preflight, [hello]))
    expect(lines(raw)).toEqual([
      'HTTP/1.1 204 No Content',
      'Access-Control-Allow-Origin: *',
      'Date: *',
      'X-After: b',
      'Connection: close',
      '',
      '',
    ])
  })

  it("answers a 4xx from next(err) with the gateway's plain page", async () => {
    const tooBig: ExpressMiddleware = (_req, _res, next) => {
      next(Object.assign(new Error('too big'), { status: 413 }))
    }
    const raw = await rawGet(koaWith([], tooBig, [hello]))
    expect(lines(raw)).toEqual([
      'HTTP/1.1 413 Payload Too Large',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Length: 18',
      'X-Content-Type-Options: nosniff',
      'Date: *',
      'Connection: close',
      '',
      'Payload Too Large\n',
    ])
  })

  it('runs the middleware on Express objects, not on the Koa request', async () => {
    let seen = ''
    const probe: ExpressMiddleware = (req, _res, next) => {
      seen = `${typeof req.get} ${req.baseUrl === '' ? 'root' : req.baseUrl}`
      next()
    }
    let downstreamProto = true
    const koa = koaWith([], probe, [
      (ctx) => {
        // Express's prototypes stay on its own objects: the Koa request is untouched.
        downstreamProto = Object.getPrototypeOf(ctx.req) === express.request
        ctx.body = 'ok'
      },
    ])
    expect((await rawGet(koa)).endsWith('\r\n\r\nok')).toBe(true)
    expect(seen).toBe('function root')
    expect(downstreamProto).toBe(false)
  })
})

/** The raw response of an Express app to a GET of `/`, its `Date` and `ETag` values starred. */
async function rawExpressGet(app: express.Express): Promise<string[]> {
  const base = await serve(app)
  const raw = await rawRequest(base, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  return lines(
    raw
      .toString('latin1')
      .replace(/\r\nDate: [^\r]*\r\n/, '\r\nDate: *\r\n')
      .replace(/\r\nETag: [^\r]*\r\n/, '\r\nETag: *\r\n'),
  )
}

/** Express with `up` in front of the Koa middleware and the route `down` after it. */
function expressWith(up: ExpressMiddleware[], mw: Koa.Middleware): express.Express {
  const app = express()
  app.set('x-powered-by', false)
  for (const m of up) app.use(m)
  app.use(toExpressMiddleware(fromKoaMiddleware(mw)))
  app.use((_req, res) => {
    res.send('hello')
  })
  return app
}

describe('toExpressMiddleware(fromKoaMiddleware(mw)): Koa sees the response of the Express chain', () => {
  it('lets the Koa middleware read the status and add headers after next()', async () => {
    const raw = await rawExpressGet(
      expressWith([], async (ctx, next) => {
        await next()
        ctx.set('X-Status', String(ctx.status))
      }),
    )
    expect(raw).toEqual([
      'HTTP/1.1 200 OK',
      'Content-Type: text/html; charset=utf-8',
      'Content-Length: 5',
      'ETag: *',
      'X-Status: 200',
      'Date: *',
      'Connection: close',
      '',
      'hello',
    ])
  })

  it('sends what the Koa middleware answers itself; the route does not run', async () => {
    const raw = await rawExpressGet(
      expressWith([], (ctx) => {
        ctx.body = 'from koa'
      }),
    )
    expect(raw).toEqual([
      'HTTP/1.1 200 OK',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Length: 8',
      'Date: *',
      'Connection: close',
      '',
      'from koa',
    ])
  })

  it('puts the Koa headers before those Express upstream set', async () => {
    const up: ExpressMiddleware = (_req, res, next) => {
      res.setHeader('X-Up', 'a')
      next()
    }
    const raw = await rawExpressGet(
      expressWith([up], async (ctx, next) => {
        ctx.set('X-Bench', '1')
        await next()
      }),
    )
    expect(raw.slice(0, 3)).toEqual(['HTTP/1.1 200 OK', 'X-Bench: 1', 'X-Up: a'])
  })

  it("answers ctx.throw(401) with Koa's plain page, not Express's error page", async () => {
    const raw = await rawExpressGet(
      expressWith([], (ctx) => {
        ctx.throw(401)
      }),
    )
    expect(raw).toEqual([
      'HTTP/1.1 401 Unauthorized',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Length: 12',
      'Date: *',
      'Connection: close',
      '',
      'Unauthorized',
    ])
  })
})
