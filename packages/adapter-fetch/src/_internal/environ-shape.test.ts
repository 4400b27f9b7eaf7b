import { inspect } from 'node:util'

import { describe, expect, it } from 'vitest'

import { hasFastProperties, youngAfterPretenuring } from '@wsgi/conformance'
import type { WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'

import { toFetch } from '../to-fetch.ts'
import { dropUnsetFetch, newFetchEnviron } from './environ-shape.ts'

// Enough headers for the computed HTTP_* keys to have turned the old environ into a dictionary.
const HEADERS: [string, string][] = [
  ['accept', '*/*'],
  ['accept-encoding', 'gzip'],
  ['accept-language', 'en'],
  ['cache-control', 'no-cache'],
  ['cookie', 'a=1'],
  ['referer', 'http://x.test/'],
  ['user-agent', 'test'],
  ['x-a', '1'],
  ['x-b', '2'],
  ['x-c', '3'],
]

async function environOf(headers: [string, string][]): Promise<WSGIEnvironment> {
  let seen: WSGIEnvironment | undefined
  const app: WSGIApplication = (environ, startResponse) => {
    seen = environ
    startResponse('200 OK', [['Content-Type', 'text/plain']])
    return [new Uint8Array([0x6f, 0x6b])]
  }
  const handler = toFetch(app)
  // A Workers-style call (env bindings and an execution context: two more keys), several times:
  // V8 settles the environ's map over the first few.
  const waiting: Promise<unknown>[] = []
  const ctx = {
    waitUntil(promise: Promise<unknown>): void {
      waiting.push(promise)
    },
    passThroughOnException(): void {
      throw new Error('not on Workers')
    },
  }
  for (let i = 0; i < 8; i++) {
    const request = new Request('http://x.test/a/b?q=1', { headers })
    await (await handler(request, { BINDING: 1 }, ctx)).text()
  }
  if (seen === undefined) throw new Error('the app did not run')
  return seen
}

describe('newFetchEnviron', () => {
  it('is a plain object: Object.prototype, no class name, every key undefined', () => {
    const env = newFetchEnviron()
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype)
    expect(env.constructor).toBe(Object)
    expect(inspect(env).startsWith('{')).toBe(true)
    expect(Object.keys(env).slice(0, 3)).toEqual(['REQUEST_METHOD', 'SCRIPT_NAME', 'PATH_INFO'])
    expect(Object.values(env).every((value) => value === undefined)).toBe(true)
  })

  it('is never pretenured by V8 (it holds the request)', () => {
    expect(youngAfterPretenuring(newFetchEnviron)).toBe(true)
  })

  it('dropUnsetFetch removes the keys a hook left unset, and nothing else', () => {
    const env = newFetchEnviron()
    env['REQUEST_METHOD'] = 'GET'
    env['HTTP_X'] = 'y'
    dropUnsetFetch(env)
    expect(env).toEqual({ REQUEST_METHOD: 'GET', HTTP_X: 'y' })
  })
})

describe('the environ toFetch hands the app', () => {
  it('keeps fast properties with many headers (built key by key it became a dictionary)', async () => {
    const environ = await environOf(HEADERS)
    expect(environ['HTTP_X_C']).toBe('3')
    expect(environ['wsgits.fetch_env']).toEqual({ BINDING: 1 })
    expect(Object.values(environ).includes(undefined)).toBe(false)
    expect(hasFastProperties(environ)).toBe(true)
  })

  it('the check itself: the same keys stored one by one into {} make a dictionary', async () => {
    const environ = await environOf(HEADERS)
    const built: Record<string, unknown> = {}
    for (const key of Object.keys(environ)) built[key] = environ[key]
    expect(hasFastProperties(built)).toBe(false)
  })
})
