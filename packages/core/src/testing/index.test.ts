import { describe, expect, it } from 'vitest'

import { WSGIError } from '../errors.ts'
import { Headers } from '../headers.ts'
import { StreamingTestResponse, TestClient } from './index.ts'
import type { HeaderList, ResponseBody, WSGIApplication, WSGIEnvironment } from '../types.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)
const TEXT: HeaderList = [['Content-Type', 'text/plain']]

/** Answers with the environ keys the tests look at, as JSON. */
const echoApp: WSGIApplication = async (environ, startResponse) => {
  const length = Number(environ.CONTENT_LENGTH ?? '')
  const input = environ['wsgi.input']
  const body = Number.isInteger(length) && length > 0 ? await input.read(length) : new Uint8Array()
  const seen: Record<string, unknown> = { body: dec(body) }
  for (const [key, value] of Object.entries(environ)) {
    if (typeof value === 'string' || typeof value === 'boolean') seen[key] = value
  }
  startResponse('200 OK', [['Content-Type', 'application/json']])
  return [enc(JSON.stringify(seen))]
}

/** An async body: each string is a chunk, each function runs at that point (and may throw). */
async function* chunks(...parts: (string | (() => void))[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    await Promise.resolve()
    if (typeof part === 'string') yield enc(part)
    else part()
  }
}

const seen = async (
  request: Promise<{ json(): unknown }>,
): Promise<Record<string, string | boolean | undefined>> =>
  (await request).json() as Record<string, string | boolean | undefined>

/** A body that records how it was iterated and closed. */
class TrackedBody implements AsyncIterable<Uint8Array> {
  produced = 0
  closed = 0
  readonly chunks: readonly string[]
  readonly #signal: AbortSignal | undefined

