/**
 * `wsgi serve` with a Koa app file and no wrapping code: the real command (the built bin, run
 * with plain `node`) recognises the export, bridges it with `fromKoa` from this package, and
 * serves it over a real socket.
 *
 * @module
 */
import { fileURLToPath } from 'node:url'

import { beforeAll, describe, expect, it } from 'vitest'

import { buildIfStale, serveWsgi } from '@wsgi/conformance'

const pkg = fileURLToPath(new URL('..', import.meta.url))
const fixtures = fileURLToPath(new URL('fixtures/serve/', import.meta.url))

beforeAll(() => {
  buildIfStale(pkg)
}, 180_000)

describe('wsgi serve koa-app.mjs', () => {
  it('serves the Koa app through fromKoa, and says so', async () => {
    const server = await serveWsgi(['--host', '127.0.0.1', 'koa-app.mjs'], { cwd: fixtures })
    expect(server.output.stdout).toContain(
      'wsgi: serving koa-app.mjs as a Koa app through fromKoa\n',
    )
    const response = await fetch(`http://127.0.0.1:${server.port}/hello`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ framework: 'koa', path: '/hello' })
  })
})
