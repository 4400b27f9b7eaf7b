/**
 * A bad header from a gateway app under fetch (`toFetch` on @hono/node-server, a real socket):
 * `startResponse` refuses it at the call with the documented code, as on every other host,
 * rather than a fetch `TypeError` or `ERR_WSGI_INVALID_HEADER` when the Response is built.
 *
 * @module
 */
import { describe, expect, it } from 'vitest'

import type { HeaderList, WSGIApplication } from '@wsgi/core/types'

import { toFetch } from '../src/to-fetch.ts'

import { MemoryErrors, serveOnNodeServer } from './helpers.ts'

async function listen(fetch: (request: Request) => Response | Promise<Response>): Promise<string> {
  return `http://127.0.0.1:${await serveOnNodeServer(fetch)}`
}

describe('a bad response header under toFetch', () => {
  it.each([
    [[['X-Price', '10 €']], 'WSGIError [ERR_WSGI_NOT_LATIN1]: Header '],
    [[['X-Split', 'a\rb']], 'WSGIError [ERR_WSGI_INVALID_HEADER]: Header '],
  ] as const)('answers 500 and logs %j as %s', async (headers, logged) => {
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', headers as unknown as HeaderList)
      return [new TextEncoder().encode('not sent')]
    }
    const errors = new MemoryErrors()
    const base = await listen(toFetch(app, { errors }))
    const response = await fetch(`${base}/`)
    expect(response.status).toBe(500)
    expect(errors.text).toContain(logged)
  })
})
