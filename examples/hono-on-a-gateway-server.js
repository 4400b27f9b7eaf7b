// examples/hono-on-a-gateway-server.js: a Hono app (any fetch handler) as a gateway app, checked
// by the validator, on the gateway server.
import { Hono } from 'hono'

import { fromFetch } from '@wsgi/adapter-fetch'
import { makeServer } from '@wsgi/core/simple-server'
import { validator } from '@wsgi/core/validate'

const hono = new Hono()
hono.get('/hello/:name', (c) => c.json({ hello: c.req.param('name') }))

const app = validator(fromFetch(hono.fetch))

export const server = await makeServer('localhost', Number(process.env.PORT ?? 8000), app)
// curl localhost:8000/hello/ada  ->  {"hello":"ada"}
