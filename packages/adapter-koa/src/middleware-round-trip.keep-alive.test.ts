/**
 * The middleware round trips between Koa and Express on keep-alive connections: each host runs
 * the other's middleware as gateway middleware, which calls `next()`, and the host's route then
 * reads the upload itself. No handler between the real request and `next()` may drain that body
 * (core's `passBodyOn`): two readers on one stream reset connections and log `aborted`.
 *
 * @module
 */
import { createServer } from 'node:http'
import type { RequestListener } from 'node:http'

import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import Koa from 'koa'
import { describe, it } from 'vitest'

import { fromExpressMiddleware, toExpressMiddleware } from '@wsgi/adapter-express'
import {
  closeServer,
  expectAllAnswered,
  keepAlivePosts,
  listenLocal,
  watchErrorLog,
} from '@wsgi/conformance'
import type { KeepAliveReport } from '@wsgi/conformance'

import { fromKoaMiddleware } from './from-koa-middleware.ts'
import { toKoaMiddleware } from './to-koa-middleware.ts'

/** The uploads of `keepAlivePosts` to `listener`, with what was logged meanwhile. */
async function uploads(listener: RequestListener): Promise<[KeepAliveReport, string]> {
  const server = createServer(listener)
  const port = await listenLocal(server)
  const log = watchErrorLog()
  try {
    const report = await keepAlivePosts(port, '/echo')
    return [report, log.stop()]
  } finally {
    log.stop()
    await closeServer(server)
  }
}

function expectAnswered([report, logged]: [KeepAliveReport, string]): void {
  expectAllAnswered(report, logged)
}

describe('middleware round trips on keep-alive connections', () => {
  it('toExpressMiddleware(fromKoaMiddleware(mw)): the Express route reads the upload', async () => {
    const app = express()
    app.use(
      toExpressMiddleware(
        fromKoaMiddleware(async (ctx, next) => {
          ctx.set('x-mw', '1')
          await next()
        }),
      ),
    )
    app.post('/echo', express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
      res.send(req.body)
    })
    expectAnswered(await uploads(app))
  })

  it('toKoaMiddleware(fromExpressMiddleware(mw)): the Koa route reads the upload', async () => {
    const koa = new Koa()
    koa.use(
      toKoaMiddleware(
        fromExpressMiddleware((_req: Request, res: Response, next: NextFunction) => {
          res.setHeader('x-mw', '1')
          next()
        }),
      ),
    )
    koa.use(async (ctx) => {
      const parts: Buffer[] = []
      for await (const part of ctx.req) parts.push(part as Buffer)
      ctx.body = Buffer.concat(parts)
    })
    const handle = koa.callback()
    expectAnswered(
      await uploads((req, res) => {
        void handle(req, res)
      }),
    )
  })
})
