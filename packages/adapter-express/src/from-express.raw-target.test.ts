/**
 * The request target as the client sent it, through real sockets: fromExpress on the simple
 * server (and mounted by `dispatch`) must route what Express on its own server routes (the
 * conformance package's `describeRawTarget`, with Express).
 */
import { createServer } from 'node:http'

import express from 'express'
import { describe, expect, it } from 'vitest'

import { describeRawTarget, rawGet, serveSimpleForTest, startForTest } from '@wsgi/conformance'

import { fromExpress } from './from-express.ts'
import { toExpress } from './to-express.ts'

function makeApp(): express.Express {
  const app = express()
  app.get('/admin/secret', (_req, res) => {
    res.send('SECRET')
  })
  app.get('/files/:name', (req, res) => {
    res.json({ name: req.params.name, url: req.url })
  })
  // Literal parentheses, escaped for path-to-regexp: routed only when `(` reaches it unencoded.
  app.get('/fn\\(x\\)', (_req, res) => {
    res.json({ fn: true })
  })
  app.get('/one/:p', (req, res) => {
    res.json({ p: req.params.p })
  })
  app.use((req, res) => {
    res.status(404).json({ url: req.url, originalUrl: req.originalUrl, baseUrl: req.baseUrl })
  })
  return app
}

function native(): Promise<number> {
  return startForTest(createServer(makeApp()))
}

describeRawTarget({
  framework: 'Express',
  fromName: 'fromExpress',
  toName: 'toExpress',
  gatewayApp: () => fromExpress(makeApp()),
  nativePort: native,
  cases: [
    // %2F is no separator: the route /admin/secret must not match.
    ['/admin%2Fsecret', 404, { url: '/admin%2Fsecret', originalUrl: '/admin%2Fsecret' }],
    ['/x/%2e%2e/admin/secret', 404, { url: '/x/%2e%2e/admin/secret' }],
    // A param holding %2F routes, and is decoded by Express.
    ['/files/a%2Fb', 200, { name: 'a/b', url: '/files/a%2Fb' }],
    ['/fn(x)', 200, { fn: true }],
  ],
  mounted: [
    {
      target: '/api/files/a%2Fb?x=%41',
      status: 200,
      body: { name: 'a/b', url: '/files/a%2Fb?x=%41' },
    },
    {
      target: '/api/admin%2Fsecret',
      body: { url: '/admin%2Fsecret', originalUrl: '/api/admin%2Fsecret', baseUrl: '/api' },
    },
  ],
  serveMounts: (report) => {
    const outer = express()
    outer.use('/m', toExpress(report))
    outer.use('/inner', toExpress(fromExpress(makeApp())))
    return startForTest(createServer(outer))
  },
})

describe('fromExpress and a malformed escape in the target', () => {
  it("answers 400 for a malformed escape in a param, as Express's router does", async () => {
    const [ours, theirs] = await Promise.all([
      serveSimpleForTest(fromExpress(makeApp())).then((port) => rawGet(port, '/one/a%zz')),
      native().then((port) => rawGet(port, '/one/a%zz')),
    ])
    expect(theirs.status).toBe(400)
    expect(ours.status).toBe(400)
  })
})