  constructor(chunks: readonly string[], signal?: AbortSignal) {
    this.chunks = chunks
    this.#signal = signal
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (const chunk of this.chunks) {
      if (this.#signal?.aborted) return
      this.produced++
      await Promise.resolve()
      yield enc(chunk)
    }
  }

  close(): void {
    this.closed++
  }
}

describe('new TestClient(app, options)', () => {
  it('reads status, status code, headers and body of a response', async () => {
    const client = new TestClient((_environ, startResponse) => {
      startResponse('201 Created', [
        ['Content-Type', 'text/plain; charset=utf-8'],
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
      ])
      return [enc('héllo '), enc('wörld')]
    })
    const res = await client.get('/')
    expect(res.status).toBe('201 Created')
    expect(res.statusCode).toBe(201)
    expect(res.headers).toBeInstanceOf(Headers)
    expect(res.headers.getAll('set-cookie')).toEqual(['a=1', 'b=2'])
    expect(res.body).toEqual(enc('héllo wörld'))
    expect(res.text()).toBe('héllo wörld')
    expect(res.url).toBe('http://127.0.0.1/')
    expect(res.history).toEqual([])
  })

  it('parses a JSON body', async () => {
    const res = await new TestClient((_e, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'application/json']])
      return [enc('{"a":[1,2]}')]
    }).get('/')
    expect(res.json()).toEqual({ a: [1, 2] })
  })

  it('builds the environ of setupTestingDefaults plus what a server adds', async () => {
    let environ: WSGIEnvironment | undefined
    const res = await new TestClient((env, startResponse) => {
      environ = env
      startResponse('204 No Content', [])
      return []
    }).get('/x?y=1')
    expect(environ).toMatchObject({
      REQUEST_METHOD: 'GET',
      SCRIPT_NAME: '',
      PATH_INFO: '/x',
      QUERY_STRING: 'y=1',
      SERVER_NAME: '127.0.0.1',
      SERVER_PORT: '80',
      SERVER_PROTOCOL: 'HTTP/1.0',
      HTTP_HOST: '127.0.0.1',
      REMOTE_ADDR: '127.0.0.1',
      'wsgi.version': [1, 0],
      'wsgi.url_scheme': 'http',
      'wsgi.multithread': false,
      'wsgi.multiprocess': false,
      'wsgi.run_once': false,
      'wsgi.input_terminated': true,
    })
    expect(environ).not.toHaveProperty('CONTENT_LENGTH')
    expect(environ).not.toHaveProperty('CONTENT_TYPE')
    expect(environ?.['wsgi.file_wrapper']).toBeTypeOf('function')
    expect(environ?.['wsgits.add_trailers']).toBeTypeOf('function')
    const signal = environ?.['wsgits.signal']
    expect(signal).toBeInstanceOf(AbortSignal)
    expect(signal?.aborted).toBe(false)
    expect(res.environ).toBe(environ)
  })

  it.each([
    ['/caf%C3%A9', '/caf\xc3\xa9'],
    ['/café', '/caf\xc3\xa9'],
    ['/a%20b', '/a b'],
    ['/%2e%2e/x', '/../x'],
  ])('passes %j as PATH_INFO %j (bytes as latin-1)', async (path, pathInfo) => {
    expect((await seen(new TestClient(echoApp).get(path)))['PATH_INFO']).toBe(pathInfo)
  })

  it.each(['get', 'head', 'post', 'put', 'patch', 'delete', 'options'] as const)(
    'sends %s with its method',
    async (method) => {
      let got: string | undefined
      const client = new TestClient((environ, startResponse) => {
        got = environ.REQUEST_METHOD
        startResponse('200 OK', TEXT)
        return [enc('x')]
      })
      await client[method]('/')
      expect(got).toBe(method.toUpperCase())
    },
  )

  it('sends any method token through request()', async () => {
    expect((await seen(new TestClient(echoApp).request('PROPFIND', '/')))['REQUEST_METHOD']).toBe(
      'PROPFIND',
    )
  })

  it('sends the headers of a GET but no body for HEAD', async () => {
    const app: WSGIApplication = (_e, startResponse) => {
      startResponse('200 OK', [...TEXT, ['Content-Length', '5']])
      return [enc('hello')]
    }
    const res = await new TestClient(app).head('/')
    expect(res.headers.get('Content-Length')).toBe('5')
    expect(res.body).toEqual(new Uint8Array())
  })

  it('adds Content-Length to a one-chunk body as a server does (validator off)', async () => {
    const app: WSGIApplication = (_e, startResponse) => {
      startResponse('200 OK', TEXT)
      return [enc('abc')]
    }
    const res = await new TestClient(app, { validate: false }).get('/')
    expect(res.headers.get('Content-Length')).toBe('3')
  })

  it('sends a JSON body with its type and length', async () => {
    const env = await seen(new TestClient(echoApp).post('/', { json: { n: 1 } }))
    expect(env).toMatchObject({
      CONTENT_TYPE: 'application/json',
      CONTENT_LENGTH: '7',
      body: '{"n":1}',
    })
  })

  it('sends a urlencoded form, and lets a Content-Type header win over the implied one', async () => {
    const form = await seen(new TestClient(echoApp).put('/', { form: { a: 'x y' } }))
    expect(form).toMatchObject({
      CONTENT_TYPE: 'application/x-www-form-urlencoded',
      body: 'a=x+y',
    })
    const own = await seen(
      new TestClient(echoApp).patch('/', {
        form: { a: '1' },
        headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
      }),
    )
    expect(own['CONTENT_TYPE']).toBe('application/x-www-form-urlencoded; charset=utf-8')
  })

  it('sends a multipart body with its boundary', async () => {
    const env = await seen(
      new TestClient(echoApp).post('/', {
        multipart: { f: { filename: 'a.txt', content: 'A' } },
        boundary: 'BOUND',
      }),
    )
    expect(env['CONTENT_TYPE']).toBe('multipart/form-data; boundary=BOUND')
    expect(env['body']).toContain(
      '--BOUND\r\nContent-Disposition: form-data; name="f"; filename="a.txt"',
    )
  })

  it('streams a body given as chunks, without CONTENT_LENGTH, until wsgi.input ends', async () => {
    let received = ''
    let length: string | undefined = 'unset'
    const app: WSGIApplication = async (environ, startResponse) => {
      length = environ.CONTENT_LENGTH
      for (;;) {
        const chunk = await environ['wsgi.input'].read(4)
        if (chunk.length === 0) break
        received += dec(chunk)
      }
      startResponse('200 OK', TEXT)
      return []
    }
    await new TestClient(app).post('/', { body: chunks('first,', 'second') })
    expect(received).toBe('first,second')
    expect(length).toBeUndefined()
  })

  it('sends query fields added to the query string of the path', async () => {
    const env = await seen(new TestClient(echoApp).get('/s?a=1', { query: { b: ['2', '3'] } }))
    expect(env['QUERY_STRING']).toBe('a=1&b=2&b=3')
  })

  it('maps request headers to HTTP_* keys', async () => {
    const env = await seen(
      new TestClient(echoApp).get('/', {
        headers: { Accept: 'text/html', 'X-Multi': ['a', 'b'], Host: 'example.test:81' },
      }),
    )
    expect(env).toMatchObject({
      HTTP_ACCEPT: 'text/html',
      HTTP_X_MULTI: 'a, b',
      HTTP_HOST: 'example.test:81',
    })
  })

  it('mounts the app at scriptName (client and request), and at the path of baseURL', async () => {
    const client = new TestClient(echoApp, { scriptName: '/app' })
    expect(await seen(client.get('/x'))).toMatchObject({ SCRIPT_NAME: '/app', PATH_INFO: '/x' })
    expect(await seen(client.get('/x', { scriptName: '/other/' }))).toMatchObject({
      SCRIPT_NAME: '/other',
      PATH_INFO: '/x',
    })
    const based = new TestClient(echoApp, { baseURL: 'https://example.test:8443/m%C3%BC' })
    expect(await seen(based.get('/y'))).toMatchObject({
      SCRIPT_NAME: '/m\xc3\xbc',
      PATH_INFO: '/y',
      HTTP_HOST: 'example.test:8443',
      SERVER_NAME: 'example.test',
      SERVER_PORT: '8443',
      HTTPS: 'on',
      'wsgi.url_scheme': 'https',
    })
  })

  it('cuts a full URL at the mount', async () => {
    const client = new TestClient(echoApp, { scriptName: '/app' })
    expect(await seen(client.get('http://h.test/app/in'))).toMatchObject({
      HTTP_HOST: 'h.test',
      SCRIPT_NAME: '/app',
      PATH_INFO: '/in',
    })
  })

  it('sets environ overrides of the client, then of the request, last', async () => {
    const client = new TestClient(echoApp, {
      environ: { REMOTE_ADDR: '10.0.0.1', SERVER_PROTOCOL: 'HTTP/1.1' },
    })
    expect(await seen(client.get('/'))).toMatchObject({
      REMOTE_ADDR: '10.0.0.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
    })
    expect(
      await seen(
        client.get('/', { environ: { REMOTE_ADDR: '10.0.0.2', 'wsgi.url_scheme': 'https' } }),
      ),
    ).toMatchObject({ REMOTE_ADDR: '10.0.0.2', 'wsgi.url_scheme': 'https' })
  })

  it('captures wsgi.errors as response.errors', async () => {
    const res = await new TestClient((environ, startResponse) => {
      environ['wsgi.errors'].write('careful\n')
      startResponse('200 OK', TEXT)
      return []
    }).get('/')
    expect(res.errors).toBe('careful\n')
  })

  it('collects trailers given to wsgits.add_trailers', async () => {
    const res = await new TestClient((environ, startResponse) => {
      startResponse('200 OK', TEXT)
      const add = environ['wsgits.add_trailers'] as (t: HeaderList) => void
      return chunks('body', () => {
        add([['Server-Timing', 'db;dur=5']])
      })
    }).get('/')
    expect(res.trailers.get('Server-Timing')).toBe('db;dur=5')
  })

  it('calls close() on the body exactly once', async () => {
    const body = new TrackedBody(['a', 'b'])
    const res = await new TestClient((_e, startResponse) => {
      startResponse('200 OK', TEXT)
      return body
    }).get('/')
    expect(res.text()).toBe('ab')
    expect(body.closed).toBe(1)
  })

  it.each([
    ['an app without options', {}],
    ['maxRedirects below zero', { maxRedirects: -1 }],
    ['a baseURL that is no URL', { baseURL: 'nope' }],
    ['a baseURL of another scheme', { baseURL: 'ftp://h/' }],
    ['a scriptName without /', { scriptName: 'app' }],
  ])('rejects %s with ERR_WSGI_INVALID_ARG_TYPE', (what, options) => {
    const app = (what.startsWith('an app') ? 'not a function' : echoApp) as WSGIApplication
    expect(() => new TestClient(app, options)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })
})

