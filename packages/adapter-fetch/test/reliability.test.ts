/**
 * Reliability of the fetch bridge in both directions, over real sockets: the shared suite
 * (`reliability/lib/suite.mjs`: malformed and borderline requests, misbehaving apps, clients that
 * go away, fast-check round trips) through
 *
 * - `toFetch(app)` served by `@hono/node-server`;
 * - `fromFetch(handler)` served by core's simple server;
 * - `toFetch(fromFetch(handler))` served by `@hono/node-server` (both directions at once);
 *
 * and the regressions of the failures the suite found in this package.
 *
 * @module
 */
import type { Server } from 'node:http'

import { createAdaptorServer } from '@hono/node-server'
import { describe, expect, it, onTestFinished } from 'vitest'

import { StringErrorStream } from '@wsgi/core/streams'
import type { WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'

import { serveServer, serveSimple as serveSimpleOn } from '@wsgi/conformance'
import { describeReliability } from '../../../reliability/lib/suite.mjs'
import type { FetchHandler, Running, Stack } from '../../../reliability/lib/suite.mjs'
import { exchange } from '../../../reliability/lib/raw-http.mjs'
import { fromFetch } from '../src/from-fetch.ts'
import { toFetch } from '../src/to-fetch.ts'
import { MemoryErrors, makeEnviron, runApp } from './helpers.ts'

const log = new StringErrorStream()
const enc = new TextEncoder()

const serveSimple = (app: WSGIApplication): Promise<Running> => serveSimpleOn(app, log)

const serveFetch = (
  handler: (request: Request) => Response | Promise<Response>,
): Promise<Running> => serveServer(createAdaptorServer({ fetch: handler }) as Server, log)

const gatewayFetch = (app: WSGIApplication): FetchHandler => {
  const handler = toFetch(app, { errors: log })
  return (request) => handler(request)
}

// @hono/node-server flushes the head of a streamed response with Node's flushHeaders(), which
// writes it as UTF-8 (a Node bug): latin-1 header values arrive mangled, whatever the bridge does.
const HONO_FLUSH = 'upstream: @hono/node-server flushes heads with flushHeaders(), UTF-8 in Node'

const STACKS: Stack[] = [
  {
    name: 'toFetch(app) on @hono/node-server',
    far: 'app',
    afterCodes: true,
    host: { resolvesDotSegments: true },
    asciiHeadersBecause: HONO_FLUSH,
    serve: (far) => serveFetch(gatewayFetch(far.app as WSGIApplication)),
  },
  {
    name: 'fromFetch(handler) on makeServer',
    far: 'fetch',
    afterCodes: true,
    serve: (far, wrap) => serveSimple(wrap(fromFetch(far.fetch!)) as WSGIApplication),
  },
  {
    name: 'toFetch(fromFetch(handler)) on @hono/node-server',
    far: 'fetch',
    afterCodes: true,
    host: { resolvesDotSegments: true },
    asciiHeadersBecause: HONO_FLUSH,
    serve: (far, wrap) => serveFetch(gatewayFetch(wrap(fromFetch(far.fetch!)) as WSGIApplication)),
  },
]

describeReliability(STACKS, {
  toListener: () => {
    throw new Error('no stack of this file serves a Node listener')
  },
  toFetchHandler: (app) => gatewayFetch(app as WSGIApplication),
})

describe('fromFetch(handler): requests a URL cannot carry unchanged (regressions)', () => {
  it.each([
    ['a Host holding a path', { HTTP_HOST: 'x/admin?', PATH_INFO: '/public' }],
    ['a Host holding #', { HTTP_HOST: 'x#', PATH_INFO: '/secret' }],
    ['a Host with user info', { HTTP_HOST: 'user@evil', PATH_INFO: '/p' }],
    ['a dot segment', { PATH_INFO: '/public/../admin' }],
    [
      'a percent-encoded dot segment kept in REQUEST_URI',
      { PATH_INFO: '/public/../admin', REQUEST_URI: '/public/%2e%2e/admin' },
    ],
    ['a lone dot segment', { PATH_INFO: '/./admin' }],
    ['the asterisk-form target', { REQUEST_METHOD: 'OPTIONS', PATH_INFO: '*' }],
  ] as [string, Partial<WSGIEnvironment>][])(
    'answers 400 for %s, with a coded log line, without calling the handler',
    async (_name, overrides) => {
      const errors = new MemoryErrors()
      let called = 0
      const app = fromFetch(() => {
        called++
        return new Response('reached')
      })
      const result = await runApp(app, makeEnviron({ ...overrides, 'wsgi.errors': errors }))
      expect(result.status).toBe('400 Bad Request')
      expect(called).toBe(0)
      expect(errors.text).toContain('ERR_WSGI_BAD_REQUEST')
    },
  )

  it('still accepts a Host with a port, an IPv6 literal and percent-encoded dots inside a segment', async () => {
    const seen: string[] = []
    const app = fromFetch((request) => {
      seen.push(request.url)
      return new Response('ok')
    })
    for (const overrides of [
      { HTTP_HOST: 'example.com:8080', PATH_INFO: '/a.b/..c/.d' },
      { HTTP_HOST: '[::1]:80', PATH_INFO: '/x' },
    ]) {
      const result = await runApp(app, makeEnviron(overrides))
      expect(result.status).toBe('200 OK')
    }
    expect(seen).toEqual(['http://example.com:8080/a.b/..c/.d', 'http://[::1]/x'])
  })
})

describe('toFetch(app): response and input faults (regressions)', () => {
  const run = async (
    app: WSGIApplication,
    init: RequestInit & { inputLimit?: number } = {},
  ): Promise<{ response: Response; body: string; errors: string }> => {
    const errors = new MemoryErrors()
    const { inputLimit, ...requestInit } = init
    const handler = toFetch(app, { errors, ...(inputLimit === undefined ? {} : { inputLimit }) })
    const response = await handler(new Request('http://h/', requestInit))
    const body = await response.text().catch(() => '<cut>')
    return { response, body, errors: errors.text }
  }

  it('answers 500 with ERR_WSGI_INVALID_STATUS for an interim or out-of-range final status', async () => {
    for (const status of ['101 Switching Protocols', '600 Beyond'] as const) {
      const { response, errors } = await run((_e, startResponse) => {
        startResponse(status, [])
        return [enc.encode('x')]
      })
      expect(response.status).toBe(500)
      expect(errors).toContain('ERR_WSGI_INVALID_STATUS')
    }
  })

  it('answers 500 with ERR_WSGI_INVALID_HEADER for a header name fetch refuses', async () => {
    const { response, errors } = await run((_e, startResponse) => {
      startResponse('200 OK', [['Bad Name', 'x']])
      return [enc.encode('x')]
    })
    expect(response.status).toBe(500)
    expect(errors).toContain('ERR_WSGI_INVALID_HEADER')
  })

  it('cuts a body longer than its Content-Length with ERR_WSGI_CONTENT_LENGTH_MISMATCH', async () => {
    const { body, errors } = await run((_e, startResponse) => {
      startResponse('200 OK', [['Content-Length', '2']])
      return (function* () {
        yield enc.encode('o')
        yield enc.encode('k and more')
      })()
    })
    expect(body).toBe('<cut>')
    expect(errors).toContain('ERR_WSGI_CONTENT_LENGTH_MISMATCH')
  })

  it('sends the whole body and logs once when close() throws after it', async () => {
    const { response, body, errors } = await run((_e, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return Object.assign([enc.encode('whole')], {
        close(): void {
          throw new Error('close failed')
        },
      })
    })
    expect(response.status).toBe(200)
    expect(body).toBe('whole')
    expect(errors).toContain('close failed')
    expect(errors).not.toContain('No request is in progress')
  })

  it('answers 413 with ERR_WSGI_BODY_TOO_LARGE for a body over inputLimit', async () => {
    const app: WSGIApplication = async (environ, startResponse) => {
      await environ['wsgi.input'].read()
      startResponse('200 OK', [])
      return [enc.encode('read')]
    }
    const over = await run(app, { method: 'POST', body: 'x'.repeat(2000), inputLimit: 1000 })
    expect(over.response.status).toBe(413)
    expect(over.errors).toContain('ERR_WSGI_BODY_TOO_LARGE')
    const under = await run(app, { method: 'POST', body: 'x'.repeat(500), inputLimit: 1000 })
    expect(under.response.status).toBe(200)
  })

  it('rejects an inputLimit that is not a non-negative integer', () => {
    expect(() => toFetch(() => [], { inputLimit: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })

  it('keeps latin-1 header values of a response without a body on @hono/node-server', async () => {
    const running = await serveFetch(
      gatewayFetch((_e, startResponse) => {
        startResponse('200 OK', [['X-Latin', 'caf\xe9']])
        return []
      }),
    )
    onTestFinished(() => running.close())
    const result = await exchange(running.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')
    expect(result.responses[0]?.headers).toContainEqual(['x-latin', 'caf\xe9'])
  })

  it.each([
    ['streamed', 100_000],
    ['read whole', 1000],
  ])(
    'does not log a client that leaves mid-upload as an application error (%s body)',
    async (_, length) => {
      const errors = new StringErrorStream()
      const running = await serveFetch((request) =>
        toFetch(
          async (environ, startResponse) => {
            await environ['wsgi.input'].read()
            startResponse('200 OK', [])
            return [enc.encode('read')]
          },
          { errors },
        )(request),
      )
      onTestFinished(() => running.close())
      const result = await exchange(
        running.port,
        `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${length}\r\n\r\npartial`,
        { timeoutMs: 200 },
      )
      expect(result.responses).toEqual([])
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(errors.getValue()).toBe('')
    },
  )
})
