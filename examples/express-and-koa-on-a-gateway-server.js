// examples/express-and-koa-on-a-gateway-server.js: an Express app and a Koa app, turned into
// gateway apps, mounted side by side and served by the gateway server.
import express from 'express'
import Koa from 'koa'

import { fromExpress } from '@wsgi/adapter-express'
import { fromKoa } from '@wsgi/adapter-koa'
import { dispatch } from '@wsgi/core/dispatch'
import { makeServer } from '@wsgi/core/simple-server'

const shop = express()
shop.get('/items', (req, res) => {
  res.json({ baseUrl: req.baseUrl, path: req.path })
})

const blog = new Koa()
blog.use((ctx) => {
  ctx.body = `Koa sees ${ctx.path}\n`
})

const app = dispatch({ '/shop': fromExpress(shop), '/blog': fromKoa(blog) })

export const server = await makeServer('localhost', Number(process.env.PORT ?? 8000), app)
// curl localhost:8000/shop/items  ->  {"baseUrl":"/shop","path":"/items"}
// curl localhost:8000/blog/post/1 ->  Koa sees /post/1
