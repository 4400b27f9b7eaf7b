import { describe, expect, it, vi } from 'vitest'

import type { ResponseBody, WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'
import { requestURI } from '@wsgi/core/util'

import { MemoryErrors, readerOf, textOf } from '../test/helpers.ts'

import { toFetch } from './to-fetch.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

/** An app that answers 200 and records its environ. */
function recorder(): { app: WSGIApplication; environs: WSGIEnvironment[] } {
  const environs: WSGIEnvironment[] = []
  const app: WSGIApplication = (environ, startResponse) => {
    environs.push(environ)
    startResponse('200 OK', [['Content-Type', 'text/plain']])
    return [enc.encode('ok')]
  }
  return { app, environs }
}

async function environFor(request: Request, scriptName?: string): Promise<WSGIEnvironment> {
  const { app, environs } = recorder()
  const options = scriptName === undefined ? {} : { scriptName }
  await (await toFetch(app, options)(request)).text()
  return environs[0]!
}

/** A body with a close() spy, yielding `chunks`. */
function closableBody(chunks: string[]): { body: ResponseBody; close: ReturnType<typeof vi.fn> } {
  const close = vi.fn()
  return {
    body: Object.assign(
      chunks.map((c) => enc.encode(c)),
      { close },
    ),
    close,
  }
}

/** A promise with its resolve function outside. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

describe('toFetch(app): the environ', () => {
  it('maps the request line and the URL to CGI variables', async () => {
    const environ = await environFor(
      new Request('https://api.example.com:8443/a%20b/c?x=1&y=%C3%A9', { method: 'DELETE' }),
    )
    expect(environ).toMatchObject({
      REQUEST_METHOD: 'DELETE',
      SCRIPT_NAME: '',
      PATH_INFO: '/a b/c',
      QUERY_STRING: 'x=1&y=%C3%A9',
      REQUEST_URI: '/a%20b/c?x=1&y=%C3%A9',
      SERVER_NAME: 'api.example.com',
      SERVER_PORT: '8443',
      SERVER_PROTOCOL: 'HTTP/1.1',
      HTTP_HOST: 'api.example.com:8443',
      HTTPS: 'on',
      'wsgi.url_scheme': 'https',
      'wsgi.input_terminated': true,
      'wsgi.version': [1, 0],
    })
  })

  it('gives PATH_INFO as latin-1 bytes of the percent-decoded path', async () => {
    const environ = await environFor(new Request('http://h/caf%C3%A9/€'))
    expect(environ.PATH_INFO).toBe('/caf\xc3\xa9/\xe2\x82\xac')
  })

  it.each([
    ['http://h/', '80'],
    ['https://h/', '443'],
    ['http://[::1]:8000/', '8000'],
  ])('derives SERVER_PORT for %s', async (url, port) => {
    const environ = await environFor(new Request(url))
    expect(environ.SERVER_PORT).toBe(port)
    expect(environ.SERVER_NAME).not.toContain('[')
  })

  it('maps headers to HTTP_* and CONTENT_*, dropping hop-by-hop and underscored names', async () => {
    const headers = new Headers([
      ['Accept', 'text/html'],
      ['X-Forwarded-For', '10.0.0.1'],
      ['X_Forwarded_For', 'spoofed'],
      ['Content-Type', 'application/json'],
      ['Content-Length', '2'],
      ['Connection', 'x-hop'],
      ['X-Hop', 'per-hop'],
      ['Keep-Alive', 'timeout=5'],
      ['Proxy-Authorization', 'Basic x'],
      ['X-Latin1', 'caf\xe9'],
    ])
    const environ = await environFor(
      new Request('http://h/', { method: 'POST', headers, body: '{}' }),
    )
    const httpKeys = Object.keys(environ)
      .filter((k) => k.startsWith('HTTP_'))
      .sort()
    expect(httpKeys).toEqual(['HTTP_ACCEPT', 'HTTP_HOST', 'HTTP_X_FORWARDED_FOR', 'HTTP_X_LATIN1'])
    expect(environ['HTTP_X_FORWARDED_FOR']).toBe('10.0.0.1')
    expect(environ['HTTP_X_LATIN1']).toBe('caf\xe9')
    expect(environ.CONTENT_TYPE).toBe('application/json')
    expect(environ.CONTENT_LENGTH).toBe('2')
  })

  it('puts env and ctx into wsgits.fetch_env and wsgits.fetch_ctx, and leaves them out otherwise', async () => {
    const { app, environs } = recorder()
    const ctx = { waitUntil: vi.fn(), passThroughOnException: vi.fn() }
    await (await toFetch(app)(new Request('http://h/'), { DB: 1 }, ctx)).text()
    await (await toFetch(app)(new Request('http://h/'))).text()
    expect(environs[0]!['wsgits.fetch_env']).toEqual({ DB: 1 })
    expect(environs[0]!['wsgits.fetch_ctx']).toBe(ctx)
    expect('wsgits.fetch_env' in environs[1]!).toBe(false)
    expect('wsgits.fetch_ctx' in environs[1]!).toBe(false)
  })
})

describe('toFetch(app, { scriptName })', () => {
  it.each([
    ['the full URL', 'http://h/legacy/users/7?x=1', '/users/7'],
    ['a URL whose prefix a router stripped', 'http://h/users/7?x=1', '/users/7'],
  ])(
    'splits %s so requestURI(environ) is the URL the client asked for',
    async (_, url, pathInfo) => {
      const environ = await environFor(new Request(url), '/legacy/')
      expect(environ.SCRIPT_NAME).toBe('/legacy')
      expect(environ.PATH_INFO).toBe(pathInfo)
      expect(environ['REQUEST_URI']).toBe('/legacy/users/7?x=1')
      expect(requestURI(environ)).toBe('http://h/legacy/users/7?x=1')
    },
  )

  it('gives an empty PATH_INFO for the prefix itself', async () => {
    const environ = await environFor(new Request('http://h/legacy'), '/legacy')
    expect([environ.SCRIPT_NAME, environ.PATH_INFO]).toEqual(['/legacy', ''])
  })

  it('does not split inside a path segment', async () => {
    const environ = await environFor(new Request('http://h/legacyx'), '/legacy')
    expect([environ.SCRIPT_NAME, environ.PATH_INFO]).toEqual(['/legacy', '/legacyx'])
  })
})

describe('toFetch(app): the response', () => {
  it('gives status, reason and headers, each Set-Cookie separate', async () => {
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('201 Made It', [
        ['Content-Type', 'text/plain'],
        ['Set-Cookie', 'a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT'],
        ['Set-Cookie', 'b=2'],
        ['Set-Cookie', 'c=3'],
        ['Trailer', 'x-checksum'],
      ])
      return [enc.encode('made')]
    }
    const response = await toFetch(app)(new Request('http://h/'))
    expect(response.status).toBe(201)
    expect(response.statusText).toBe('Made It')
    expect(response.headers.getSetCookie()).toEqual([
      'a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT',
      'b=2',
      'c=3',
    ])
    expect(response.headers.has('trailer')).toBe(false)
    expect(response.headers.get('content-length')).toBe('4')
    expect(await response.text()).toBe('made')
  })

  it.each([
    ['HEAD', '200 OK'],
    ['GET', '204 No Content'],
    ['GET', '205 Reset Content'],
    ['GET', '304 Not Modified'],
  ])('gives a null body for %s %s and closes the app body once', async (method, status) => {
    const { body, close } = closableBody(['never', 'sent'])
    const response = await toFetch((_e, startResponse) => {
      startResponse(status as '200 OK', [['ETag', '"v1"']])
      return body
    })(new Request('http://h/', { method }))
    expect(response.status).toBe(Number(status.slice(0, 3)))
    expect(response.body).toBeNull()
    expect(response.headers.get('etag')).toBe('"v1"')
    await vi.waitFor(() => {
      expect(close).toHaveBeenCalledTimes(1)
    })
  })

  it('supports the legacy write() callable', async () => {
    const app: WSGIApplication = async (_environ, startResponse) => {
      const write = startResponse('200 OK', [])
      await write(enc.encode('written '))
      return [enc.encode('returned')]
    }
    const response = await toFetch(app)(new Request('http://h/'))
    expect(await response.text()).toBe('written returned')
  })

  it('resolves the Response as soon as the head is known, before the body ends', async () => {
    const later = gate()
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/event-stream']])
      return (async function* () {
        yield enc.encode('data: first\n\n')
        await later.promise
        yield enc.encode('data: second\n\n')
      })()
    }
    const response = await toFetch(app)(new Request('http://h/'))
    const reader = readerOf(response.body)
    expect(textOf((await reader.read()).value)).toBe('data: first\n\n')
    later.open()
    expect(textOf((await reader.read()).value)).toBe('data: second\n\n')
    expect((await reader.read()).done).toBe(true)
  })

  it('returns the Response itself when the app answered before returning, a promise otherwise', async () => {
    const handler = toFetch(recorder().app)
    const now = handler(new Request('http://h/'))
    expect(now).toBeInstanceOf(Response)
    expect(await (now as Response).text()).toBe('ok')

    // An empty body goes through the general (asynchronous) path of the handler.
    const empty = toFetch((_environ, startResponse) => {
      startResponse('204 No Content', [])
      return []
    })(new Request('http://h/'))
    expect((await empty).status).toBe(204)

    const asyncApp: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [])
      return Promise.resolve([enc.encode('later')])
    }
    const later = toFetch(asyncApp)(new Request('http://h/'))
    expect(later).toBeInstanceOf(Promise)
    expect(await (await later).text()).toBe('later')

    const failed = toFetch(
      () => {
        throw new Error('boom')
      },
      { errors: new MemoryErrors() },
    )(new Request('http://h/'))
    expect((await failed).status).toBe(500)

    const notRequest = toFetch(recorder().app)('http://h/' as unknown as Request)
    expect(notRequest).toBeInstanceOf(Promise)
    await expect(notRequest).rejects.toMatchObject({ code: 'ERR_WSGI_INVALID_ARG_TYPE' })
  })

  it('pulls the app body only as fast as the consumer reads (backpressure)', async () => {
    let produced = 0
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [])
      return (function* () {
        for (let i = 0; i < 1000; i++) {
          produced++
          yield new Uint8Array(1024)
        }
      })()
    }
    const response = await toFetch(app)(new Request('http://h/'))
    const reader = readerOf(response.body)
    for (let read = 1; read <= 5; read++) {
      await reader.read()
      await new Promise((resolve) => setTimeout(resolve, 5))
      // One chunk handed over, at most one more waiting: never the whole body.
      expect(produced).toBeLessThanOrEqual(read + 2)
    }
    await reader.cancel()
  })
})

describe('toFetch(app): the request body', () => {
  it('streams request.body into wsgi.input on demand', async () => {
    let pulls = 0
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulls++
          if (pulls <= 3) controller.enqueue(enc.encode(`line ${pulls}\n`))
          else controller.close()
        },
      },
      { highWaterMark: 0 },
    )
    const seen: string[] = []
    const app: WSGIApplication = async (environ, startResponse) => {
      const input = environ['wsgi.input']
      seen.push(dec.decode(await input.readline()))
      const pullsAfterFirstLine = pulls
      seen.push(...(await input.readlines()).map((l) => dec.decode(l)))
      startResponse('200 OK', [])
      return [enc.encode(String(pullsAfterFirstLine))]
    }
    const request = new Request('http://h/', {
      method: 'POST',
      body,
      duplex: 'half',
    })
    const response = await toFetch(app)(request)
    expect(await response.text()).toBe('1')
    expect(seen).toEqual(['line 1\n', 'line 2\n', 'line 3\n'])
  })

  it('gives an empty wsgi.input for a bodiless request', async () => {
    const app: WSGIApplication = async (environ, startResponse) => {
      const data = await environ['wsgi.input'].read()
      startResponse('200 OK', [])
      return [enc.encode(`${data.length}`)]
    }
    expect(await (await toFetch(app)(new Request('http://h/'))).text()).toBe('0')
  })

  it('fails wsgi.input reads with ERR_WSGI_INPUT_ERROR when the request body errors', async () => {
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('upload aborted'))
      },
    })
    let failure: unknown
    const app: WSGIApplication = async (environ, startResponse) => {
      try {
        await environ['wsgi.input'].read()
      } catch (error) {
        failure = error
      }
      startResponse('200 OK', [])
      return []
    }
    await toFetch(app)(new Request('http://h/', { method: 'POST', body, duplex: 'half' }))
    expect(failure).toMatchObject({ code: 'ERR_WSGI_INPUT_ERROR' })
  })
})

describe('toFetch(app): errors', () => {
  it('answers 500 without details when the app throws before the head, and logs it', async () => {
    const errors = new MemoryErrors()
    const handler = toFetch(
      () => {
        throw new Error('secret database password')
      },
      { errors },
    )
    const response = await handler(new Request('http://h/'))
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(text).toBe('A server error occurred.  Please contact the administrator.')
    expect(text).not.toContain('secret')
    expect(errors.text).toContain('secret database password')
  })

  it('answers 500 when the status is one fetch cannot carry', async () => {
    const errors = new MemoryErrors()
    const response = await toFetch(
      (_environ, startResponse) => {
        startResponse('103 Early Hints', [])
        return [enc.encode('x')]
      },
      { errors },
    )(new Request('http://h/'))
    expect(response.status).toBe(500)
  })

  it('errors the body stream when the app fails after the head, and closes its body once', async () => {
    const close = vi.fn()
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [])
      const chunks = (function* () {
        yield enc.encode('partial')
        throw new Error('midway failure')
      })()
      return Object.assign(chunks, { close })
    }
    const response = await toFetch(app, { errors: new MemoryErrors() })(new Request('http://h/'))
    await expect(response.text()).rejects.toThrow()
    expect(close).toHaveBeenCalledTimes(1)
  })
})

describe('toFetch(app): abort', () => {
  it('fires wsgits.signal when request.signal aborts, and closes the body once', async () => {
    const controller = new AbortController()
    const close = vi.fn()
    let signal!: AbortSignal
    const app: WSGIApplication = (environ, startResponse) => {
      signal = environ['wsgits.signal']!
      startResponse('200 OK', [['Content-Type', 'text/event-stream']])
      const events = (async function* () {
        while (!signal.aborted) {
          yield enc.encode('data: tick\n\n')
          await new Promise((resolve) => setTimeout(resolve, 1))
        }
      })()
      return Object.assign(events, { close })
    }
    const response = await toFetch(app)(new Request('http://h/', { signal: controller.signal }))
    const reader = readerOf(response.body)
    await reader.read()
    expect(signal.aborted).toBe(false)
    controller.abort()
    expect(signal.aborted).toBe(true)
    await reader.cancel()
    await vi.waitFor(() => {
      expect(close).toHaveBeenCalledTimes(1)
    })
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(close).toHaveBeenCalledTimes(1)
  })

  it('fires wsgits.signal when the consumer cancels the body, and closes the body once', async () => {
    const close = vi.fn()
    let signal!: AbortSignal
    const app: WSGIApplication = (environ, startResponse) => {
      signal = environ['wsgits.signal']!
      startResponse('200 OK', [])
      return Object.assign(
        (function* () {
          for (;;) yield enc.encode('tick')
        })(),
        { close },
      )
    }
    const response = await toFetch(app)(new Request('http://h/'))
    const reader = readerOf(response.body)
    await reader.read()
    await reader.cancel('client gone')
    expect(signal.aborted).toBe(true)
    await vi.waitFor(() => {
      expect(close).toHaveBeenCalledTimes(1)
    })
  })

  it('sees an already-aborted request as an aborted signal', async () => {
    const { app, environs } = recorder()
    const response = await toFetch(app)(new Request('http://h/', { signal: AbortSignal.abort() }))
    await response.text()
    expect(environs[0]!['wsgits.signal']!.aborted).toBe(true)
  })

  it.each(['GET', 'POST'])('does not fire wsgits.signal when a %s completes', async (method) => {
    const controller = new AbortController()
    const { app, environs } = recorder()
    const init: RequestInit = { method, signal: controller.signal }
    if (method === 'POST') init.body = 'payload'
    const response = await toFetch(app)(new Request('http://h/', init))
    await response.text()
    await new Promise((resolve) => setTimeout(resolve, 0))
    // A runtime that aborts request.signal after the response ended must not reach the app.
    controller.abort()
    expect(environs[0]!['wsgits.signal']!.aborted).toBe(false)
  })
})

describe('toFetch(app): arguments', () => {
  it('throws ERR_WSGI_INVALID_ARG_TYPE for an app that is not a function', () => {
    expect(() => toFetch('app' as unknown as WSGIApplication)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })
})
