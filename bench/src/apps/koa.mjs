/**
 * The Koa application of the benchmark: one middleware answering the four workloads below `/m`
 * (bare Koa has no router). It is the baseline on its own server and the app `fromKoa` wraps.
 *
 * @module
 */
import { Readable } from 'node:stream'

import Koa from 'koa'

import { HELLO_TEXT, chunks, downloadSize, workloadOf } from '../workloads.mjs'
import { countPiped, readAll } from './native.mjs'

/**
 * The native Koa app; `before` runs in front of the workloads (the middleware jobs).
 *
 * @param {Koa.Middleware[]} [before]
 * @returns {Koa}
 */
export function koaApp(before = []) {
  const koa = new Koa()
  for (const mw of before) koa.use(mw)
  koa.use(async (ctx) => {
    switch (workloadOf(ctx.path)) {
      case 'hello':
        ctx.type = 'text/plain'
        ctx.body = HELLO_TEXT
        return
      case 'echo':
        ctx.type = 'application/octet-stream'
        ctx.body = await readAll(ctx.req)
        return
      case 'upload':
        ctx.type = 'text/plain'
        ctx.body = String(await countPiped(ctx.req))
        return
      case 'download': {
        const n = downloadSize(ctx.querystring)
        ctx.type = 'application/octet-stream'
        ctx.length = n
        ctx.body = Readable.from(chunks(n))
        return
      }
      default:
    }
  })
  return koa
}
