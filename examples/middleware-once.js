// examples/middleware-once.js: one gateway middleware, used in an Express chain and in a Koa
// chain alike.
import express from 'express'
import Koa from 'koa'

import { toExpressMiddleware } from '@wsgi/adapter-express'
import { toKoaMiddleware } from '@wsgi/adapter-koa'

/**
 * Takes an app, returns an app whose responses say `Cache-Control: no-store`, whatever the
 * wrapped app said. Headers are a list of [name, value] pairs.
 * @type {import('@wsgi/core/types').Middleware}
 */
const noStore = (app) => (environ, startResponse) =>
  app(environ, (status, headers, excInfo) => {
    const others = headers.filter(([name]) => name.toLowerCase() !== 'cache-control')
    return startResponse(status, [...others, ['Cache-Control', 'no-store']], excInfo)
  })

const shop = express()
shop.use(toExpressMiddleware(noStore))
shop.get('/', (req, res) => {
  res.send('Express\n')
})

const blog = new Koa()
blog.use(toKoaMiddleware(noStore))
blog.use((ctx) => {
  ctx.body = 'Koa\n'
})

export const expressServer = shop.listen(Number(process.env.PORT ?? 8000), 'localhost')
export const koaServer = blog.listen(Number(process.env.KOA_PORT ?? 8001), 'localhost')
// curl -i localhost:8000/  ->  Cache-Control: no-store ... Express
// curl -i localhost:8001/  ->  Cache-Control: no-store ... Koa
