/**
 * The Express application of the benchmark: the four workloads as Express routes below `/m`.
 * It is the baseline on its own server, the app `fromExpress` wraps, and the host `toExpress`
 * mounts the gateway app in (in place of the router).
 *
 * @module
 */
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import express from 'express'

import { HELLO_TEXT, MOUNT, chunks, downloadSize } from '../workloads.mjs'
import { countPiped } from './native.mjs'

/**
 * A bare Express app with the benchmark's settings: no ETag (the gateway app computes none,
 * so both sides do the same work), no `X-Powered-By`.
 *
 * @returns {import('express').Express}
 */
export function bareExpress() {
  const app = express()
  app.set('etag', false)
  app.set('x-powered-by', false)
  return app
}

/**
 * The native Express app; `before` runs in front of the routes (the middleware jobs).
 *
 * @param {import('express').RequestHandler[]} [before]
 * @returns {import('express').Express}
 */
export function expressApp(before = []) {
  const router = express.Router()
  router.get('/hello', (_req, res) => {
    res.type('text/plain').send(HELLO_TEXT)
  })
  router.post('/echo', express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
    res.type('application/octet-stream').send(req.body)
  })
  router.put('/upload', (req, res, next) => {
    countPiped(req).then((n) => {
      res.type('text/plain').send(String(n))
    }, next)
  })
  router.get('/download', (req, res, next) => {
    const q = req.url.indexOf('?')
    const n = downloadSize(q < 0 ? '' : req.url.slice(q + 1))
    res.set({ 'Content-Type': 'application/octet-stream', 'Content-Length': String(n) })
    pipeline(Readable.from(chunks(n)), res).catch(next)
  })
  const app = bareExpress()
  for (const mw of before) app.use(mw)
  app.use(MOUNT, router)
  return app
}
