/**
 * A gateway status a fetch `Response` cannot hold (a final 1xx, 600 to 999: PEP 3333 allows every
 * code from 100) answers a clear 500 under a fetch runtime, with the reason and a stable code in
 * `wsgi.errors`, over a real socket (@hono/node-server).
 */

import { describe, expect, it } from 'vitest'

import type { Status, WSGIApplication } from '@wsgi/core/types'

import { FetchHandler } from '../src/fetch-handler.ts'

import { MemoryErrors, serveOnNodeServer } from './helpers.ts'

/** Serve `app` through a FetchHandler that lets any status reach the Response (strictResponse off). */
async function listen(app: WSGIApplication, errors: MemoryErrors): Promise<string> {
  const fetch = (request: Request): Promise<Response> => {
    const handler = new FetchHandler(request, {
      scriptName: '',
      errors,
      env: undefined,
      ctx: undefined,
    })
    // As core does once it carries every status PEP 3333 allows: the Response is the limit.
    handler.strictResponse = false
    return handler.respond(app)
  }
  const port = await serveOnNodeServer(fetch)
  return `http://127.0.0.1:${String(port)}/`
}

describe('FetchHandler: a status a Response cannot hold', () => {
  it.each(['700 Custom', '999 Last', '101 Switching Protocols', '199 Informational'])(
    'answers %s with a 500 and logs ERR_WSGI_INVALID_STATUS with the reason',
    async (status) => {
      const errors = new MemoryErrors()
      const app: WSGIApplication = (_environ, startResponse) => {
        startResponse(status as Status, [['Content-Type', 'text/plain']])
        return [new TextEncoder().encode('body')]
      }
      const response = await fetch(await listen(app, errors))
      expect(response.status).toBe(500)
      expect(await response.text()).not.toContain('body')
      expect(errors.text).toContain('ERR_WSGI_INVALID_STATUS')
      expect(errors.text).toContain(`A fetch Response cannot carry the status '${status}'`)
    },
  )
})
