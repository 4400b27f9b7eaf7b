import { describe, expect, it, vi } from 'vitest'

import { fromNodeListener } from '@wsgi/core/node'
import type { WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'

import { FetchHandler } from './fetch-handler.ts'
import { toFetch } from './to-fetch.ts'

const enc = new TextEncoder()

/** A Request that counts how often `body` and `signal` are read, and `arrayBuffer()` called. */
function spyRequest(
  url: string,
  init?: RequestInit,
): { request: Request; reads: { body: number; signal: number; arrayBuffer: number } } {
  const reads = { body: 0, signal: 0, arrayBuffer: 0 }
  class SpyRequest extends Request {}

  const arrayBuffer = Request.prototype.arrayBuffer
  Object.defineProperty(SpyRequest.prototype, 'arrayBuffer', {
    value(this: Request): Promise<ArrayBuffer> {
      reads.arrayBuffer++
      return arrayBuffer.call(this)
    },
  })
  for (const key of ['body', 'signal'] as const) {
    const descriptor = Object.getOwnPropertyDescriptor(Request.prototype, key)
    Object.defineProperty(SpyRequest.prototype, key, {
      get(this: Request): unknown {
        reads[key]++
        return descriptor?.get?.call(this)
      },
    })
  }
  return { request: new SpyRequest(url, init), reads }
}

describe('FetchHandler: what it builds only on demand', () => {
  it('reads neither request.body nor request.signal for an app that uses neither', async () => {
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return [enc.encode('ok')]
    }
    // As a server hands it over: the length in a header (a body without one is looked at, to
    // tell the app it exists: see the next test).
    const { request, reads } = spyRequest('http://h/', {
      method: 'POST',
      body: 'payload',
      headers: { 'Content-Length': '7' },
    })
    const response = await toFetch(app)(request)
    expect(await response.text()).toBe('ok')
    expect(reads).toEqual({ body: 0, signal: 0, arrayBuffer: 0 })
  })

  it('says Transfer-Encoding: chunked for a body without a length, and nothing for none', async () => {
    const seen: unknown[] = []
    const app: WSGIApplication = (environ, startResponse) => {
      seen.push([environ.CONTENT_LENGTH, environ['HTTP_TRANSFER_ENCODING']])
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return [enc.encode('ok')]
    }
    const handler = toFetch(app)
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(enc.encode('streamed'))
        controller.close()
      },
    })
    const requests = [
      new Request('http://h/', { method: 'POST', body: stream, duplex: 'half' }),
      new Request('http://h/', { method: 'POST', body: 'x', headers: { 'Content-Length': '1' } }),
      new Request('http://h/', { method: 'POST' }),
      new Request('http://h/'),
    ]
    for (const request of requests) await (await handler(request)).text()
    expect(seen).toEqual([
      [undefined, 'chunked'],
      ['1', undefined],
      [undefined, undefined],
      [undefined, undefined],
    ])
  })

  it('gives a Node listener behind it a body without a length, whole', async () => {
    const app = fromNodeListener(async (req, res) => {
      let text = ''
      for await (const chunk of req) text += String(chunk)
      res.end(`read: ${text}`)
    })
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(enc.encode('one, '))
        controller.enqueue(enc.encode('two'))
        controller.close()
      },
    })
    const request = new Request('http://h/', {
      method: 'POST',
      body: stream,
      duplex: 'half',
    })
    expect(await (await toFetch(app)(request)).text()).toBe('read: one, two')
  })

  it('reads the request body once the app reads wsgi.input', async () => {
    const app: WSGIApplication = async (environ, startResponse) => {
      const body = await environ['wsgi.input'].read()
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return [body]
    }
    const { request, reads } = spyRequest('http://h/', {
      method: 'POST',
      body: 'payload',
      headers: { 'Content-Length': '7' },
    })
    const response = await toFetch(app)(request)
    expect(await response.text()).toBe('payload')
    // A body of known length up to 64 KiB is read whole, with arrayBuffer().
    expect(reads).toEqual({ body: 0, signal: 0, arrayBuffer: 1 })
  })

  it('follows request.signal once the app reads wsgits.signal', async () => {
    const controller = new AbortController()
    let signal: AbortSignal | undefined
    let release: () => void = () => undefined
    const app: WSGIApplication = async (environ, startResponse) => {
      signal = environ['wsgits.signal']
      await new Promise<void>((resolve) => {
        release = resolve
      })
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return [enc.encode('late')]
    }
    const { request, reads } = spyRequest('http://h/', { signal: controller.signal })
    const pending = toFetch(app)(request)
    await vi.waitFor(() => {
      expect(signal).toBeDefined()
    })
    expect(reads.signal).toBeGreaterThan(0)
    expect(signal?.aborted).toBe(false)
    controller.abort()
    expect(signal?.aborted).toBe(true)
    release()
    await (await pending).text()
  })

  it('answers a one-chunk body with that chunk, and a body of several with a stream', async () => {
    const chunk = enc.encode('whole')
    const one = await toFetch((_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return [chunk]
    })(new Request('http://h/'))
    expect(one.headers.get('content-length')).toBe('5')
    expect(await one.text()).toBe('whole')
    const two = await toFetch((_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return [enc.encode('a'), enc.encode('b')]
    })(new Request('http://h/'))
    expect(two.headers.get('content-length')).toBeNull()
    expect(await two.text()).toBe('ab')
  })

  it('closes a one-chunk body once, and once when its head is refused', async () => {
    const close = vi.fn()
    const ok = await toFetch((_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return Object.assign([enc.encode('x')], { close })
    })(new Request('http://h/'))
    await ok.text()
    expect(close).toHaveBeenCalledTimes(1)
    const refused = vi.fn()
    const errors = { write: vi.fn(), writelines: vi.fn(), flush: vi.fn() }
    const bad = await toFetch(
      (_environ, startResponse) => {
        startResponse('200 OK', [['Content-Length', '1']])
        return Object.assign([enc.encode('too long')], { close: refused })
      },
      { errors },
    )(new Request('http://h/'))
    expect(bad.status).toBe(500)
    expect(refused).toHaveBeenCalledTimes(1)
  })

  it('lets middleware replace wsgits.signal with a value of its own', async () => {
    const mine = new AbortController().signal
    let seen: WSGIEnvironment['wsgits.signal']
    const app: WSGIApplication = (environ, startResponse) => {
      environ['wsgits.signal'] = mine
      seen = environ['wsgits.signal']
      startResponse('204 No Content', [])
      return []
    }
    await toFetch(app)(new Request('http://h/'))
    expect(seen).toBe(mine)
  })
})

