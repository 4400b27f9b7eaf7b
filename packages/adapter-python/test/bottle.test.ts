/**
 * A real Bottle app (Debian's Bottle 0.12) through `fromPython` inside Pyodide, mounted at /py on
 * core's server and in Express, Koa, Fastify and Hono, answers byte for byte as the same app on
 * Python's own wsgiref.simple_server, with `wsgiref.validate.validator` checking every request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { fromPython } from '../src/index.ts'
import type { PythonInterpreter } from '../src/index.ts'
import {
  PATHS,
  appHeaders,
  interpreterWithStderr,
  send,
  startReference,
  startStacks,
} from './helpers.ts'
import type { Case, Stack } from './helpers.ts'

const STACKS = ['core makeServer', 'Express', 'Koa', 'Fastify', 'Hono (toFetch)']

const CASES: [label: string, c: Case][] = [
  ['a plain route', { path: '/py/' }],
  ['a route with a parameter and a template', { path: '/py/hello/%C3%A9t%C3%A9' }],
  ['a dict answered as JSON', { path: '/py/json' }],
  [
    'a form post',
    {
      method: 'POST',
      path: '/py/form',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'z=%E2%82%AC&a=1',
    },
  ],
  ['a cookie set and read', { path: '/py/cookie', headers: { cookie: 'visited=before' } }],
  ['a generator', { path: '/py/stream' }],
  ['an HTTPResponse raised (418)', { path: '/py/teapot' }],
  ['the 404 error page', { path: '/py/missing' }],
  ['a method not allowed', { method: 'DELETE', path: '/py/form' }],
]

let reference: Stack
let stacks: Stack[] = []
let stderr: string[] = []
let interpreter: PythonInterpreter | undefined

beforeAll(async () => {
  const loaded = interpreterWithStderr()
  stderr = loaded.stderr
  interpreter = loaded.interpreter
  const app = fromPython('bottle_app:app', {
    paths: PATHS,
    interpreter: loaded.interpreter,
    validate: true,
  })
  ;[reference, stacks] = await Promise.all([startReference('bottle_app:app'), startStacks(app)])
})

afterAll(async () => {
  await Promise.all([reference, ...stacks].filter(Boolean).map((s) => s.close()))
  await interpreter?.terminate()
})

describe.each(STACKS)('Bottle on %s', (name) => {
  it.each(CASES)('%s: same status, headers and bytes as wsgiref', async (_label, c) => {
    const stack = stacks.find((s) => s.name === name)!
    const [want, got] = await Promise.all([send(reference.port, c), send(stack.port, c)])
    expect(got.status).toBe(want.status)
    expect(appHeaders(got)).toEqual(appHeaders(want))
    expect(got.body.toString('latin1')).toBe(want.body.toString('latin1'))
  })
})

it("Python's validator and Python's stderr stayed silent on every request", () => {
  expect(stderr).toEqual([])
})