describe('TestClient errors and validation', () => {
  const failing: WSGIApplication = () => {
    throw new Error('boom')
  }

  it('rejects with the application error by default', async () => {
    await expect(new TestClient(failing).get('/')).rejects.toThrow('boom')
  })

  it('answers 500 and logs to response.errors with throwErrors: false', async () => {
    const res = await new TestClient(failing, { throwErrors: false }).get('/')
    expect(res.status).toBe('500 Internal Server Error')
    expect(res.text()).toBe('A server error occurred.  Please contact the administrator.')
    expect(res.errors).toContain('Error: boom')
  })

  it('rejects an error after the headers even with throwErrors: false, and closes the body', async () => {
    let closed = 0
    const app: WSGIApplication = (_e, startResponse) => {
      startResponse('200 OK', TEXT)
      return Object.assign(
        chunks('partial', () => {
          throw new Error('mid-body')
        }),
        {
          close: () => {
            closed++
          },
        },
      )
    }
    await expect(new TestClient(app, { throwErrors: false }).get('/')).rejects.toThrow('mid-body')
    expect(closed).toBe(1)
  })

  it('runs the validator by default, and not with validate: false', async () => {
    const noContentType: WSGIApplication = (_e, startResponse) => {
      startResponse('200 OK', [])
      return [enc('x')]
    }
    await expect(new TestClient(noContentType).get('/')).rejects.toMatchObject({
      code: 'ERR_WSGI_VALIDATION',
      message: 'No Content-Type header found in headers ([])',
    })
    const res = await new TestClient(noContentType, { validate: false }).get('/')
    expect(res.text()).toBe('x')
  })

  it('rejects a string body from the application through the validator', async () => {
    const app: WSGIApplication = (_e, startResponse) => {
      startResponse('200 OK', TEXT)
      return 'oops' as unknown as ResponseBody
    }
    await expect(new TestClient(app).get('/')).rejects.toThrow(/should not return a string/)
  })
})