describe('FetchHandler: the lazy keys of the environ', () => {
  /** The environs `toFetch` gives `count` requests. */
  async function environsOf(count: number): Promise<WSGIEnvironment[]> {
    const environs: WSGIEnvironment[] = []
    const handler = toFetch((environ, startResponse) => {
      environs.push(environ)
      startResponse('204 No Content', [])
      return []
    })
    for (let i = 0; i < count; i++) await handler(new Request('http://h/'))
    return environs
  }

  it('shares one accessor pair for wsgits.signal across requests (no closure per environ)', async () => {
    // A getter made per request gave each environ a V8 map of its own, allocated in old space:
    // every environ then outlived the next scavenge.
    const [first, second] = await environsOf(2)
    const [a, b] = [first, second].map((environ) => {
      const accessor: { get?: unknown; set?: unknown } | undefined =
        Object.getOwnPropertyDescriptor(environ, 'wsgits.signal')
      return [accessor?.get, accessor?.set]
    })
    expect(typeof a?.[0]).toBe('function')
    expect(a).toEqual(b)
    expect(a?.[0]).toBe(b?.[0])
  })

  it('finds its request through a copy made with Object.create, and a spread copy holds values', async () => {
    const controller = new AbortController()
    let derived: AbortSignal | undefined
    let spread: Record<PropertyKey, unknown> = {}
    let keys: string[] = []
    let symbols: symbol[] = []
    await toFetch((environ, startResponse) => {
      keys = Object.keys(environ)
      symbols = Object.getOwnPropertySymbols(environ)
      derived = (Object.create(environ) as WSGIEnvironment)['wsgits.signal']
      spread = { ...environ }
      startResponse('204 No Content', [])
      return []
    })(new Request('http://h/', { signal: controller.signal }))
    expect(derived).toBeInstanceOf(AbortSignal)
    expect(Object.keys(spread)).toEqual(keys)
    expect(Object.getOwnPropertySymbols(spread)).toEqual([])
    expect(spread['wsgits.signal']).toBe(derived)
    // The link to the handler is no key of the environ at all, not even a hidden one.
    expect(symbols).toEqual([])
  })

  it('keeps the lazy keys of an environ that a subclass hook filled twice', async () => {
    class Twice extends FetchHandler {
      override addCgiVars(): void {
        super.addCgiVars()
        super.addCgiVars()
      }
    }
    let signal: unknown
    const options = { scriptName: '', errors: undefined, env: undefined, ctx: undefined }
    const response = await new Twice(new Request('http://h/'), options).respond(
      (environ, startResponse) => {
        signal = environ['wsgits.signal']
        startResponse('204 No Content', [])
        return []
      },
    )
    expect(response.status).toBe(204)
    expect(signal).toBeInstanceOf(AbortSignal)
  })

  it('refuses an accessor copied onto an object of its own, with a TypeError', async () => {
    let copied: PropertyDescriptor | undefined
    await toFetch((environ, startResponse) => {
      copied = Object.getOwnPropertyDescriptor(environ, 'wsgits.signal')
      startResponse('204 No Content', [])
      return []
    })(new Request('http://h/'))
    const other = Object.defineProperty({}, 'wsgits.signal', copied ?? {}) as WSGIEnvironment
    expect(() => other['wsgits.signal']).toThrow(TypeError)
  })
})

