/**
 * What the examples of docs/for-express-developers.md must do: each check starts one example on
 * a free port of localhost, sends the requests its closing comment shows, over a real socket,
 * and compares the answers. examples.test.js runs them under vitest in the workspace;
 * scripts/pack-check.sh runs `node check.js` in a scratch project, against the packed tarballs.
 *
 * @module
 */

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

// Every example listens on PORT (default 8000); here on whatever port is free.
process.env.PORT = '0'
process.env.KOA_PORT = '0'

const here = fileURLToPath(new URL('.', import.meta.url))

/** The base URL of a listening http.Server (or WSGIServer), waiting for it to listen. */
async function origin(server) {
  const http = server.httpServer ?? server
  if (!http.listening) await once(http, 'listening')
  const { address, port } = http.address()
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`
}

/** Stop a server started by an example, keep-alive connections included. */
async function stop(server) {
  if (server.shutdown) return server.shutdown()
  server.closeAllConnections()
  server.close()
}

async function get(url, init) {
  const res = await fetch(url, init)
  return { status: res.status, headers: res.headers, text: await res.text() }
}

/** The checks, by example file. */
export const checks = {
  async 'mount-in-express.js'() {
    const { server } = await import('./mount-in-express.js')
    try {
      const base = await origin(server)
      assert.equal(
        (await get(`${base}/legacy/hello`)).text,
        'SCRIPT_NAME=/legacy PATH_INFO=/hello\n',
      )
      assert.equal((await get(`${base}/`)).text, 'Express home\n')
    } finally {
      await stop(server)
    }
  },

  async 'express-and-koa-on-a-gateway-server.js'() {
    const { server } = await import('./express-and-koa-on-a-gateway-server.js')
    try {
      const base = await origin(server)
      assert.equal((await get(`${base}/shop/items`)).text, '{"baseUrl":"/shop","path":"/items"}')
      assert.equal((await get(`${base}/blog/post/1`)).text, 'Koa sees /post/1\n')
    } finally {
      await stop(server)
    }
  },

  async 'middleware-once.js'() {
    const { expressServer, koaServer } = await import('./middleware-once.js')
    try {
      for (const [server, text] of [
        [expressServer, 'Express\n'],
        [koaServer, 'Koa\n'],
      ]) {
        const res = await get(`${await origin(server)}/`)
        assert.equal(res.headers.get('cache-control'), 'no-store')
        assert.equal(res.text, text)
      }
    } finally {
      await stop(expressServer)
      await stop(koaServer)
    }
  },

  async 'hono-on-a-gateway-server.js'() {
    const { server } = await import('./hono-on-a-gateway-server.js')
    try {
      const res = await get(`${await origin(server)}/hello/ada`)
      assert.equal(res.status, 200)
      assert.equal(res.text, '{"hello":"ada"}')
    } finally {
      await stop(server)
    }
  },

  // The real `wsgi` command of the installed @wsgi/core, as `wsgi serve app.js --workers 2`.
  async 'app.js'() {
    const wsgi = spawn(
      `${here}node_modules/.bin/wsgi`,
      ['serve', 'app.js', '--workers', '2', '--host', '127.0.0.1', '--port', '0', '--validate'],
      { cwd: here, stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const exited = once(wsgi, 'exit')
    try {
      let out = ''
      wsgi.stdout.setEncoding('utf8')
      for await (const chunk of wsgi.stdout) {
        out += chunk
        if (/port \d+/.test(out)) break
      }
      const port = /port (\d+)/.exec(out)?.[1]
      assert.ok(port, `wsgi serve printed no port: ${out}`)
      const res = await get(`http://127.0.0.1:${port}/echo`, { method: 'POST', body: 'hi there' })
      assert.equal(res.text, 'POST /echo: 8 bytes\n')
    } finally {
      wsgi.kill('SIGTERM')
      await exited
    }
  },
}

// `node check.js`: run every check, one line each, exit 1 if one failed.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let failed = 0
  for (const [file, check] of Object.entries(checks)) {
    try {
      await check()
      console.log(`ok   examples/${file}`)
    } catch (error) {
      failed++
      console.log(`FAIL examples/${file}`, error)
    }
  }
  process.exit(failed === 0 ? 0 : 1)
}
