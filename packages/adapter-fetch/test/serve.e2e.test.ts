/**
 * `wsgi serve` with a Hono app file and no wrapping code: the real command (the built bin, run
 * with plain `node`) recognises the export, bridges it with `fromFetch` from this package, and
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

describe('wsgi serve hono-app.mjs', () => {
  it('serves the Hono app through fromFetch, and says so', async () => {
    const server = await serveWsgi(['--host', '127.0.0.1', 'hono-app.mjs'], { cwd: fixtures })
    expect(server.output.stdout).toContain(
      'wsgi: serving hono-app.mjs as a Hono app through fromFetch\n',
    )
    const response = await fetch(`http://127.0.0.1:${server.port}/hello`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ framework: 'hono', path: '/hello' })
  })
})

describe('wsgi serve and the global Response', () => {
  it.each([
    ['puts the light Response in place by default', [], 'true'],
    ['keeps the runtime Response with --no-light-response', ['--no-light-response'], 'false'],
  ])('%s', async (_what, flags, replaced) => {
    const server = await serveWsgi(['--host', '127.0.0.1', ...flags, 'hono-light.mjs'], {
      cwd: fixtures,
    })
    const response = await fetch(`http://127.0.0.1:${server.port}/replaced`)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe(replaced)
  })
})