describe('TestClient cookies', () => {
  const cookieApp: WSGIApplication = (environ, startResponse) => {
    const headers: HeaderList = [...TEXT]
    if (environ.PATH_INFO === '/login') headers.push(['Set-Cookie', 'sid=abc; Path=/; HttpOnly'])
    if (environ.PATH_INFO === '/logout') headers.push(['Set-Cookie', 'sid=; Max-Age=0; Path=/'])
    if (environ.PATH_INFO === '/scoped') headers.push(['Set-Cookie', 'deep=1; Path=/scoped/area'])
    startResponse('200 OK', headers)
    return [enc(environ['HTTP_COOKIE'] ?? '')]
  }

  it('stores Set-Cookie and sends it back, until deleted', async () => {
    const client = new TestClient(cookieApp)
    expect((await client.get('/')).text()).toBe('')
    await client.get('/login')
    expect(client.cookies.get('sid')).toBe('abc')
    expect((await client.get('/anything')).text()).toBe('sid=abc')
    await client.get('/logout')
    expect((await client.get('/anything')).text()).toBe('')
  })

  it('sends a cookie only under its path', async () => {
    const client = new TestClient(cookieApp)
    await client.get('/scoped')
    expect((await client.get('/scoped/area/x')).text()).toBe('deep=1')
    expect((await client.get('/scoped')).text()).toBe('')
  })

  it('matches cookie paths against SCRIPT_NAME plus PATH_INFO', async () => {
    const client = new TestClient(cookieApp, { scriptName: '/app' })
    client.cookies.set('m', '1', { path: '/app' })
    expect((await client.get('/x')).text()).toBe('m=1')
    expect((await client.get('/x', { scriptName: '' })).text()).toBe('')
  })

  it('sends the Cookie header of the request before the jar', async () => {
    const client = new TestClient(cookieApp)
    client.cookies.set('jar', '1')
    expect((await client.get('/', { headers: { Cookie: 'own=2' } })).text()).toBe('own=2; jar=1')
  })

  it('keeps no cookies with cookies: false', async () => {
    const client = new TestClient(cookieApp, { cookies: false })
    await client.get('/login')
    expect(client.cookies.size).toBe(0)
    expect((await client.get('/')).text()).toBe('')
  })
})

