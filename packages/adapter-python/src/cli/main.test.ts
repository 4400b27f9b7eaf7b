/**
 * The `wsgi-python` command, run as a user runs it (the committed bin over the built dist): it
 * serves a Bottle app as wsgiref does, stops on SIGTERM with exit code 0, and refuses bad usage.
 */
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { expect, it } from 'vitest'

import { DIST_PACKAGES, FIXTURES, appHeaders, send, startReference } from '../../test/helpers.ts'

const PACKAGE = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(PACKAGE, 'bin', 'wsgi-python.js')

it('serves module:app as wsgiref does, and stops on SIGTERM', async () => {
  const args = ['serve', 'bottle_app:app', '--host', '127.0.0.1', '--port', '0']
  const child = spawn(
    process.execPath,
    [BIN, ...args, '--path', FIXTURES, '--path', DIST_PACKAGES],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  let out = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (s: string) => {
    out += s
  })
  while (!/port (\d+)/.test(out)) await once(child.stdout, 'data')
  const port = Number(/port (\d+)/.exec(out)?.[1])
  const reference = await startReference('bottle_app:app')
  try {
    const [want, got] = await Promise.all([
      send(reference.port, { path: '/py/hello/world' }),
      send(port, { path: '/hello/world' }),
    ])
    expect(got.status).toBe(200)
    expect(appHeaders(got)).toEqual(appHeaders(want))
    expect(got.body.toString()).toBe('Hello world, 5 letters\n')
  } finally {
    await reference.close()
  }
  child.kill('SIGTERM')
  const [code] = (await once(child, 'exit')) as [number | null]
  expect(code).toBe(0)
})

it('exits 2 with the usage on bad usage', () => {
  const run = spawnSync(process.execPath, [BIN, 'serve', 'not a spec'], { encoding: 'utf8' })
  expect(run.status).toBe(2)
  expect(run.stderr).toContain('spec must be "module:callable"')
  const none = spawnSync(process.execPath, [BIN], { encoding: 'utf8' })
  expect(none.status).toBe(2)
  expect(none.stderr).toContain('usage: wsgi-python serve module:app')
})
