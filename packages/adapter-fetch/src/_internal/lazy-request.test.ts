import { createServer } from 'node:http'
import type { IncomingMessage, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'

import { afterEach, describe, expect, it } from 'vitest'

import type { WSGIEnvironment } from '@wsgi/core/types'

import { ChunkInput, makeEnviron, runApp } from '../../test/helpers.ts'
import { fromFetch } from '../from-fetch.ts'

import { canonical, isUnbuilt } from './lazy-request.ts'

/** The Request fromFetch hands its handler for `overrides`, the handler answering at once. */
async function requestFor(overrides: Partial<WSGIEnvironment> = {}): Promise<Request> {
  let seen: Request | undefined
  await runApp(
    fromFetch((request: Request) => {
      seen = request
      return new Response('ok')
    }),
    makeEnviron(overrides),
  )
  return seen!
}

/** A POST environ whose body is `text`. */
function post(text: string, type = 'text/plain'): Partial<WSGIEnvironment> {
  return {
    REQUEST_METHOD: 'POST',
    CONTENT_TYPE: type,
    CONTENT_LENGTH: String(new TextEncoder().encode(text).length),
    'wsgi.input': new ChunkInput([text]),
  }
}

// Every getter of Request.prototype (what a handler can read), compared with a real Request.
const MEMBERS = [
  'method',
  'url',
  'destination',
  'referrer',
  'referrerPolicy',
  'mode',
  'credentials',
  'cache',
  'redirect',
  'integrity',
  'keepalive',
  'isReloadNavigation',
  'isHistoryNavigation',
  'duplex',
  'bodyUsed',
] as const

describe('the Request fromFetch hands a fetch handler (built lazily on Node)', () => {
  it('is a Request whose method and url are read without building it', async () => {
    const request = await requestFor({ PATH_INFO: '/a', QUERY_STRING: 'b=1' })
    expect(request).toBeInstanceOf(Request)
    expect(Object.prototype.toString.call(request)).toBe('[object Request]')
    expect(request.constructor).toBe(Request)
    expect(request.method).toBe('GET')
    expect(request.url).toBe('http://example.com/a?b=1')
    expect(request.bodyUsed).toBe(false)
    expect(isUnbuilt(request)).toBe(true)
    // Anything else builds it, once.
    expect(request.headers.get('host')).toBe('example.com')
    expect(isUnbuilt(request)).toBe(false)
    expect(request.headers).toBe(request.headers)
  })

  it('says what a Request built at once would say, member by member', async () => {
    const request = await requestFor({ ...post('x'), HTTP_X_A: '1' })
    const real = new Request('http://example.com/', {
      method: 'POST',
      headers: [['x-a', '1']],
      body: new ReadableStream(),
      duplex: 'half',
    })
    const read = (r: Request, member: string): unknown =>
      (r as unknown as Record<string, unknown>)[member]
    for (const member of MEMBERS) {
      expect([member, read(request, member)]).toEqual([member, read(real, member)])
    }
    expect(request.duplex).toBe('half')
    expect(inspect(request)).toContain('Request')
  })

  it('reads no wsgits.signal until request.signal is read, then follows it', async () => {
    const controller = new AbortController()
    let reads = 0
    const environ = makeEnviron()
    Object.defineProperty(environ, 'wsgits.signal', {
      enumerable: true,
      get() {
        reads++
        return controller.signal
      },
    })
    let seen: Request | undefined
    await runApp(
      fromFetch((request: Request) => {
        seen = request
        return new Response(request.url)
      }),
      environ,
    )
    expect(reads).toBe(0)
    const signal = seen!.signal
    expect(reads).toBe(1)
    expect(signal.aborted).toBe(false)
    controller.abort(new Error('client gone'))
    expect(signal.aborted).toBe(true)
  })

  it.each([
    ['text()', (r: Request) => r.text(), 'a=1&b=%C3%A9'],
    [
      'arrayBuffer()',
      async (r: Request) => new TextDecoder().decode(await r.arrayBuffer()),
      'a=1&b=%C3%A9',
    ],
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- what a fetch handler calls
    ['formData()', async (r: Request) => (await r.formData()).get('b'), 'é'],
    ['blob()', async (r: Request) => (await r.blob()).type, 'application/x-www-form-urlencoded'],
    [
      'body',
      async (r: Request) =>
        new TextDecoder().decode((await r.body!.getReader().read()).value as Uint8Array),
      'a=1&b=%C3%A9',
    ],
  ])('gives the body through %s, then bodyUsed is true', async (_, read, expected) => {
    const request = await requestFor(post('a=1&b=%C3%A9', 'application/x-www-form-urlencoded'))
    expect(await read(request)).toBe(expected)
    expect(request.bodyUsed).toBe(true)
    await expect(request.text()).rejects.toThrow(TypeError)
  })

  it('gives the body through json() and clone()', async () => {
    const request = await requestFor(post('{"a":[1,2]}', 'application/json'))
    const copy = request.clone()
    expect(copy).toBeInstanceOf(Request)
    expect(copy.url).toBe(request.url)
    expect(await copy.json()).toEqual({ a: [1, 2] })
    expect(await request.json()).toEqual({ a: [1, 2] })
  })

  it('iterates its headers as a real Request does, Set-Cookie and all', async () => {
    const request = await requestFor({
      HTTP_X_B: '2',
      HTTP_ACCEPT: 'a/b',
      HTTP_SET_COOKIE: 'a=1',
      HTTP_COOKIE: 'c=d',
      HTTP_X_LATIN1: 'caf\xe9',
    })
    const real = new Request('http://example.com/', {
      headers: [
        ['x-b', '2'],
        ['accept', 'a/b'],
        ['set-cookie', 'a=1'],
        ['cookie', 'c=d'],
        ['x-latin1', 'caf\xe9'],
        ['host', 'example.com'],
      ],
    })
    expect([...request.headers]).toEqual([...real.headers])
    expect(request.headers.getSetCookie()).toEqual(['a=1'])
    // Changes stick: the built Request is the one a later read or fetch() sees.
    request.headers.set('x-added', 'yes')
    expect(new Request(request).headers.get('x-added')).toBe('yes')
  })

  it.each([
    [
      'the raw target kept',
      { REQUEST_URI: '/a%2Fb?q', PATH_INFO: '/a/b', QUERY_STRING: 'q' },
      'http://example.com/a%2Fb?q',
    ],
    ['a Host as the URL parser writes it', { HTTP_HOST: 'EXAMPLE.com:80' }, 'http://example.com/'],
    [
      'a query as the URL parser writes it',
      { QUERY_STRING: "a='b'" },
      'http://example.com/?a=%27b%27',
    ],
  ])('has the URL a real Request would have: %s', async (_, overrides, url) => {
    const request = await requestFor(overrides)
    expect(request.url).toBe(url)
    expect(request.url).toBe(new Request(request).url)
  })

  it.each([
    ['a method in lower case', { REQUEST_METHOD: 'get' }, 'GET'],
    ['an extension method', { REQUEST_METHOD: 'PURGE' }, 'PURGE'],
  ])('is built at once for %s, normalised by the constructor', async (_, overrides, method) => {
    const request = await requestFor(overrides)
    expect(isUnbuilt(request)).toBeUndefined()
    expect(request.method).toBe(method)
  })

  it('refuses a header value the constructor refuses before calling the handler', async () => {
    let called = false
    const result = await runApp(
      fromFetch(() => {
        called = true
        return new Response('no')
      }),
      makeEnviron({ HTTP_X_BAD: 'a\nb' }),
    )
    expect(result.status).toBe('400 Bad Request')
    expect(called).toBe(false)
  })
})

describe('the lazy Request passed to fetch()', () => {
  let server: Server | undefined
  afterEach(() => {
    server?.closeAllConnections()
    server?.close()
    server = undefined
  })

  /** An upstream that answers with what it got, or never answers (`hang`). */
  async function upstream(hang = false): Promise<{ url: string; seen: IncomingMessage[] }> {
    const seen: IncomingMessage[] = []
    server = createServer((req, res) => {
      seen.push(req)
      if (hang) return
      const parts: Buffer[] = []
      req.on('data', (chunk: Buffer) => parts.push(chunk))
      req.on('end', () => {
        res.end(
          `${req.method ?? ''} ${req.url ?? ''} ${String(req.headers['x-a'] ?? '')} ${Buffer.concat(parts).toString()}`,
        )
      })
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    return { url: `127.0.0.1:${String(port)}`, seen }
  }

  it('proxies method, URL, headers and the streamed body', async () => {
    const { url } = await upstream()
    const result = await runApp(
      fromFetch((request: Request) => fetch(request)),
      makeEnviron({
        ...post('payload'),
        HTTP_HOST: url,
        PATH_INFO: '/p',
        QUERY_STRING: 'q=1',
        HTTP_X_A: 'h',
      }),
    )
    expect(result.text).toBe('POST /p?q=1 h payload')
  })

  it("aborts the upstream call when the client's signal aborts", async () => {
    const { url, seen } = await upstream(true)
    const controller = new AbortController()
    let started: Request | undefined
    const app = fromFetch((request: Request) => {
      started = request
      const pending = fetch(request)
      // Once the upstream has the request, the client goes away.
      const timer = setInterval(() => {
        if (seen.length > 0) {
          clearInterval(timer)
          controller.abort(new Error('client gone'))
        }
      }, 5)
      return pending
    })
    const run = runApp(app, makeEnviron({ HTTP_HOST: url, 'wsgits.signal': controller.signal }))
    await expect(run).rejects.toThrow()
    expect(isUnbuilt(started!)).toBe(false)
  })
})

describe('a whole-body read on the stand-in (from wsgi.input, no Request built)', () => {
  /** A real Request with the stand-in's body, to compare with. */
  const realOf = (bytes: Uint8Array): Request =>
    new Request('http://example.com/', { method: 'POST', body: bytes })

  it.each([
    ['arrayBuffer()', async (r: Request) => new Uint8Array(await r.arrayBuffer())],
    ['bytes()', async (r: Request) => (r as Request & { bytes(): Promise<Uint8Array> }).bytes()],
    ['text()', async (r: Request) => r.text()],
  ])('%s reads wsgi.input without building the Request, then the body is used', async (_, read) => {
    // A BOM, an invalid UTF-8 sequence and a split multi-byte character: text() must decode as
    // the Request would.
    const bytes = Uint8Array.of(0xef, 0xbb, 0xbf, 0x61, 0xff, 0xc3, 0xa9, 0x62)
    const request = await requestFor({
      REQUEST_METHOD: 'POST',
      CONTENT_LENGTH: String(bytes.length),
      'wsgi.input': new ChunkInput([bytes.subarray(0, 6), bytes.subarray(6)]),
    })
    const value = await read(request)
    expect(isUnbuilt(request)).toBe(true)
    expect(value).toEqual(await read(realOf(bytes)))
    expect(request.bodyUsed).toBe(true)
    // A second read refuses the used body, as a Request does, and so do copies of it.
    await expect(request.arrayBuffer()).rejects.toThrow(TypeError)
    expect(isUnbuilt(request)).toBe(false)
    expect(request.bodyUsed).toBe(true)
    expect(() => request.clone()).toThrow(TypeError)
    expect(() => new Request(request)).toThrow(TypeError)
    expect(request.headers.get('content-length')).toBe(String(bytes.length))
  })

  it('gives an ArrayBuffer of its own, exactly the body', async () => {
    const chunk = new TextEncoder().encode('xxhelloxx')
    const request = await requestFor({
      REQUEST_METHOD: 'PUT',
      CONTENT_LENGTH: '5',
      'wsgi.input': new ChunkInput([chunk.subarray(2, 7)]),
    })
    const buffer = await request.arrayBuffer()
    expect(buffer.byteLength).toBe(5)
    expect(new TextDecoder().decode(buffer)).toBe('hello')
  })

  it('reads no more than CONTENT_LENGTH, and to EOF for a chunked upload', async () => {
    const input = new ChunkInput(['abc', 'def', 'ghi'])
    const sized = await requestFor({
      REQUEST_METHOD: 'POST',
      CONTENT_LENGTH: '5',
      'wsgi.input': input,
    })
    expect(await sized.text()).toBe('abcde')
    expect(input.reads).toEqual([5, 2])
    const chunked = await requestFor({
      REQUEST_METHOD: 'POST',
      'wsgi.input_terminated': true,
      'wsgi.input': new ChunkInput(['abc', 'def']),
    })
    expect(await chunked.text()).toBe('abcdef')
  })

  it('parses json() as the Request would, and fails on bad JSON with a SyntaxError', async () => {
    expect(await (await requestFor(post('{"a":[1,"é"]}', 'application/json'))).json()).toEqual({
      a: [1, 'é'],
    })
    await expect((await requestFor(post('{"a":', 'application/json'))).json()).rejects.toThrow(
      SyntaxError,
    )
  })

  it('passes on the error of a failed wsgi.input read', async () => {
    const request = await requestFor({
      REQUEST_METHOD: 'POST',
      CONTENT_LENGTH: '6',
      'wsgi.input': new ChunkInput(['abc', 'def'], 1),
    })
    await expect(request.arrayBuffer()).rejects.toThrow('client went away')
    expect(request.bodyUsed).toBe(true)
  })

  it('leaves a body the stream read first to the built Request', async () => {
    const request = await requestFor(post('streamed'))
    const reader = request.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value as Uint8Array)).toBe('streamed')
    await expect(request.text()).rejects.toThrow(TypeError)
  })
})
describe('canonical(url): the URLs whose parse the stand-in skips', () => {
  it.each([
    ['http://example.com/a/b?c=d&e', true],
    ['https://127.0.0.1:8443/x', true],
    ['http://localhost:8080/', true],
    ['http://example.com:80/', false],
    ['https://example.com:443/', false],
    ['http://Example.com/', false],
    ['http://127.1/', false],
    ['http://010.0.0.1/', false],
    ['http://a.b/./c', false],
    ['http://a.b/%2E%2e/c', false],
    ["http://a.b/?q='", false],
    ['http://xn--nxasmq6b.com/', false],
    // An IDN label in the path is kept as it is; only the host's is converted.
    ['http://a.b/xn--nxasmq6b', true],
    ['http://a.b', false],
    ['http://a.b:99999/', false],
    ['http://a.b:080/', false],
  ])('%s → %s', (url, expected) => {
    expect(canonical(url)).toBe(expected)
  })

  it('checks each origin, however often the one before it was seen', () => {
    expect(canonical('http://a.b:8080/x')).toBe(true)
    expect(canonical('http://a.b:8080/x')).toBe(true)
    expect(canonical('http://A.b:8080/x')).toBe(false)
    expect(canonical('http://a.b:8080/./x')).toBe(false)
    expect(canonical('http://a.b:8080/x')).toBe(true)
  })

  it('agrees with the URL parser on generated URLs', () => {
    // Deterministic, so a failure can be replayed.
    let seed = 7
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    const pick = (items: readonly string[]): string => items[next(items.length)] ?? ''
    const hosts = ['a', 'a.b', 'x-1.y', '127.0.0.1', '255.255.255.255', '1.2.3', 'A.b', 'a.1']
    const ports = ['', ':80', ':443', ':8080', ':0', ':65535', ':65536', ':01']
    const chars = ['a', '/', '.', '%', '2e', '%2E', '?', "'", ':', '@', '!', '~', '=', '&', '+']
    let checked = 0
    for (let i = 0; i < 5000; i++) {
      const scheme = next(2) === 0 ? 'http' : 'https'
      let rest = '/'
      for (let j = next(8); j > 0; j--) rest += pick(chars)
      const url = `${scheme}://${pick(hosts)}${pick(ports)}${rest}`
      if (!canonical(url)) continue
      checked++
      expect([url, new URL(url).href]).toEqual([url, url])
    }
    expect(checked).toBeGreaterThan(500)
  })
})