describe('FetchHandler: close() when the consumer cancels the body', () => {
  /** A body that yields `first`, then waits on `gate` (which may never open), counting close(). */
  function gatedBody(gate: Promise<void>): {
    body: AsyncIterable<Uint8Array>
    closes: () => number
  } {
    let closes = 0
    const body = {
      async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
        yield enc.encode('first')
        await gate
        yield enc.encode('second')
        yield enc.encode('third')
      },
      close(): void {
        closes++
      },
    }
    return { body, closes: () => closes }
  }

  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

  it('runs close() inside cancel(), while the body waits on what never comes (workerd)', async () => {
    const { body, closes } = gatedBody(new Promise<void>(() => undefined))
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return body
    }
    const response = await toFetch(app)(new Request('http://h/'))
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first')
    expect(closes()).toBe(0)
    await reader.cancel('client gone')
    // Already run, without waiting for the body's iteration to resume.
    expect(closes()).toBe(1)
  })

  it('runs close() once when the waiting body resumes after the cancel', async () => {
    let open: () => void = () => undefined
    const { body, closes } = gatedBody(
      new Promise<void>((resolve) => {
        open = resolve
      }),
    )
    const errors: string[] = []
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return body
    }
    const response = await toFetch(app, {
      errors: {
        write: (s: string) => void errors.push(s),
        writelines: () => undefined,
        flush: () => undefined,
      },
    })(new Request('http://h/'))
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    await reader.cancel()
    expect(closes()).toBe(1)
    open()
    for (let i = 0; i < 5; i++) await turn()
    expect(closes()).toBe(1)
    // A client that left is not an application error.
    expect(errors).toEqual([])
  })
})
