/**
 * Round trips: a Koa app through `toKoa(fromKoa(koaApp))` must answer as the Koa app itself
 * does, and a gateway app through `fromKoa(new Koa().use(toKoa(app)))` as the gateway app itself.
 * Both are compared response by response over real sockets.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'

import Router from '@koa/router'
import type KoaApp from 'koa'
import bodyParser from 'koa-bodyparser'
import { describe, expect, it } from 'vitest'

import type { WSGIApplication } from '@wsgi/core/types'

import { fromKoa } from '../src/from-koa.ts'
import { toKoa } from '../src/to-koa.ts'
import { KOAS, bytes, echoApp, rawRequest, serveGateway, serveKoa } from './helpers.ts'

/** What the client sees of a response, without the headers each server adds its own way. */
interface Seen {
  status: number
  statusText: string
  headers: [string, string][]
  body: string
}

// Set by the HTTP server (or the connection), not by the app.
const SERVER_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'server'])

async function see(res: Response): Promise<Seen> {
  const headers: [string, string][] = []
  res.headers.forEach((value, name) => {
    if (!SERVER_HEADERS.has(name) && name !== 'set-cookie') headers.push([name, value])
  })
  for (const cookie of res.headers.getSetCookie()) headers.push(['set-cookie', cookie])
  const body = Buffer.from(await res.arrayBuffer())
  return {
    status: res.status,
    statusText: res.statusText,
    headers,
    body:
      body.length > 4096
        ? `sha256:${createHash('sha256').update(body).digest('hex')}`
        : body.toString('latin1'),
  }
}

const REQUESTS: [string, string, RequestInit?][] = [
  ['text', '/text?x=1'],
  ['JSON with params', '/users/42?fields=a,b'],
  ['encoded path', '/users/caf%C3%A9'],
  ['stream', '/stream'],
  ['cookies', '/cookies'],
  ['redirect', '/redirect', { redirect: 'manual' }],
  ['no content', '/empty'],
  ['thrown 4xx', '/throw'],
  ['not found', '/nowhere'],
  [
    'posted JSON',
    '/echo',
    { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":[1,"é"]}' },
  ],
  ['posted bytes', '/raw', { method: 'POST', body: Buffer.alloc(200_000, 9) }],
  ['405', '/users/1', { method: 'DELETE' }],
]

describe.each(KOAS)('round trips on %s', (_name, Koa) => {
  function koaApp(): KoaApp {
    const router = new Router()
    router.get('/text', (ctx) => {
      ctx.body = `text ${ctx.querystring}`
    })
    router.get('/users/:id', (ctx) => {
      ctx.body = { id: ctx.params['id'], query: ctx.query, path: ctx.path }
    })
    router.get('/stream', (ctx) => {
      ctx.type = 'application/octet-stream'
      ctx.body = Readable.from(
        (function* () {
          for (let i = 0; i < 50; i++) yield Buffer.alloc(10_000, i)
        })(),
      )
    })
    router.get('/cookies', (ctx) => {
      ctx.cookies.set('one', '1')
      ctx.cookies.set('two', '2', { signed: true, sameSite: 'lax' })
      ctx.body = 'cookies'
    })
    router.get('/redirect', (ctx) => {
      ctx.redirect('/text')
    })
    router.get('/empty', (ctx) => {
      ctx.status = 204
    })
    router.get('/throw', (ctx) => {
      ctx.throw(418, 'short and stout', { headers: { 'X-Why': 'teapot' } })
    })
    router.post('/echo', (ctx) => {
      ctx.body = { got: ctx.request.body ?? null }
    })
    router.post('/raw', async (ctx) => {
      const hash = createHash('sha256')
      for await (const chunk of ctx.req) hash.update(chunk as Buffer)
      ctx.body = hash.digest('hex')
    })
    const app = new Koa({ keys: ['round trip'] })
    app.use(async (ctx, next) => {
      // koa-bodyparser would read /raw too; keep the stream for that route.
      if (ctx.path === '/raw') await next()
      else await bodyParser()(ctx, next)
    })
    app.use(router.routes()).use(router.allowedMethods())
    return app
  }

  it.each(REQUESTS)(
    'Koa -> toKoa(fromKoa(koa)) answers %s as Koa does',
    async (_label, path, init) => {
      const direct = await serveKoa(koaApp())
      const bridged = await serveKoa(new Koa().use(toKoa(fromKoa(koaApp()))))
      const expected = await see(await fetch(`${direct}${path}`, init))
      const actual = await see(await fetch(`${bridged}${path}`, init))
      expect(actual).toEqual(expected)
    },
  )

  it('keeps HEAD responses the same', async () => {
    const direct = await serveKoa(koaApp())
    const bridged = await serveKoa(new Koa().use(toKoa(fromKoa(koaApp()))))
    const request = 'HEAD /users/7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
    const strip = (raw: Buffer): string =>
      raw
        .toString('latin1')
        .split('\r\n')
        .filter((line) => !/^(date|connection|keep-alive):/i.test(line))
        .join('\r\n')
    expect(strip(await rawRequest(bridged, request))).toBe(strip(await rawRequest(direct, request)))
  })

  it.each([
    ['GET', '/a/b?c=d', undefined],
    ['POST', '/submit', 'name=value&x=%20'],
  ])(
    'gateway -> fromKoa(Koa + toKoa(app)) answers %s %s as the app does',
    async (method, path, body) => {
      const app: WSGIApplication = async (environ, startResponse) => {
        const echo = (await echoApp(environ, () => () => undefined)) as Uint8Array[]
        startResponse('200 OK', [
          ['Content-Type', 'application/json'],
          ['Set-Cookie', 'a=1; Path=/'],
          ['Set-Cookie', 'b=2; Path=/; HttpOnly'],
          ['X-Multi', 'one'],
          ['X-Multi', 'two'],
        ])
        return [...echo, bytes('\n')]
      }
      const direct = await serveGateway(app)
      const bridged = await serveGateway(fromKoa(new Koa().use(toKoa(app))))
      const init: RequestInit =
        body === undefined
          ? { method }
          : { method, body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }
      const expected = await see(await fetch(`${direct}${path}`, init))
      const actual = await see(await fetch(`${bridged}${path}`, init))
      expect(actual).toEqual(expected)
    },
  )
})
