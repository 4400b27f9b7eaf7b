// A CommonJS project: require() every entry point of every installed @wsgi/* package (Node >=
// 20.19 loads ESM with require), then run the Express README example (toExpress) on a socket.
const assert = require('node:assert/strict')
const { once } = require('node:events')

let count = 0
for (const name of process.argv.slice(2)) {
  const pkg = require(`${name}/package.json`)
  for (const subpath of Object.keys(pkg.exports)) {
    if (subpath === './package.json') continue
    const specifier = name + subpath.slice(1)
    if (Object.keys(require(specifier)).length === 0)
      throw new Error(`require('${specifier}') exports nothing`)
    count++
  }
}

const express = require('express')
const { toExpress } = require('@wsgi/adapter-express')
const { requestURI } = require('@wsgi/core/util')

/** @type {import('@wsgi/core/types').WSGIApplication} */
const legacy = (environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']])
  return [
    new TextEncoder().encode(`PATH_INFO=${environ.PATH_INFO} requestURI=${requestURI(environ)}\n`),
  ]
}

const app = express()
app.use('/legacy', toExpress(legacy))
const server = app.listen(0, '127.0.0.1')
once(server, 'listening')
  .then(async () => {
    const { port } = server.address()
    const text = await (await fetch(`http://127.0.0.1:${port}/legacy/hello?x=1`)).text()
    assert.equal(text, `PATH_INFO=/hello requestURI=http://127.0.0.1:${port}/legacy/hello?x=1\n`)
    console.log(`ok   require: ${count} entry points, toExpress over a socket`)
  })
  .finally(() => {
    server.closeAllConnections()
    server.close()
  })