describe('TestClient redirects', () => {
  /** /r/<code>?to=<location> redirects; every other path echoes method, path and body. */
  const redirectApp: WSGIApplication = async (environ, startResponse) => {
    const path = environ.PATH_INFO ?? ''
    const match = /^\/r\/(\d{3})$/.exec(path)
    if (match !== null) {
      const to = new URLSearchParams(environ.QUERY_STRING).get('to') ?? '/done'
      startResponse(`${Number(match[1])} Redirect`, [
        ...TEXT,
        ['Location', to],
        ['Set-Cookie', `hop=${match[1] ?? ''}; Path=/`],
      ])
      return [enc('moved')]
    }
    if (path === '/loop') {
      startResponse('302 Found', [...TEXT, ['Location', '/loop']])
      return []
    }
    const length = Number(environ.CONTENT_LENGTH ?? '0')
    const body = length > 0 ? dec(await environ['wsgi.input'].read(length)) : ''
    startResponse('200 OK', TEXT)
    const cookie = environ['HTTP_COOKIE'] ?? ''
    return [
      enc(
        `${environ.REQUEST_METHOD} ${environ.SCRIPT_NAME ?? ''}|${path} ${body} ${cookie}`.trim(),
      ),
    ]
  }

  it('returns the redirect itself by default', async () => {
    const res = await new TestClient(redirectApp).get('/r/302')
    expect(res.statusCode).toBe(302)
    expect(res.headers.get('Location')).toBe('/done')
  })

  it.each([
    [301, 'GET |/done  hop=301'],
    [302, 'GET |/done  hop=302'],
    [303, 'GET |/done  hop=303'],
    [307, 'POST |/done data hop=307'],
    [308, 'POST |/done data hop=308'],
  ])('follows %i from a POST to: %s', async (code, expected) => {
    const client = new TestClient(redirectApp, { followRedirects: true })
    const res = await client.post(`/r/${code}`, { body: 'data' })
    expect(res.text()).toBe(expected)
    expect(res.history.map((r) => r.statusCode)).toEqual([code])
    expect(res.url).toBe('http://127.0.0.1/done')
  })

  it('follows per request, through several hops, keeping the history in order', async () => {
    const client = new TestClient(redirectApp)
    const res = await client.get('/r/301?to=/r/302%3Fto%3D/final', { followRedirects: true })
    expect(res.text()).toBe('GET |/final  hop=302')
    expect(res.history.map((r) => r.statusCode)).toEqual([301, 302])
    expect(res.history[0]?.text()).toBe('moved')
  })

  it('keeps SCRIPT_NAME for a Location inside the mount, and clears it outside', async () => {
    const client = new TestClient(redirectApp, { scriptName: '/app', followRedirects: true })
    expect((await client.get('/r/302?to=/app/inside')).text()).toBe('GET /app|/inside  hop=302')
    expect((await client.get('/r/302?to=/outside')).text()).toBe('GET |/outside  hop=302')
    expect((await client.get('/r/302?to=relative')).text()).toBe('GET /app|/r/relative  hop=302')
  })

  it('does not follow a redirect to another host', async () => {
    const client = new TestClient(redirectApp, { followRedirects: true })
    const res = await client.get('/r/302?to=https://example.com/')
    expect(res.statusCode).toBe(302)
    expect(res.history).toEqual([])
  })

  it('fails with ERR_WSGI_TOO_MANY_REDIRECTS on a loop', async () => {
    const client = new TestClient(redirectApp, { followRedirects: true, maxRedirects: 3 })
    const error: unknown = await client.get('/loop').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WSGIError)
    expect(error).toMatchObject({
      code: 'ERR_WSGI_TOO_MANY_REDIRECTS',
      message: 'Exceeded 3 redirects (last Location: /loop)',
    })
  })
})

