import { describe, expect, it, vi } from 'vitest'

import {
  ChunkInput,
  MemoryErrors,
  makeEnviron,
  runApp,
  ignoreStart,
  readerOf,
} from '../test/helpers.ts'

import { InputReader } from '@wsgi/core/streams'

import { fromFetch } from './from-fetch.ts'

const enc = new TextEncoder()

/** A handler that records the Request it got and answers 200. */
function capture(): { handler: (r: Request) => Response; requests: Request[] } {
  const requests: Request[] = []
  return {
    requests,
    handler: (request: Request) => {
      requests.push(request)
      return new Response('ok')
    },
  }
}

async function requestFor(overrides: Parameters<typeof makeEnviron>[0], strip = false) {
  const { handler, requests } = capture()
  await runApp(fromFetch(handler, { stripScriptName: strip }), makeEnviron(overrides))
  return requests[0]!
}

describe('fromFetch(handler): the Request URL', () => {
  it.each([
    [{}, 'http://example.com/'],
    [
      { HTTP_HOST: 'h:8080', PATH_INFO: '/a/b', QUERY_STRING: 'x=1&y=2' },
      'http://h:8080/a/b?x=1&y=2',
    ],
    [{ HTTP_HOST: undefined, SERVER_NAME: 's', SERVER_PORT: '80' }, 'http://s/'],
    [{ HTTP_HOST: undefined, SERVER_NAME: 's', SERVER_PORT: '8000' }, 'http://s:8000/'],
    [
      { HTTP_HOST: undefined, SERVER_NAME: 's', SERVER_PORT: '443', 'wsgi.url_scheme': 'https' },
      'https://s/',
    ],
    [{ HTTP_HOST: undefined, SERVER_NAME: '::1', SERVER_PORT: '8000' }, 'http://[::1]:8000/'],
    [{ SCRIPT_NAME: '/app', PATH_INFO: '/x y' }, 'http://example.com/app/x%20y'],
    [{ PATH_INFO: '/\xe2\x82\xac' }, 'http://example.com/%E2%82%AC'],
    [{ PATH_INFO: '/a?b#c%d' }, 'http://example.com/a%3Fb%23c%25d'],
    [{ PATH_INFO: "/a:b@c;d=e,f!$&'()*+" }, "http://example.com/a:b@c;d=e,f!$&'()*+"],
    [{ SCRIPT_NAME: '/app', PATH_INFO: '' }, 'http://example.com/app'],
    [{ QUERY_STRING: 'q=%C3%A9&r=\xe9 s' }, 'http://example.com/?q=%C3%A9&r=%E9%20s'],
  ])('builds the URL from %o', async (overrides, url) => {
    expect((await requestFor(overrides)).url).toBe(url)
  })

  it('leaves SCRIPT_NAME out with { stripScriptName: true }', async () => {
    const request = await requestFor(
      { SCRIPT_NAME: '/api', PATH_INFO: '/users', QUERY_STRING: 'a=1' },
      true,
    )
    expect(request.url).toBe('http://example.com/users?a=1')
  })

  it('gives / when SCRIPT_NAME is stripped and PATH_INFO is empty', async () => {
    const request = await requestFor({ SCRIPT_NAME: '/api', PATH_INFO: '' }, true)
    expect(request.url).toBe('http://example.com/')
  })

  it("reuses the server's REQUEST_URI when it decodes to SCRIPT_NAME + PATH_INFO", async () => {
    const overrides = { SCRIPT_NAME: '/api', PATH_INFO: '/a/b:c', REQUEST_URI: '/api/a%2Fb%3Ac?q' }
    expect((await requestFor(overrides)).url).toBe('http://example.com/api/a%2Fb%3Ac')
    expect((await requestFor(overrides, true)).url).toBe('http://example.com/a%2Fb%3Ac')
  })

  it('ignores a REQUEST_URI that a middleware made stale', async () => {
    const overrides = { PATH_INFO: '/new', RAW_URI: '/old' }
    expect((await requestFor(overrides)).url).toBe('http://example.com/new')
  })
})

