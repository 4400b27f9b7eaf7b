/**
 * The request target as the client sent it, through real sockets: fromKoa on the simple server
 * (and mounted by `dispatch`) must route what Koa on its own server routes (the conformance
 * package's `describeRawTarget`, with Koa).
 */
import { createServer } from 'node:http'

import Router from '@koa/router'
import Koa from 'koa'
import mount from 'koa-mount'

import { describeRawTarget, startForTest } from '@wsgi/conformance'

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

/** `app` on its own `node:http` server for the test; resolves to the port. */
function listen(app: Koa): Promise<number> {
  const listener = app.callback()
  return startForTest(
    createServer((req, res) => {
      void listener(req, res)
    }),
  )
}

describeRawTarget({
  framework: 'Koa',
  fromName: 'fromKoa',
  toName: 'toKoa',
  gatewayApp: () => fromKoa(makeApp()),
  nativePort: () => listen(makeApp()),
  cases: [
    ['/admin%2Fsecret', 404, { url: '/admin%2Fsecret', path: '/admin%2Fsecret' }],
    ['/x/%2e%2e/admin/secret', 404, { url: '/x/%2e%2e/admin/secret' }],
    ['/a%zz', 404, { url: '/a%zz' }],
    ['/files/a%2Fb', 200, { name: 'a/b', url: '/files/a%2Fb' }],
  ],
  mounted: [
    { target: '/api/files/a%2Fb', body: { name: 'a/b', url: '/files/a%2Fb' } },
    {
      target: '/api/admin%2Fsecret?q',
      body: {
        url: '/admin%2Fsecret?q',
        path: '/admin%2Fsecret',
        originalUrl: '/api/admin%2Fsecret?q',
      },
    },
  ],
  serveMounts: (report) => {
    const outer = new Koa()
    outer.use(mount('/m', toKoa(report)))
    outer.use(mount('/inner', toKoa(fromKoa(makeApp()))))
    return listen(outer)
  },
})
