/**
 * End-to-end behaviour of `makeServer()` over real sockets, with `fetch` and raw `node:net`
 * clients: keep-alive, chunked uploads, `Expect: 100-continue`, the client-abort signal, `close()`
 * on every path, cut connections, bodiless responses, cookies, server-sent events and trailers.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import type { ServerResponse } from 'node:http'

import { describe, expect, it, onTestFinished, vi } from 'vitest'

import { makeServer } from '../src/simple-server/index.ts'
import type { ResponseBody, WSGIApplication, WSGIEnvironment } from '../src/types.ts'
import { StringErrorStream } from '../src/_internal/error-stream.ts'
import type { InputReader } from '../src/_internal/input.ts'
import { RawClient, exchange } from './helpers/raw-http.ts'

const text = (s: string): Uint8Array => Buffer.from(s, 'latin1')

async function start(app: WSGIApplication): Promise<{ port: number; log: StringErrorStream }> {
  const server = await makeServer('127.0.0.1', 0, app)
  const log = new StringErrorStream()
  server.stderr = log
  onTestFinished(async () => {
    server.httpServer.closeAllConnections()
    await server.shutdown()
  })
  return { port: server.serverPort, log }
}

/** A deferred: a promise plus its resolve function. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** Wait until the server-side response of `environ` has closed (finished or cut). */
function responseClosed(environ: WSGIEnvironment): Promise<void> {
  const res = environ['wsgits.node_response'] as ServerResponse
  if (res.closed) return Promise.resolve()
  return new Promise((resolve) => {
    res.once('close', () => {
      resolve()
    })
  })
}

/** A body that counts its close() calls. */
function counted(body: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): ResponseBody & {
  closes: number
} {
  const wrapped = body as ResponseBody & { closes: number }
  wrapped.closes = 0
  wrapped.close = () => {
    wrapped.closes++
  }
  return wrapped
}

const echo: WSGIApplication = async (environ, sr) => {
  const body = await environ['wsgi.input'].read()
  sr('200 OK', [['Content-Type', 'application/octet-stream']])
  return [body]
}