describe('fromFetch(handler): the Request', () => {
  it('passes the method and the HTTP_* headers, without hop-by-hop headers', async () => {
    const request = await requestFor({
      REQUEST_METHOD: 'PATCH',
      HTTP_ACCEPT: 'text/html',
      HTTP_X_FORWARDED_FOR: '10.0.0.1',
      HTTP_X_LATIN1: 'caf\xe9',
      HTTP_CONNECTION: 'keep-alive, X-Secret',
      HTTP_KEEP_ALIVE: 'timeout=5',
      HTTP_TE: 'trailers',
      HTTP_UPGRADE: 'websocket',
      HTTP_PROXY_AUTHORIZATION: 'Basic xyz',
      HTTP_X_SECRET: 'per-hop',
      HTTP_TRANSFER_ENCODING: 'chunked',
    })
    expect(request.method).toBe('PATCH')
    expect([...request.headers]).toEqual([
      ['accept', 'text/html'],
      ['host', 'example.com'],
      ['x-forwarded-for', '10.0.0.1'],
      ['x-latin1', 'caf\xe9'],
    ])
  })

  it('takes CONTENT_TYPE and CONTENT_LENGTH over stray HTTP_ copies', async () => {
    const request = await requestFor({
      REQUEST_METHOD: 'POST',
      CONTENT_TYPE: 'text/plain',
      CONTENT_LENGTH: '2',
      HTTP_CONTENT_TYPE: 'application/json',
      'wsgi.input': new ChunkInput(['hi']),
    })
    expect(request.headers.get('content-type')).toBe('text/plain')
    expect(request.headers.get('content-length')).toBe('2')
    expect(await request.text()).toBe('hi')
  })

  it('hands environ["wsgits.signal"] on as request.signal', async () => {
    const controller = new AbortController()
    const request = await requestFor({ 'wsgits.signal': controller.signal })
    expect(request.signal.aborted).toBe(false)
    controller.abort()
    expect(request.signal.aborted).toBe(true)
  })

  it.each([
    ['a malformed Host', { HTTP_HOST: 'bad host' }, '400 Bad Request'],
    ['a method fetch forbids', { REQUEST_METHOD: 'TRACE' }, '501 Not Implemented'],
  ])('answers %s without calling the handler', async (_, overrides, status) => {
    const handler = vi.fn(() => new Response('no'))
    const errors = new MemoryErrors()
    const result = await runApp(
      fromFetch(handler),
      makeEnviron({ ...overrides, 'wsgi.errors': errors }),
    )
    expect(result.status).toBe(status)
    expect(handler).not.toHaveBeenCalled()
    expect(errors.text).toContain('cannot build a Request')
  })
})

describe('fromFetch(handler): the request body', () => {
  it('streams wsgi.input into request.body, one block per pull', async () => {
    const input = new ChunkInput(['aaaa', 'bbbb', 'cc'])
    const seen: string[] = []
    const app = fromFetch(
      async (request) => {
        const reader = readerOf(request.body)
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          seen.push(new TextDecoder().decode(value))
          // Only what was asked for has been read: no read-ahead behind the consumer's back.
          expect(input.reads.length).toBe(seen.length)
        }
        return new Response(null, { status: 204 })
      },
      { blockSize: 4 },
    )
    await runApp(
      app,
      makeEnviron({ REQUEST_METHOD: 'POST', CONTENT_LENGTH: '10', 'wsgi.input': input }),
    )
    expect(seen).toEqual(['aaaa', 'bbbb', 'cc'])
    expect(input.reads).toEqual([4, 4, 2])
  })

  it("hands on core's InputReader chunks as they came (read1), not joined into blocks", async () => {
    const parts = [enc.encode('abc'), enc.encode('defgh'), enc.encode('ij')]
    const seen: Uint8Array[] = []
    const app = fromFetch(async (request) => {
      const reader = readerOf(request.body)
      for (let r = await reader.read(); !r.done; r = await reader.read()) seen.push(r.value)
      return new Response(null, { status: 204 })
    })
    const input = new InputReader(parts)
    await runApp(
      app,
      makeEnviron({ REQUEST_METHOD: 'PUT', CONTENT_LENGTH: '10', 'wsgi.input': input }),
    )
    // read(65536) would have joined the three into one new 10-byte array.
    expect(seen.map((c) => new TextDecoder().decode(c))).toEqual(['abc', 'defgh', 'ij'])
    expect(seen.map((c) => c.buffer)).toEqual(parts.map((c) => c.buffer))
  })

  it('never reads wsgi.input when the handler ignores the body', async () => {
    const input = new ChunkInput(['x'.repeat(1000)])
    await runApp(
      fromFetch(() => new Response('ignored')),
      makeEnviron({ REQUEST_METHOD: 'POST', CONTENT_LENGTH: '1000', 'wsgi.input': input }),
    )
    expect(input.reads).toEqual([])
  })

  it('stops at CONTENT_LENGTH even when wsgi.input has more', async () => {
    const { handler, requests } = capture()
    const input = new ChunkInput(['hello world'])
    await runApp(
      fromFetch(handler),
      makeEnviron({ REQUEST_METHOD: 'PUT', CONTENT_LENGTH: '5', 'wsgi.input': input }),
    )
    expect(await requests[0]!.text()).toBe('hello')
  })

  it('reads to EOF without CONTENT_LENGTH when wsgi.input_terminated is set', async () => {
    const { handler, requests } = capture()
    const input = new ChunkInput(['chunk', 'ed'])
    await runApp(fromFetch(handler), makeEnviron({ REQUEST_METHOD: 'POST', 'wsgi.input': input }))
    expect(await requests[0]!.text()).toBe('chunked')
  })

  it.each([
    ['GET', { REQUEST_METHOD: 'GET', CONTENT_LENGTH: '3' }],
    ['HEAD', { REQUEST_METHOD: 'HEAD', CONTENT_LENGTH: '3' }],
    ['POST with CONTENT_LENGTH 0', { REQUEST_METHOD: 'POST', CONTENT_LENGTH: '0' }],
    [
      'POST with neither length nor terminated input',
      { REQUEST_METHOD: 'POST', 'wsgi.input_terminated': false },
    ],
  ])('gives a null body for %s', async (_, overrides) => {
    const request = await requestFor({ ...overrides, 'wsgi.input': new ChunkInput(['abc']) })
    expect(request.body).toBeNull()
  })

  it('makes the handler’s body read fail when wsgi.input fails', async () => {
    const input = new ChunkInput(['part'], 1)
    const app = fromFetch(async (request) => new Response(await request.text()))
    await expect(
      runApp(
        app,
        makeEnviron({ REQUEST_METHOD: 'POST', CONTENT_LENGTH: '100', 'wsgi.input': input }),
      ),
    ).rejects.toThrow('client went away')
  })
})

