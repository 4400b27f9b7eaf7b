/**
 * `wsgi serve` with a Express app file and no wrapping code: the real command (the built bin, run
 * with plain `node`) recognises the export, bridges it with `fromExpress` from this package, and
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

describe('wsgi serve express-app.mjs', () => {
  it('serves the Express app through fromExpress, and says so', async () => {
    const server = await serveWsgi(['--host', '127.0.0.1', 'express-app.mjs'], { cwd: fixtures })
    expect(server.output.stdout).toContain(
      'wsgi: serving express-app.mjs as an Express app through fromExpress\n',
    )
    const response = await fetch(`http://127.0.0.1:${server.port}/hello`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ framework: 'express', path: '/hello' })
  })
})
