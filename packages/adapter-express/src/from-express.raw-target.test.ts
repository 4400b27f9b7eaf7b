/**
 * The request target as the client sent it, through real sockets: fromExpress on the simple
 * server (and mounted by `dispatch`) must route what Express on its own server routes.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import express from 'express'
import { describe, expect, it, onTestFinished } from 'vitest'

import { rawGet, serveSimpleForTest } from '@wsgi/conformance'
import { dispatch } from '@wsgi/core/dispatch'
import type { WSGIApplication } from '@wsgi/core/types'

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

async function native(): Promise<number> {
  const server = createServer(makeApp())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => {
    server.closeAllConnections()
    server.close()
  })
  return (server.address() as AddressInfo).port
}

/** Status and body of `GET target`, read with a raw client (no URL normalisation). */
describe('fromExpress and the raw request target', () => {
  it.each([
    // %2F is no separator: the route /admin/secret must not match.
    ['/admin%2Fsecret', 404, { url: '/admin%2Fsecret', originalUrl: '/admin%2Fsecret' }],
    ['/x/%2e%2e/admin/secret', 404, { url: '/x/%2e%2e/admin/secret' }],
    // A param holding %2F routes, and is decoded by Express.
    ['/files/a%2Fb', 200, { name: 'a/b', url: '/files/a%2Fb' }],
    ['/fn(x)', 200, { fn: true }],
  ])('GET %s reaches Express as on its own server', async (target, status, expected) => {
    const [ours, theirs] = await Promise.all([
      serveSimpleForTest(fromExpress(makeApp())).then((port) => rawGet(port, target)),
      native().then((port) => rawGet(port, target)),
    ])
    expect(ours.status).toBe(status)
    expect(JSON.parse(ours.body)).toMatchObject(expected)
    expect(ours).toEqual(theirs)
  })

  it("answers 400 for a malformed escape in a param, as Express's router does", async () => {
    const [ours, theirs] = await Promise.all([
      serveSimpleForTest(fromExpress(makeApp())).then((port) => rawGet(port, '/one/a%zz')),
      native().then((port) => rawGet(port, '/one/a%zz')),
    ])
    expect(theirs.status).toBe(400)
    expect(ours.status).toBe(400)
  })

  it('keeps the raw rest of the path below a dispatch mount', async () => {
    const port = await serveSimpleForTest(dispatch({ '/api': fromExpress(makeApp()) }))
    const files = await rawGet(port, '/api/files/a%2Fb?x=%41')
    expect(files.status).toBe(200)
    expect(JSON.parse(files.body)).toEqual({ name: 'a/b', url: '/files/a%2Fb?x=%41' })
    const other = await rawGet(port, '/api/admin%2Fsecret')
    expect(JSON.parse(other.body)).toEqual({
      url: '/admin%2Fsecret',
      originalUrl: '/api/admin%2Fsecret',
      baseUrl: '/api',
    })
  })
})

describe('toExpress and the raw request target', () => {
  it('gives a mounted gateway app the target as sent, and an Express app inside it the raw path', async () => {
    const report: WSGIApplication = (environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'application/json']])
      const { REQUEST_URI, SCRIPT_NAME, PATH_INFO } = environ
      return [Buffer.from(JSON.stringify({ REQUEST_URI, SCRIPT_NAME, PATH_INFO }))]
    }
    const outer = express()
    outer.use('/m', toExpress(report))
    outer.use('/inner', toExpress(fromExpress(makeApp())))
    const server = createServer(outer)
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
