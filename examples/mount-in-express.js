// examples/mount-in-express.js: a gateway app mounted in an Express app, under /legacy.
import express from 'express'

import { toExpress } from '@wsgi/adapter-express'

/** @type {import('@wsgi/core/types').WSGIApplication} */
function legacy(environ, startResponse) {
  startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']])
  const text = `SCRIPT_NAME=${environ.SCRIPT_NAME} PATH_INFO=${environ.PATH_INFO}\n`
  return [new TextEncoder().encode(text)]
}

const app = express()
app.get('/', (req, res) => {
  res.send('Express home\n')
})
app.use('/legacy', toExpress(legacy))

export const server = app.listen(Number(process.env.PORT ?? 8000), 'localhost')
// curl localhost:8000/legacy/hello  ->  SCRIPT_NAME=/legacy PATH_INFO=/hello