describe('fromFetch(handler): the response', () => {
  it.each([
    [new Response('x'), '200 OK'],
    [new Response('x', { status: 404 }), '404 Not Found'],
    [new Response('x', { status: 418 }), "418 I'm a Teapot"],
    [new Response('x', { status: 299 }), '299 unknown'],
    [new Response('x', { status: 200, statusText: 'Fine' }), '200 Fine'],
  ])('gives the status line of %o', async (response, status) => {
    expect((await runApp(fromFetch(() => response))).status).toBe(status)
  })

  it('keeps each Set-Cookie separate and drops hop-by-hop headers', async () => {
    const headers = new Headers([
      ['content-type', 'text/plain'],
      ['set-cookie', 'a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT'],
      ['set-cookie', 'b=2'],
      ['set-cookie', 'c=3'],
      ['connection', 'x-hop'],
      ['x-hop', '1'],
      ['keep-alive', 'timeout=5'],
      ['transfer-encoding', 'chunked'],
      ['x-kept', '\xe9'],
    ])
    const result = await runApp(fromFetch(() => new Response('x', { headers })))
    expect(result.headers).toEqual([
      ['content-type', 'text/plain'],
      ['x-kept', '\xe9'],
      ['set-cookie', 'a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT'],
      ['set-cookie', 'b=2'],
      ['set-cookie', 'c=3'],
    ])
  })

  it('streams the body chunk by chunk, pulling the source only as the server asks', async () => {
    let pulls = 0
    const source = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulls++
          if (pulls > 3) controller.close()
          else controller.enqueue(enc.encode(`chunk${pulls};`))
        },
      },
      { highWaterMark: 0 },
    )
    const body = await fromFetch(() => new Response(source))(makeEnviron(), ignoreStart)
    const iterator = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
    const seen: string[] = []
    for (;;) {
      const pullsBefore = pulls
      const step = await iterator.next()
      if (step.done === true) break
      seen.push(new TextDecoder().decode(step.value))
      // The Response's own queue may hold one chunk; nothing more is read ahead of the server.
      expect(pulls - pullsBefore).toBeLessThanOrEqual(1)
      expect(pulls).toBeLessThanOrEqual(seen.length + 1)
    }
    await body.close!()
    expect(seen).toEqual(['chunk1;', 'chunk2;', 'chunk3;'])
  })

  it('cancels the source when the server closes the body early (client gone)', async () => {
    const cancel = vi.fn()
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(enc.encode('data: tick\n\n'))
      },
      cancel,
    })
    const body = await fromFetch(() => new Response(source))(makeEnviron(), ignoreStart)
    const iterator = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
    await iterator.next()
    await body.close!()
    await body.close!()
    expect(cancel).toHaveBeenCalledTimes(1)
    expect(await iterator.next()).toEqual({ done: true, value: undefined })
  })

  it('throws from the body iterator when the stream errors mid-way', async () => {
    let n = 0
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (n++ === 0) controller.enqueue(enc.encode('first'))
        else controller.error(new Error('upstream broke'))
      },
    })
    await expect(runApp(fromFetch(() => new Response(source)))).rejects.toThrow('upstream broke')
  })

  it('gives an empty body for a null Response body', async () => {
    const result = await runApp(fromFetch(() => new Response(null, { status: 201 })))
    expect(result.status).toBe('201 Created')
    expect(result.body.length).toBe(0)
  })

  it.each([
    ['HEAD', 200, 'HEAD'],
    ['204', 204, 'GET'],
    ['205', 205, 'GET'],
    ['304', 304, 'GET'],
  ])('gives no body and cancels the source for %s', async (_, status, method) => {
    const cancel = vi.fn()
    const pull = vi.fn((controller: ReadableStreamDefaultController<Uint8Array>) => {
      controller.enqueue(enc.encode('data: endless\n\n'))
    })
    const response = new Response(null, { status })
    // A null-body status cannot be built with a body; hand one over the way a handler bug would.
    Object.defineProperty(response, 'body', {
      value: new ReadableStream<Uint8Array>({ pull, cancel }, { highWaterMark: 0 }),
    })
    const result = await runApp(
      fromFetch(() => response),
      makeEnviron({ REQUEST_METHOD: method }),
    )
    expect(result.body.length).toBe(0)
    expect(cancel).toHaveBeenCalledTimes(1)
    expect(pull).not.toHaveBeenCalled()
  })

  it('drops Content-Length from a 204 response', async () => {
    const response = new Response(null, {
      status: 204,
      headers: { 'content-length': '0', etag: '"e"' },
    })
    const result = await runApp(fromFetch(() => response))
    expect(result.headers).toEqual([['etag', '"e"']])
  })
})

