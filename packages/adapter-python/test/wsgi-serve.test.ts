/**
 * A Flask app under core's `wsgi serve` command (with two workers, each its own interpreter),
 * through a one-line JavaScript module exporting `fromPython(...)`: same status, headers and bytes
 * as the same app on Python's wsgiref.simple_server.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { FIXTURES, appHeaders, send, startReference } from './helpers.ts'
import type { Case, Stack } from './helpers.ts'

const PACKAGE = fileURLToPath(new URL('..', import.meta.url))
const WSGI = join(PACKAGE, '..', 'core', 'bin', 'wsgi.js')

// Paths the app sees the same with or without the reference's /py mount.
const CASES: [label: string, path: string, c: Omit<Case, 'path'>][] = [
  ['a plain route', '/', {}],
  ['JSON', '/json', {}],
  [
    'a form post',
    '/form',
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'b=2&a=%C3%A9',
    },
  ],
  ['cookies', '/cookie', { headers: { cookie: 'seen=1' } }],
  ['a streamed generator', '/stream', {}],
  ['an error handler', '/teapot', {}],
  ['the 404 handler', '/missing', {}],
]

let reference: Stack
let port = 0
let child: ReturnType<typeof spawn> | undefined

beforeAll(async () => {
  reference = await startReference('flask_app:app')
  const server = spawn(
    process.execPath,
    [
      WSGI,
      'serve',
      `${FIXTURES}flask-app.mjs`,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--workers',
      '2',
    ],
    { cwd: PACKAGE, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  child = server
  let out = ''
  server.stderr.setEncoding('utf8')
  server.stdout.setEncoding('utf8')
  for (const stream of [server.stdout, server.stderr]) {
    stream.on('data', (s: string) => {
      out += s
    })
  }
  while (!/port (\d+)/.test(out)) await once(server.stdout, 'data').catch(() => undefined)
  port = Number(/port (\d+)/.exec(out)?.[1])
})

afterAll(async () => {
  if (child?.exitCode === null) {
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
  await reference.close()
})

it.each(CASES)('%s under wsgi serve: same as wsgiref', async (_label, path, c) => {
  const [want, got] = await Promise.all([
    send(reference.port, { ...c, path: `/py${path}` }),
    send(port, { ...c, path }),
  ])
  expect(got.status).toBe(want.status)
  expect(appHeaders(got)).toEqual(appHeaders(want))
  expect(got.body.toString('latin1')).toBe(want.body.toString('latin1'))
})

describe("wsgi serve flask_app.py:app (core's command, no JavaScript module)", () => {
  let pyPort = 0
  let pyChild: ReturnType<typeof spawn> | undefined
  let banner = ''

  beforeAll(async () => {
    const server = spawn(
      process.execPath,
      [WSGI, 'serve', 'test/fixtures/flask_app.py:app', '--host', '127.0.0.1', '--port', '0'],
      {
        cwd: PACKAGE,
        env: { ...process.env, PYTHONPATH: '/usr/lib/python3/dist-packages' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    pyChild = server
    server.stderr.setEncoding('utf8')
    server.stdout.setEncoding('utf8')
    for (const stream of [server.stdout, server.stderr]) {
      stream.on('data', (s: string) => {
        banner += s
      })
    }
    while (!/port (\d+)/.test(banner) && server.exitCode === null) {
      await once(server.stdout, 'data').catch(() => undefined)
    }
    pyPort = Number(/port (\d+)/.exec(banner)?.[1])
  })

  afterAll(async () => {
    if (pyChild?.exitCode === null) {
      pyChild.kill('SIGTERM')
      await once(pyChild, 'exit')
    }
  })

  it('says it serves a Python WSGI app through fromPython', () => {
    expect(banner).toContain(
      'serving test/fixtures/flask_app.py:app as a Python WSGI app through fromPython (Pyodide)',
    )
  })

  it.each(CASES.slice(0, 3))('%s: same as wsgiref', async (_label, path, c) => {
    const [want, got] = await Promise.all([
      send(reference.port, { ...c, path: `/py${path}` }),
      send(pyPort, { ...c, path }),
    ])
    expect(got.status).toBe(want.status)
    expect(appHeaders(got)).toEqual(appHeaders(want))
    expect(got.body.toString('latin1')).toBe(want.body.toString('latin1'))
  })
})
