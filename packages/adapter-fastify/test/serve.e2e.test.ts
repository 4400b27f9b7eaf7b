/**
 * `wsgi serve` with a Fastify app file and no wrapping code: the real command (the built bin, run
 * with plain `node`) recognises the export, bridges it with `fromFastify` from this package, and
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

describe('wsgi serve fastify-app.mjs', () => {
  it('serves the Fastify app through fromFastify, and says so', async () => {
    const server = await serveWsgi(['--host', '127.0.0.1', 'fastify-app.mjs'], { cwd: fixtures })
    expect(server.output.stdout).toContain(
      'wsgi: serving fastify-app.mjs as a Fastify instance through fromFastify\n',
    )
    const response = await fetch(`http://127.0.0.1:${server.port}/hello`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ framework: 'fastify', path: '/hello' })
  })
})
