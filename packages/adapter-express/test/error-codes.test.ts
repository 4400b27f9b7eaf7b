/**
 * A bad header from a gateway app under Express: `startResponse` refuses it at the call, and the
 * error Express's `next(err)` gets carries the `ERR_WSGI_*` code, in `code` and in the first line
 * of its stack (what Express's final handler prints).
 *
 * @module
 */
import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import { describe, expect, it } from 'vitest'

import type { HeaderList, WSGIApplication } from '@wsgi/core/types'

import { toExpress } from '../src/to-express.ts'

import { listen } from './helpers.ts'

function appWith(headers: HeaderList): WSGIApplication {
  return (_environ, startResponse) => {
    startResponse('200 OK', headers)
    return [new TextEncoder().encode('not sent')]
  }
}

describe('a bad response header under Express', () => {
  it.each([
    [[['X-Price', '10 €']], 'ERR_WSGI_NOT_LATIN1', /^Header 'X-Price' value holds U\+20AC/],
    [[['X-Split', 'a\r\nSet-Cookie: x=1']], 'ERR_WSGI_INVALID_HEADER', /control character U\+000D/],
    [
      [['X-Nul\0', 'a']],
      'ERR_WSGI_INVALID_HEADER',
      /^Header name 'X-Nul\\x00'|control character U\+0000/,
    ],
  ] as const)('reaches next(err) with %j as %s', async (headers, code, message) => {
    const seen: unknown[] = []
    const app = express()
    app.use(toExpress(appWith(headers as unknown as HeaderList)))
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      seen.push(error)
      res.status(500).send('handled by Express')
    })
    const base = await listen(app)
    const response = await fetch(`${base}/`)
    expect(response.status).toBe(500)
    expect(await response.text()).toBe('handled by Express')
    expect(seen).toHaveLength(1)
    const error = seen[0] as Error & { code?: unknown }
    expect(error.code).toBe(code)
    expect(error.message).toMatch(message)
    expect(error.stack?.split('\n')[0]).toBe(`WSGIError [${code}]: ${error.message}`)
  })
})