describe('makeServer() over real sockets', () => {
  it('keeps the connection alive for a second request', async () => {
    const ports: string[] = []
    const app: WSGIApplication = (environ, sr) => {
      ports.push(environ.REMOTE_PORT ?? '')
      sr('200 OK', [['Content-Type', 'text/plain']])
      return [text(environ.PATH_INFO ?? '')]
    }
    const { port } = await start(app)
    const client = await RawClient.open(port)
    onTestFinished(() => {
      client.destroy()
    })
    client.write('GET /one HTTP/1.1\r\nHost: h\r\n\r\n')
    const first = await client.response()
    client.write('GET /two HTTP/1.1\r\nHost: h\r\n\r\n')
    const second = await client.response()
    expect([first.body.toString(), second.body.toString()]).toEqual(['/one', '/two'])
    expect(first.headers.get('connection')).toEqual(['keep-alive'])
    expect(ports[0]).toBe(ports[1])
  })

  it('reads a chunked upload to its end (wsgi.input_terminated)', async () => {
    const { port } = await start(echo)
    const raw = await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
    )
    expect(raw).toMatch(/\r\nContent-Length: 11\r\n/)
    expect(raw.endsWith('\r\n\r\nhello world')).toBe(true)
  })

  it('streams a fetch upload of unknown length', async () => {
    const { port } = await start(echo)
    const parts = ['a'.repeat(70_000), 'b'.repeat(70_000)]
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of parts) controller.enqueue(text(p))
        controller.close()
      },
    })
    const init: RequestInit & { duplex: 'half' } = { method: 'POST', body, duplex: 'half' }
    const res = await fetch(`http://127.0.0.1:${port}/`, init)
    expect(await res.text()).toBe(parts.join(''))
  })

  it('lets an app refuse an upload before the client sends it (no 100 Continue)', async () => {
    const inputs: InputReader[] = []
    const app: WSGIApplication = (environ, sr) => {
      inputs.push(environ['wsgi.input'] as unknown as InputReader)
      sr('413 Content Too Large', [['Content-Type', 'text/plain']])
      return [text('too big')]
    }
    const { port } = await start(app)
    const client = await RawClient.open(port)
    client.write(
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000000\r\nExpect: 100-continue\r\n\r\n',
    )
    const res = await client.response()
    expect([res.status, res.body.toString()]).toEqual([413, 'too big'])
    expect(res.head).not.toContain('100 Continue')
    expect(res.headers.get('connection')).toEqual(['close'])
    await client.untilClosed()
    expect(inputs.map((i) => i.bytesReceived)).toEqual([0])
  })

  it('sends 100 Continue when the app reads wsgi.input, then gets the body', async () => {
    const { port } = await start(echo)
    const client = await RawClient.open(port)
    client.write(
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
    )
    const interim = await client.response()
    expect(interim.head).toBe('HTTP/1.1 100 Continue\r\n\r\n')
    client.write('hello')
    const final = await client.response()
    expect([final.status, final.body.toString()]).toEqual([200, 'hello'])
  })

  it('drops request headers whose name holds "_"', async () => {
    let environ: WSGIEnvironment | undefined
    const app: WSGIApplication = (env, sr) => {
      environ = env
      sr('200 OK', [])
      return []
    }
    const { port } = await start(app)
    await exchange(
      port,
      'GET / HTTP/1.1\r\nHost: h\r\nX-User: alice\r\nX_User: mallory\r\nConnection: close\r\n\r\n',
    )
    expect(environ?.['HTTP_X_USER']).toBe('alice')
  })

  it('keeps three Set-Cookie headers', async () => {
    const app: WSGIApplication = (_e, sr) => {
      sr('200 OK', [
        ['Set-Cookie', 'a=1; Path=/'],
        ['Set-Cookie', 'b=2; HttpOnly'],
        ['Set-Cookie', 'c=3, d=4'],
      ])
      return [text('ok')]
    }
    const { port } = await start(app)
    const res = await fetch(`http://127.0.0.1:${port}/`)
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; HttpOnly', 'c=3, d=4'])
  })

  it('sends no body for HEAD, 204 and 304 (the next response on the connection is intact)', async () => {
    const app: WSGIApplication = (environ, sr) => {
      const path = environ.PATH_INFO
      const status =
        path === '/204' ? '204 No Content' : path === '/304' ? '304 Not Modified' : '200 OK'
      sr(status, [['Content-Type', 'text/plain']])
      return (function* () {
        yield text('body bytes')
      })()
    }
    const { port } = await start(app)
    const client = await RawClient.open(port)
    onTestFinished(() => {
      client.destroy()
    })
    client.write('HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET /204 HTTP/1.1\r\nHost: h\r\n\r\n')
    const head = await client.response(true)
    const noContent = await client.response()
    client.write('GET /304 HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n')
    const notModified = await client.response()
    const full = await client.response()
    expect([head.status, noContent.status, notModified.status, full.status]).toEqual([
      200, 204, 304, 200,
    ])
    expect(noContent.headers.has('content-length')).toBe(false)
    expect(notModified.headers.has('transfer-encoding')).toBe(false)
    expect(full.body.toString()).toBe('body bytes')
  })

  it('delivers the first server-sent event before the app finishes', async () => {
    const gate = deferred()
    const app: WSGIApplication = (_e, sr) => {
      sr('200 OK', [
        ['Content-Type', 'text/event-stream'],
        ['Cache-Control', 'no-cache'],
      ])
      return (async function* () {
        yield new Uint8Array(0)
        yield text('data: first\n\n')
        await gate.promise
        yield text('data: last\n\n')
      })()
    }
    const { port } = await start(app)
    const res = await fetch(`http://127.0.0.1:${port}/`)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.getReader()
    const first = await reader.read()
    expect(Buffer.from(first.value ?? new Uint8Array()).toString()).toBe('data: first\n\n')
    gate.resolve()
    let rest = ''
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      rest += Buffer.from(r.value).toString()
    }
    expect(rest).toBe('data: last\n\n')
  })

  it('sends trailers added with wsgits.add_trailers', async () => {
    const app: WSGIApplication = (environ, sr) => {
      sr('200 OK', [
        ['Content-Type', 'text/plain'],
        ['Trailer', 'X-Checksum'],
      ])
      return (function* () {
        yield text('payload')
        const add = environ['wsgits.add_trailers'] as (t: [string, string][]) => void
        add([['X-Checksum', 'abc123']])
      })()
    }
    const { port } = await start(app)
    const client = await RawClient.open(port)
    client.write('GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n')
    const res = await client.response()
    expect(res.headers.get('transfer-encoding')).toEqual(['chunked'])
    expect(res.body.toString()).toBe('payload')
    expect(res.trailers.get('x-checksum')).toEqual(['abc123'])
  })

  describe('error after the response started', () => {
    const failing: WSGIApplication = (_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']])
      return (async function* () {
        yield text('first part, ')
        await new Promise((r) => setTimeout(r, 5))
        throw new Error('mid-stream failure')
      })()
    }

    it('makes the fetch body read reject', async () => {
      const { port, log } = await start(failing)
      const res = await fetch(`http://127.0.0.1:${port}/`)
      expect(res.status).toBe(200)
      await expect(res.text()).rejects.toThrow()
      expect(log.getValue()).toContain('mid-stream failure')
    })

    it('leaves a raw client without the chunked terminator', async () => {
      const { port } = await start(failing)
      const raw = await exchange(port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n')
      expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
      expect(raw).toContain('first part, ')
      expect(raw.endsWith('0\r\n\r\n')).toBe(false)
    })
  })

  describe('wsgits.signal', () => {
    it('fires when the client goes away mid-download', async () => {
      const aborted = deferred<boolean>()
      const app: WSGIApplication = (environ, sr) => {
        const signal = environ['wsgits.signal']!
        signal.addEventListener('abort', () => {
          aborted.resolve(true)
        })
        sr('200 OK', [['Content-Type', 'text/plain']])
        return (async function* () {
          yield text('x'.repeat(1000))
          await new Promise((resolve) => {
            signal.addEventListener('abort', resolve)
          })
        })()
      }
      const { port } = await start(app)
      const client = await RawClient.open(port)
      client.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n')
      await client.until((t) => t.includes('xxxx'))
      client.destroy()
      expect(await aborted.promise).toBe(true)
    })

    it('fires when the client goes away mid-upload, and the read fails', async () => {
      const outcome = deferred<[boolean, string]>()
      const app: WSGIApplication = async (environ, sr) => {
        const signal = environ['wsgits.signal']!
        try {
          await environ['wsgi.input'].read()
          outcome.resolve([signal.aborted, 'read completed'])
        } catch (error) {
          outcome.resolve([signal.aborted, (error as { code: string }).code])
        }
        sr('200 OK', [])
        return []
      }
      const { port, log } = await start(app)
      const client = await RawClient.open(port)
      client.write('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\npartial')
      await new Promise((r) => setTimeout(r, 20))
      client.destroy()
      expect(await outcome.promise).toEqual([true, 'ERR_WSGI_INPUT_ERROR'])
      expect(log.getValue()).not.toContain('Error')
    })

    it.each(['GET', 'POST'])('does not fire after a normal %s', async (method) => {
      const done = deferred<AbortSignal>()
      const app: WSGIApplication = async (environ, sr) => {
        const signal = environ['wsgits.signal']!
        await environ['wsgi.input'].read()
        void responseClosed(environ).then(() => {
          done.resolve(signal)
        })
        sr('200 OK', [])
        return [text('done')]
      }
      const { port } = await start(app)
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        method,
        ...(method === 'POST' ? { body: 'x'.repeat(100_000) } : {}),
      })
      expect(await res.text()).toBe('done')
      expect((await done.promise).aborted).toBe(false)
    })
  })

  describe('close() of the response body', () => {
    it.each([
      [
        'a normal response',
        () =>
          counted(
            (function* () {
              yield text('ok')
            })(),
          ),
      ],
      [
        'an iterator that throws before its first chunk',
        () =>
          counted(
            // eslint-disable-next-line require-yield -- it fails before yielding, on purpose
            (function* () {
              throw new Error('before')
            })(),
          ),
      ],
      [
        'an iterator that throws after its first chunk',
        () =>
          counted(
            (function* () {
              yield text('a')
              throw new Error('after')
            })(),
          ),
      ],
      ['a one-item array', () => counted([text('whole')])],
    ])('is called exactly once for %s', async (_name, makeBody) => {
      const bodies: (ResponseBody & { closes: number })[] = []
      const app: WSGIApplication = (_e, sr) => {
        sr('200 OK', [['Content-Type', 'text/plain']])
        const body = makeBody()
        bodies.push(body)
        return body
      }
      const { port, log } = await start(app)
      await exchange(port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n')
      await vi.waitFor(() => {
        expect(log.getValue()).toMatch(/" (200|500) \d+\n$|Error/)
      })
      expect(bodies.map((b) => b.closes)).toEqual([1])
    })

    it('is called exactly once when the client goes away mid-stream', async () => {
      const body = counted(
        (async function* () {
          for (;;) {
            yield text('y'.repeat(65536))
            await new Promise((r) => setTimeout(r, 1))
          }
        })(),
      )
      const app: WSGIApplication = (_e, sr) => {
        sr('200 OK', [])
        return body
      }
      const { port, log } = await start(app)
      const client = await RawClient.open(port)
      client.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n')
      await client.until((t) => t.length > 100_000)
      client.destroy()
      await vi.waitFor(() => {
        expect(body.closes).toBe(1)
      })
      await new Promise((r) => setTimeout(r, 20))
      expect(body.closes).toBe(1)
      // A client that left is not an application error: nothing is logged for it.
      expect(log.getValue()).toBe('')
    })

    it('is not needed when the app throws before returning, which gives a 500', async () => {
      const app: WSGIApplication = () => {
        throw new Error('app failed')
      }
      const { port, log } = await start(app)
      const res = await fetch(`http://127.0.0.1:${port}/`)
      expect(res.status).toBe(500)
      expect(await res.text()).not.toContain('app failed')
      expect(log.getValue()).toContain('Error: app failed')
    })
  })
})
