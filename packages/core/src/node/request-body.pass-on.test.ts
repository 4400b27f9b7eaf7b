/**
 * `passBodyOn`: marking the environ of an app at the end of a chain of synthetic requests marks
 * every `wsgi.input` back to the real request's, so that no handler on the way drains a body the
 * host's chain went on to read.
 *
 * @module
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { WSGIApplication } from '../types.ts'
import { fromNodeListener } from './from-node-listener.ts'
import { bodyPassedOn, passBodyOn } from './request-body.ts'
import { toNodeListener } from './to-node-listener.ts'

// The inputs the outer app (on the real request) and the inner app (on a synthetic one) got.
let inputs: { outer?: unknown; inner?: unknown } = {}

const inner: WSGIApplication = (environ, startResponse) => {
  inputs.inner = environ['wsgi.input']
  if (environ.PATH_INFO === '/passed') passBodyOn(environ)
  startResponse('200 OK', [['Content-Type', 'text/plain']])
  return [new TextEncoder().encode('ok')]
}
const nested = fromNodeListener(toNodeListener(inner))
const outer: WSGIApplication = (environ, startResponse) => {
  inputs.outer = environ['wsgi.input']
  return nested(environ, startResponse)
}

const server = createServer(toNodeListener(outer))
let base = ''
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

async function post(path: string): Promise<void> {
  inputs = {}
  const res = await fetch(base + path, { method: 'POST', body: 'x'.repeat(1000) })
  expect(await res.text()).toBe('ok')
}

describe('passBodyOn(environ)', () => {
  it('marks the input of the environ and every input it is made from', async () => {
    await post('/passed')
    expect(inputs.inner).not.toBe(inputs.outer)
    expect(bodyPassedOn(inputs.inner as never)).toBe(true)
    expect(bodyPassedOn(inputs.outer as never)).toBe(true)
  })

  it('leaves the inputs of a request that was not passed on unmarked', async () => {
    await post('/kept')
    expect(bodyPassedOn(inputs.inner as never)).toBe(false)
    expect(bodyPassedOn(inputs.outer as never)).toBe(false)
  })

  it('takes an environ without an input, or none', () => {
    expect(() => {
      passBodyOn(undefined)
      passBodyOn({})
    }).not.toThrow()
  })
})
