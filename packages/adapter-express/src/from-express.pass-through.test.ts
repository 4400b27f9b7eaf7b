/**
 * `fromExpress` on `makeServer` hands Express the server's own `req`/`res` (the pass-through);
 * these tests check that no byte changes: the same requests on the pass-through and on the
 * synthetic path (the app wrapped, so another app runs it) give the same raw bytes and log lines.
 */
import { Socket } from 'node:net'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'

import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import { describe, expect, it } from 'vitest'

import {
  BODY_CASES,
  COMMON_CASES,
  describePassThrough,
  differential,
  getRequest,
} from '@wsgi/conformance'

import { fromExpress } from './from-express.ts'

const BIG = 'x'.repeat(300 * 1024)

function app(): express.Express {
  const api = express()
  // No stack traces in error pages: the frames of the two paths differ.
  api.set('env', 'production')
  api.get('/json', (_req, res) => {
    res.json({ hello: 'world' })
  })
  api.get('/stream', (_req, res) => {
    res.type('text/plain')
    res.write('one,')
    setImmediate(() => {
      res.write('two,')
      res.end('three')
    })
  })
  api.get('/plain', (_req, res) => {
    // Node's implicit Content-Length (res.end(data) with no length set).
    res.end('plain')
  })
  api.get('/no-content', (_req, res) => {
    res.status(204).end()
  })
  api.get('/not-modified', (_req, res) => {
    res.status(304).end()
  })
  api.get('/cookies', (_req, res) => {
    res.cookie('a', '1')
    res.cookie('b', '2', { httpOnly: true })
    res.send('cookies')
  })
  api.get('/server', (_req, res) => {
    res.set('X-First', '1')
    res.set('Server', 'mine')
    res.send('own server header')
  })
  api.get('/hop', (_req, res) => {
    res.set('Connection', 'close, X-Hop')
    res.set('X-Hop', 'dropped')
    res.set('Keep-Alive', 'timeout=1')
    res.send('hop-by-hop')
  })
  // A file (this one): Range, conditional requests and HEAD answered by Express's send.
  api.get('/file', (_req, res) => {
    res.sendFile(fileURLToPath(import.meta.url), { lastModified: false, etag: true })
  })
  api.get('/redirect', (_req, res) => {
    res.redirect('/json')
  })
  api.get('/big', (_req, res) => {
    res.type('text/plain').send(BIG)
  })
  api.get('/readable', (_req, res) => {
    res.type('text/plain')
    Readable.from(['a', 'b', 'c']).pipe(res)
  })
  api.get('/sync-error', () => {
    throw new Error('sync failure')
  })
  api.get('/async-error', (_req, _res, next: NextFunction) => {
    setImmediate(() => {
      next(new Error('async failure'))
    })
  })
  api.get('/slow', (_req, res) => {
    res.write('start')
    const timer = setInterval(() => res.write('.'), 5)
    res.on('close', () => {
      clearInterval(timer)
    })
  })
  api.post('/echo', express.raw({ type: () => true, limit: '4mb' }), (req, res) => {
    res.type('application/octet-stream').send(req.body)
  })
  api.post('/ignore', (_req, res) => {
    res.send('ignored')
  })
  api.post('/ignore-empty', (_req, res) => {
    res.status(204).end()
  })
  api.all('/head-then-end', (_req, res) => {
    // The head is stored now and goes out with the end: whole, with Content-Length: 0.
    res.writeHead(200)
    setImmediate(() => res.end())
  })
  api.all('/which', (req: Request, res: Response) => {
    res.send(req.socket instanceof Socket ? 'native' : 'synthetic')
  })
  api.post('/upload', express.text({ type: () => true }), (req, res) => {
    res.send(`got ${String(req.body).length}`)
  })
  return api
}

// More than the server's drainLimit (1 MiB), which the app never reads.
const UNREAD = Buffer.alloc(3 * 1024 * 1024, 0x62)

describePassThrough('fromExpress', () => fromExpress(app()), [
  ...COMMON_CASES,
  ...BODY_CASES,
  ['an implicit Content-Length', getRequest('/plain')],
  ["the app's own Server header", getRequest('/server')],
  ['hop-by-hop headers the app set', getRequest('/hop')],
  ['a piped stream', getRequest('/readable')],
  ['a head written before an empty end', getRequest('/head-then-end')],
  ['a file', getRequest('/file')],
  ['HEAD of a file', 'HEAD /file HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['a byte range of a file', getRequest('/file', 'Range: bytes=10-49\r\n')],
  ['two byte ranges of a file', getRequest('/file', 'Range: bytes=0-4,20-24\r\n')],
  ['a range past the end of a file', getRequest('/file', 'Range: bytes=999999-\r\n')],
  ['a file not modified (If-None-Match: *)', getRequest('/file', 'If-None-Match: *\r\n')],
  [
    'a head written before an empty end, a body over drainLimit unread (Connection: close)',
    {
      raw: Buffer.concat([
        Buffer.from(
          `POST /head-then-end HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${UNREAD.length}\r\n\r\n`,
        ),
        UNREAD,
      ]),
    },
  ],
  [
    'a chunked upload read by a body parser',
    'POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  ],
  [
    'a sized upload read by a body parser',
    'POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello',
  ],
])

describe('fromExpress on makeServer: a client that leaves', () => {
  it('logs nothing for a client that leaves mid-response, either way', async () => {
    const [result] = await differential(fromExpress(app()), [
      { raw: getRequest('/slow'), abortAfter: 50 },
    ])
    expect(result?.fast.log).toEqual([])
    expect(result?.fast.log).toEqual(result?.synthetic.log)
  })
})
