/**
 * The request target as the client sent it, through real sockets: fromKoa on the simple server
 * (and mounted by `dispatch`) must route what Koa on its own server routes.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import Router from '@koa/router'
import Koa from 'koa'
import mount from 'koa-mount'
import { describe, expect, it, onTestFinished } from 'vitest'

import { rawGet, serveSimpleForTest } from '@wsgi/conformance'
import { dispatch } from '@wsgi/core/dispatch'
import type { WSGIApplication } from '@wsgi/core/types'

import { fromKoa } from './from-koa.ts'
import { toKoa } from './to-koa.ts'

function makeApp(): Koa {
  const app = new Koa()
  const router = new Router()
  router.get('/admin/secret', (ctx) => {
    ctx.body = 'SECRET'
  })
  router.get('/files/:name', (ctx) => {
    ctx.body = { name: ctx.params['name'], url: ctx.url }
  })
  app.use(router.routes())
  app.use((ctx) => {
    ctx.status = 404
    ctx.body = { url: ctx.url, path: ctx.path, originalUrl: ctx.originalUrl }
  })
  return app
}

async function native(): Promise<number> {
  const listener = makeApp().callback()
  const server = createServer((req, res) => {
    void listener(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => {
    server.closeAllConnections()
    server.close()
  })
  return (server.address() as AddressInfo).port
}

describe('fromKoa and the raw request target', () => {
  it.each([
    ['/admin%2Fsecret', 404, { url: '/admin%2Fsecret', path: '/admin%2Fsecret' }],
    ['/x/%2e%2e/admin/secret', 404, { url: '/x/%2e%2e/admin/secret' }],
    ['/a%zz', 404, { url: '/a%zz' }],
    ['/files/a%2Fb', 200, { name: 'a/b', url: '/files/a%2Fb' }],
  ])('GET %s reaches Koa as on its own server', async (target, status, expected) => {
    const [ours, theirs] = await Promise.all([
      serveSimpleForTest(fromKoa(makeApp())).then((port) => rawGet(port, target)),
      native().then((port) => rawGet(port, target)),
    ])
    expect(ours.status).toBe(status)
    expect(JSON.parse(ours.body)).toMatchObject(expected)
    expect(ours).toEqual(theirs)
  })

  it('keeps the raw rest of the path below a dispatch mount', async () => {
    const port = await serveSimpleForTest(dispatch({ '/api': fromKoa(makeApp()) }))
    const files = await rawGet(port, '/api/files/a%2Fb')
    expect(JSON.parse(files.body)).toEqual({ name: 'a/b', url: '/files/a%2Fb' })
    const other = await rawGet(port, '/api/admin%2Fsecret?q')
    expect(JSON.parse(other.body)).toEqual({
      url: '/admin%2Fsecret?q',
      path: '/admin%2Fsecret',
      originalUrl: '/api/admin%2Fsecret?q',
    })
  })
})

describe('toKoa and the raw request target', () => {
  it('gives a mounted gateway app the target as sent, and a Koa app inside it the raw path', async () => {
    const report: WSGIApplication = (environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'application/json']])
      const { REQUEST_URI, SCRIPT_NAME, PATH_INFO } = environ
      return [Buffer.from(JSON.stringify({ REQUEST_URI, SCRIPT_NAME, PATH_INFO }))]
    }
    const outer = new Koa()
    outer.use(mount('/m', toKoa(report)))
    outer.use(mount('/inner', toKoa(fromKoa(makeApp()))))
    const listener = outer.callback()
    const server = createServer((req, res) => {
      void listener(req, res)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    onTestFinished(() => {
      server.closeAllConnections()
      server.close()
    })
    const { port } = server.address() as AddressInfo
    expect(JSON.parse((await rawGet(port, '/m/a%2Fb?q')).body)).toEqual({
      REQUEST_URI: '/m/a%2Fb?q',
      SCRIPT_NAME: '/m',
      PATH_INFO: '/a/b',
    })
    expect(JSON.parse((await rawGet(port, '/inner/files/a%2Fb')).body)).toEqual({
      name: 'a/b',
      url: '/files/a%2Fb',
    })
  })
})