describe('TestClient#stream(method, path, options)', () => {
  it('gives the status and headers before the body is produced', async () => {
    const body = new TrackedBody(['one', 'two', 'three'])
    const client = new TestClient((_e, startResponse) => {
      startResponse('200 OK', TEXT)
      return body
    })
    const res = await client.stream('GET', '/')
    expect(res).toBeInstanceOf(StreamingTestResponse)
    expect(res.status).toBe('200 OK')
    expect(res.headers.get('Content-Type')).toBe('text/plain')
    // The handler sent the headers with the first chunk and waits for it to be read.
    expect(body.produced).toBe(1)
    const chunks: string[] = []
    for await (const chunk of res) {
      chunks.push(dec(chunk))
      // Backpressure: the app is never more than one chunk ahead of the reader.
      expect(body.produced - chunks.length).toBeLessThanOrEqual(1)
    }
    expect(chunks).toEqual(['one', 'two', 'three'])
    expect(body.closed).toBe(1)
    expect(res.environ['wsgits.signal']?.aborted).toBe(false)
  })

  it('closes the body once and fires wsgits.signal when the reader stops early', async () => {
    let body: TrackedBody | undefined
    let signal: AbortSignal | undefined
    const client = new TestClient((environ, startResponse) => {
      signal = environ['wsgits.signal']!
      startResponse('200 OK', TEXT)
      body = new TrackedBody(['a', 'b', 'c', 'd'], signal)
      return body
    })
    const res = await client.stream('GET', '/')
    for await (const chunk of res) {
      expect(dec(chunk)).toBe('a')
      break
    }
    expect(signal?.aborted).toBe(true)
    expect(body?.closed).toBe(1)
    expect(body?.produced).toBeLessThan(4)
    await res.close()
    expect(body?.closed).toBe(1)
  })

  it('ends a never-ending stream when the app watches wsgits.signal', async () => {
    let closed = 0
    const client = new TestClient((environ, startResponse) => {
      const signal = environ['wsgits.signal']!
      startResponse('200 OK', [['Content-Type', 'text/event-stream']])
      const events = (async function* () {
        for (let i = 0; !signal.aborted; i++) {
          yield enc(`data: ${i}\n\n`)
          await new Promise<void>((resolve) => setTimeout(resolve, 1))
        }
      })()
      return Object.assign(events, {
        close: () => {
          closed++
        },
      }) satisfies ResponseBody
    })
    const res = await client.stream('GET', '/events')
    const iterator = res[Symbol.asyncIterator]()
    expect(dec((await iterator.next()).value ?? new Uint8Array())).toBe('data: 0\n\n')
    expect(dec((await iterator.next()).value ?? new Uint8Array())).toBe('data: 1\n\n')
    await res.close()
    expect(closed).toBe(1)
  })

  it('reads the rest with text(), and the trailers and errors once it ended', async () => {
    const res = await new TestClient((environ, startResponse) => {
      startResponse('200 OK', TEXT)
      const add = environ['wsgits.add_trailers'] as (t: HeaderList) => void
      return chunks(
        'x',
        () => {
          environ['wsgi.errors'].write('logged')
          add([['X-Done', '1']])
        },
        'y',
      )
    }).stream('GET', '/')
    expect(await res.text()).toBe('xy')
    expect(res.trailers.get('X-Done')).toBe('1')
    expect(res.errors).toBe('logged')
  })

  it('rejects when the app fails before the headers', async () => {
    const client = new TestClient(() => {
      throw new Error('early')
    })
    await expect(client.stream('GET', '/')).rejects.toThrow('early')
  })

  it('throws from the iterator when the app fails after the headers', async () => {
    const res = await new TestClient((_e, startResponse) => {
      startResponse('200 OK', TEXT)
      return chunks('ok', () => {
        throw new Error('late')
      })
    }).stream('GET', '/')
    await expect(res.bytes()).rejects.toThrow('late')
    await expect(res.close()).resolves.toBeUndefined()
  })

  it('reports from close() an error that no read reported', async () => {
    const res = await new TestClient(
      (_e, startResponse) => {
        startResponse('200 OK', TEXT)
        // An empty chunk sends the headers; the body then ends and its close() fails.
        return Object.assign(chunks(''), {
          close: () => {
            throw new Error('close failed')
          },
        })
      },
      { validate: false },
    ).stream('GET', '/')
    await expect(res.close()).rejects.toThrow('close failed')
  })

  it('follows redirects, reading each redirect whole', async () => {
    const client = new TestClient(
      (environ, startResponse) => {
        if (environ.PATH_INFO === '/old') {
          startResponse('301 Moved Permanently', [...TEXT, ['Location', '/new']])
          return [enc('see /new')]
        }
        startResponse('200 OK', TEXT)
        return [enc(`at ${environ.PATH_INFO ?? ''}`)]
      },
      { followRedirects: true },
    )
    const res = await client.stream('GET', '/old')
    expect(await res.text()).toBe('at /new')
    expect(res.history.map((r) => [r.statusCode, r.text()])).toEqual([[301, 'see /new']])
  })

  it('gives HEAD no chunks', async () => {
    const res = await new TestClient((_e, startResponse) => {
      startResponse('200 OK', TEXT)
      return [enc('hidden')]
    }).stream('HEAD', '/')
    expect(await res.bytes()).toEqual(new Uint8Array())
  })
})

describe('TestClient chunk copies', () => {
  it('keeps each chunk as it was when sent, even if the app reuses its buffer', async () => {
    const app: WSGIApplication = (_e, startResponse) => {
      startResponse('200 OK', TEXT)
      const buffer = Buffer.from('aaa')
      return (async function* () {
        yield buffer
        await Promise.resolve()
        buffer.fill(0x62)
        yield buffer
      })()
    }
    expect((await new TestClient(app).get('/')).text()).toBe('aaabbb')
  })
})
