/**
 * `fromKoa` on `makeServer` hands Koa the server's own `req`/`res` (the pass-through); these
 * tests check that no byte changes: the same requests on the pass-through and on the synthetic
 * path (the app wrapped, so another app runs it) give the same raw bytes and log lines.
 */
import { Socket } from 'node:net'
import { Readable } from 'node:stream'

import Koa from 'koa'

import { BODY_CASES, COMMON_CASES, describePassThrough, getRequest } from '@wsgi/conformance'

import { environOf } from './environ-of.ts'
import { fromKoa } from './from-koa.ts'

const BIG = 'y'.repeat(300 * 1024)

function app(): Koa {
  const koa = new Koa()
  koa.on('error', () => {
    // Koa logs errors to stderr by default; the test keeps quiet.
  })
  koa.use(async (ctx) => {
    switch (ctx.path) {
      case '/json':
        ctx.body = { hello: 'world' }
        return
      case '/stream':
        ctx.type = 'text/plain'
        ctx.body = Readable.from(['one,', 'two,', 'three'])
        return
      case '/no-content':
        ctx.status = 204
        return
      case '/not-modified':
        ctx.status = 304
        return
      case '/cookies':
        ctx.cookies.set('a', '1', { signed: false })
        ctx.cookies.set('b', '2', { signed: false })
        ctx.body = 'cookies'
        return
      case '/redirect':
        ctx.redirect('/json')
        return
      case '/big':
        ctx.body = BIG
        return
      case '/sync-error':
        throw new Error('sync failure')
      case '/async-error':
        await new Promise((resolve) => setImmediate(resolve))
        ctx.throw(418, 'teapot')
        return
      case '/raw':
        // The middleware answers on the raw response itself; Koa stays out.
        ctx.respond = false
        ctx.res.writeHead(200, { 'Content-Type': 'text/plain' })
        ctx.res.end('raw answer')
        return
      case '/thrown-status':
        ctx.throw(418, 'short and stout')
        return
      case '/environ':
        ctx.body = String(environOf(ctx)?.REQUEST_METHOD)
        return
      case '/which':
        ctx.body = ctx.req.socket instanceof Socket ? 'native' : 'synthetic'
        return
      case '/echo': {
        const chunks: Buffer[] = []
        for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
        ctx.type = 'application/octet-stream'
        ctx.body = Buffer.concat(chunks)
        return
      }
      case '/ignore':
        ctx.body = 'ignored'
        return
      case '/ignore-empty':
        ctx.status = 204
        return
      case '/upload': {
        let size = 0
        for await (const chunk of ctx.req) size += (chunk as Buffer).length
        ctx.body = `got ${String(size)}`
        return
      }
      default:
        // Koa's 404
        return
    }
  })
  return koa
}

describePassThrough('fromKoa', () => fromKoa(app()), [
  ...COMMON_CASES,
  ...BODY_CASES,
  ['environOf(ctx)', getRequest('/environ')],
  ['ctx.respond = false, the raw response written by the middleware', getRequest('/raw')],
  ['HEAD with ctx.respond = false', 'HEAD /raw HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['ctx.throw(418)', getRequest('/thrown-status')],
  [
    'a chunked upload',
    'POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  ],
])