describe('fromFetch(handler): env, ctx and errors', () => {
  it('calls handler(request, env, ctx) with the environ’s fetch_env and fetch_ctx', async () => {
    const ctx = { waitUntil: vi.fn(), passThroughOnException: vi.fn() }
    const handler = vi.fn((_request: Request, _env: unknown, _ctx: unknown) => new Response('x'))
    await runApp(
      fromFetch(handler),
      makeEnviron({ 'wsgits.fetch_env': { DB: 'd1' }, 'wsgits.fetch_ctx': ctx }),
    )
    expect(handler.mock.calls[0]![1]).toEqual({ DB: 'd1' })
    expect(handler.mock.calls[0]![2]).toBe(ctx)
  })

  it('falls back to options.env and a minimal ctx whose waitUntil logs rejections', async () => {
    const errors = new MemoryErrors()
    let env: unknown
    let settled!: Promise<unknown>
    const app = fromFetch(
      (
        _request: Request,
        e: unknown,
        ctx: { waitUntil(p: Promise<unknown>): void; passThroughOnException(): void },
      ) => {
        env = e
        ctx.passThroughOnException()
        settled = Promise.reject(new Error('background job failed'))
        ctx.waitUntil(settled)
        return new Response('x')
      },
      { env: { KV: 'kv' } },
    )
    await runApp(app, makeEnviron({ 'wsgi.errors': errors }))
    await settled.catch(() => undefined)
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(env).toEqual({ KV: 'kv' })
    expect(errors.text).toContain('background job failed')
  })

  it('answers at once when the handler does, and in a promise when it answers later', async () => {
    const statuses: string[] = []
    const startResponse = (status: string): (() => void) => {
      statuses.push(status)
      return () => undefined
    }
    const now = fromFetch(() => new Response('now'))(makeEnviron(), startResponse)
    expect(now).toBeInstanceOf(Array)
    expect(statuses).toEqual(['200 OK'])
    expect(new TextDecoder().decode((now as Uint8Array[])[0])).toBe('now')

    const later = fromFetch(() => Promise.resolve(new Response('later', { status: 201 })))(
      makeEnviron(),
      startResponse,
    )
    expect(later).toBeInstanceOf(Promise)
    expect(statuses).toEqual(['200 OK'])
    await later
    expect(statuses).toEqual(['200 OK', '201 Created'])

    // A handler that throws at once makes the application throw at once, as a synchronous
    // gateway application does; the server answers 500 either way.
    expect(() =>
      fromFetch(() => {
        throw new Error('sync boom')
      })(makeEnviron(), startResponse),
    ).toThrow('sync boom')
  })

  it('fails when the handler throws or rejects', async () => {
    await expect(
      runApp(
        fromFetch(() => {
          throw new Error('sync boom')
        }),
      ),
    ).rejects.toThrow('sync boom')
    await expect(runApp(fromFetch(() => Promise.reject(new Error('async boom'))))).rejects.toThrow(
      'async boom',
    )
  })

  it('fails with ERR_WSGI_INVALID_ARG_TYPE when the handler returns no Response', async () => {
    const handler = (() => undefined) as unknown as () => Response
    await expect(runApp(fromFetch(handler))).rejects.toMatchObject({
      code: 'ERR_WSGI_INVALID_ARG_TYPE',
      message: 'The fetch handler must return a Response (got undefined)',
    })
  })

  it('fails on a Response.error()', async () => {
    await expect(runApp(fromFetch(() => Response.error()))).rejects.toThrow('network error')
  })

  it('throws ERR_WSGI_INVALID_ARG_TYPE for a handler that is not a function', () => {
    expect(() => fromFetch(42 as unknown as () => Response)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })
})
