/**
 * A real Flask app (Debian's Flask 2.2) through `fromPython` inside Pyodide, mounted at /py on
 * core's server and in Express, Koa, Fastify and Hono, answers byte for byte as the same app on
 * Python's own wsgiref.simple_server, with `wsgiref.validate.validator` checking every request.
 */
import { randomBytes } from 'node:crypto'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { fromPython } from '../src/index.ts'
import type { PythonInterpreter } from '../src/index.ts'
import {
  PATHS,
  appHeaders,
  cookiesOf,
  multipart,
  interpreterWithStderr,
  send,
  startReference,
  startStacks,
} from './helpers.ts'
import type { Case, RawResponse, Stack } from './helpers.ts'

const STACKS = ['core makeServer', 'Express', 'Koa', 'Fastify', 'Hono (toFetch)']
const upload = randomBytes(3000)
const boundary = 'wsgitsBoundary7d1'

const CASES: [label: string, c: Case][] = [
  ['a plain route', { path: '/py/' }],
  ['a query string and JSON', { path: '/py/json?x=1' }],
  [
    'a JSON post',
    {
      method: 'POST',
      path: '/py/json',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: [1, 2], b: 'é' }),
    },
  ],
  [
    'a form post',
    {
      method: 'POST',
      path: '/py/form',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'b=2&a=%C3%A9+x&c=',
    },
  ],
  [
    'a file upload',
    {
      method: 'POST',
      path: '/py/upload',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: multipart(boundary, 'hello', 'data.bin', upload),
    },
  ],
  ['cookies set and read', { path: '/py/cookie', headers: { cookie: 'seen=before' } }],
  ['a redirect under the mount', { path: '/py/go' }],
  ['the redirect target', { path: '/py/target?q=x' }],
  ['a streamed generator', { path: '/py/stream' }],
  ['an error handler (418)', { path: '/py/teapot' }],
  ['the 404 handler', { path: '/py/nowhere/%E2%82%AC' }],
  ['a HEAD request', { method: 'HEAD', path: '/py/' }],
  ['the environ as Flask sees it', { path: '/py/environ' }],
]

let reference: Stack
let stacks: Stack[] = []
let stderr: string[] = []
let interpreter: PythonInterpreter | undefined

beforeAll(async () => {
  const loaded = interpreterWithStderr()
  stderr = loaded.stderr
  interpreter = loaded.interpreter
  const app = fromPython('flask_app:app', {
    paths: PATHS,
    interpreter: loaded.interpreter,
    validate: true,
  })
  ;[reference, stacks] = await Promise.all([startReference('flask_app:app'), startStacks(app)])
})

afterAll(async () => {
  await Promise.all([reference, ...stacks].filter(Boolean).map((s) => s.close()))
  await interpreter?.terminate()
})

function expectSame(got: RawResponse, want: RawResponse): void {
  expect(got.status).toBe(want.status)
  expect(appHeaders(got)).toEqual(appHeaders(want))
  expect(got.body.equals(want.body), `${got.body.toString()} != ${want.body.toString()}`).toBe(true)
}

// Flask signs the session with a timestamp: the cookie's value differs by the second it was made.
function maskSession(res: RawResponse): RawResponse {
  return {
    ...res,
    headers: res.headers.map(([n, v]) => [n, v.replace(/^session=[^;]+/, 'session=<signed>')]),
  }
}

describe.each(STACKS)('Flask on %s', (name) => {
  const stack = (): Stack => stacks.find((s) => s.name === name)!

  it.each(CASES)('%s: same status, headers and bytes as wsgiref', async (_label, c) => {
    const [want, got] = await Promise.all([send(reference.port, c), send(stack().port, c)])
    expectSame(got, want)
  })

  it('a session kept across requests by its cookie', async () => {
    const first = await send(stack().port, { path: '/py/session' })
    const second = await send(stack().port, {
      path: '/py/session',
      headers: { cookie: cookiesOf(first) },
    })
    expect(second.body.toString()).toBe('n=2\n')
    const want1 = await send(reference.port, { path: '/py/session' })
    const want2 = await send(reference.port, {
      path: '/py/session',
      headers: { cookie: cookiesOf(want1) },
    })
    expectSame(maskSession(first), maskSession(want1))
    expectSame(maskSession(second), maskSession(want2))
  })
})

it('the environ crosses with PEP 3333 types, multithread false, the mount as SCRIPT_NAME', async () => {
  const res = await send(stacks[0]!.port, { path: '/py/environ' })
  expect(JSON.parse(res.body.toString())).toEqual({
    multithread: false,
    version: [1, 0],
    path: '/environ',
    script: '/py',
    types: ['str'],
  })
})

it("Python's validator and Python's stderr stayed silent on every request", () => {
  expect(stderr).toEqual([])
})
