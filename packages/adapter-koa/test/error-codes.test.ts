/**
 * A bad header from a gateway app under Koa: `startResponse` refuses it at the call, and the
 * error Koa's `'error'` event gets carries the `ERR_WSGI_*` code, in `code` and in the first line
 * of its stack (what Koa's default `onerror` prints).
 *
 * @module
 */
import Koa from 'koa'
import { describe, expect, it } from 'vitest'

import type { HeaderList, WSGIApplication } from '@wsgi/core/types'

import { toKoa } from '../src/to-koa.ts'

import { serveKoa } from './helpers.ts'

function appWith(headers: HeaderList): WSGIApplication {
  return (_environ, startResponse) => {
    startResponse('200 OK', headers)
    return [new TextEncoder().encode('not sent')]
  }
}

describe('a bad response header under Koa', () => {
  it.each([
    [[['X-Price', '10 €']], 'ERR_WSGI_NOT_LATIN1', /^Header 'X-Price' value holds U\+20AC/],
    [[['X-Split', 'a\nb']], 'ERR_WSGI_INVALID_HEADER', /control character U\+000A/],
  ] as const)("reaches app.on('error') with %j as %s", async (headers, code, message) => {
    const app = new Koa()
    const seen: unknown[] = []
    app.on('error', (error: unknown) => {
      seen.push(error)
    })
    app.use(toKoa(appWith(headers as unknown as HeaderList)))
    const base = await serveKoa(app)
    const response = await fetch(`${base}/`)
    expect(response.status).toBe(500)
    expect(seen).toHaveLength(1)
    const error = seen[0] as Error & { code?: unknown }
    expect(error.code).toBe(code)
    expect(error.message).toMatch(message)
    expect(error.stack?.split('\n')[0]).toBe(`WSGIError [${code}]: ${error.message}`)
  })
})
