import { Buffer } from 'node:buffer'
import { createServer } from 'node:http'
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

import { describe, expect, it, onTestFinished, vi } from 'vitest'

import { RawClient, exchange } from '../../test/helpers/raw-http.ts'
import type { StartResponse, WSGIApplication, WSGIEnvironment } from '../types.ts'
import { StringErrorStream } from '../_internal/error-stream.ts'
import { NodeHandler, attachListener, toNodeListener } from './to-node-listener.ts'
import type { NextFunction, NodeHandlerOptions } from './to-node-listener.ts'

const text = (s: string): Uint8Array => Buffer.from(s, 'latin1')

async function listen(listener: RequestListener, continueToo = true): Promise<number> {
  const server = createServer()
  if (continueToo) attachListener(server, listener)
  else server.on('request', listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return (server.address() as AddressInfo).port
}

async function serveApp(app: WSGIApplication, options: NodeHandlerOptions = {}): Promise<number> {
  return listen(toNodeListener(app, { errors: new StringErrorStream(), ...options }))
}

const hello: WSGIApplication = (_environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']])
  return [text('Hello, world!')]
}

describe('toNodeListener(app, options?)', () => {
  it('answers with the status, headers and body of the app', async () => {
    const port = await serveApp(hello)
    const res = await fetch(`http://127.0.0.1:${port}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain')
    expect(res.headers.get('content-length')).toBe('13')
    expect(res.headers.get('date')).toMatch(/GMT$/)
    expect(res.headers.has('server')).toBe(false)
    expect(await res.text()).toBe('Hello, world!')
  })

  it('sends the Server header from serverSoftware unless the app set one', async () => {
    const port = await serveApp(hello, { serverSoftware: 'Test/1' })
    expect((await fetch(`http://127.0.0.1:${port}/`)).headers.get('server')).toBe('Test/1')
    const own: WSGIApplication = (_e, sr) => {
      sr('200 OK', [['server', 'Mine/2']])
      return []
    }
    const port2 = await serveApp(own, { serverSoftware: 'Test/1' })
    expect((await fetch(`http://127.0.0.1:${port2}/`)).headers.get('server')).toBe('Mine/2')
  })

  it('keeps the reason phrase and header order of the app', async () => {
    const app: WSGIApplication = (_e, sr) => {
      sr('299 Quite Fine', [
        ['X-B', '2'],
        ['X-A', '1'],
      ])
      return [text('x')]
    }
    const port = await serveApp(app)
    const raw = await exchange(port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n')
    expect(raw).toMatch(/^HTTP\/1\.1 299 Quite Fine\r\nX-B: 2\r\nX-A: 1\r\nContent-Length: 1\r\n/)
  })

  it('keeps three Set-Cookie headers, also after middleware used setHeader()', async () => {
    const app: WSGIApplication = (_e, sr) => {
      sr('200 OK', [
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
        ['X-Powered-By', 'gateway'],
        ['Set-Cookie', 'c=3'],
      ])
      return [text('ok')]
    }
    const gateway = toNodeListener(app)
    const port = await listen((req, res) => {
      res.setHeader('X-Powered-By', 'Express')
      res.setHeader('X-Frame-Options', 'DENY')
      gateway(req, res)
    })
    const res = await fetch(`http://127.0.0.1:${port}/`)
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2', 'c=3'])
    expect(res.headers.get('x-powered-by')).toBe('gateway')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
  })

  it('works as Connect/Express middleware and never calls next on success', async () => {
    const next = vi.fn<NextFunction>()
    // Its type takes `next`: no cast.
    const gateway = toNodeListener(hello)
    const port = await listen((req, res) => {
      gateway(req, res, next)
    })
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('Hello, world!')
    expect(next).not.toHaveBeenCalled()
  })

  it('answers 500 without details when the app fails before responding, and logs it', async () => {
    const errors = new StringErrorStream()
    const app: WSGIApplication = () => {
      throw new Error('secret detail')
    }
    const port = await serveApp(app, { errors })
    const res = await fetch(`http://127.0.0.1:${port}/`)
    expect(res.status).toBe(500)
    const body = await res.text()
    expect(body).toBe('A server error occurred.  Please contact the administrator.')
    expect(errors.getValue()).toContain('Error: secret detail')
  })

  it('answers 500 when Node rejects a header of the app (not a crash)', async () => {
    const app: WSGIApplication = (_e, sr) => {
      sr('200 OK', [['Bad Name', 'x']])
      return [text('never')]
    }
    const errors = new StringErrorStream()
    const port = await serveApp(app, { errors })
    const res = await fetch(`http://127.0.0.1:${port}/`)
    expect(res.status).toBe(500)
    expect(errors.getValue()).toMatch(/ERR_INVALID_HTTP_TOKEN|Header name/)
  })

  it('hands an early error to onError, which then owns the response', async () => {
    const onError = vi.fn(
      (error: unknown, _req: IncomingMessage, res: ServerResponse, next?: NextFunction) => {
        expect(next).toBeTypeOf('function')
        res.writeHead(502, { 'Content-Type': 'text/plain' })
        res.end(`handled: ${(error as Error).message}`)
      },
    )
    const app: WSGIApplication = () => {
      throw new Error('nope')
    }
    // Its type takes `next`: no cast.
    const gateway = toNodeListener(app, { onError })
    const port = await listen((req, res) => {
      gateway(req, res, () => undefined)
    })
    const res = await fetch(`http://127.0.0.1:${port}/`)
    expect([res.status, await res.text()]).toEqual([502, 'handled: nope'])
    expect(onError).toHaveBeenCalledOnce()
  })

  it('cuts the connection when the app fails after the response started', async () => {
    const close = vi.fn()
    const app: WSGIApplication = (_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']])
      const body = (function* () {
        yield text('partial')
        throw new Error('late')
      })()
      return Object.assign(body, { close })
    }
    const errors = new StringErrorStream()
    const port = await serveApp(app, { errors })
    const client = await RawClient.open(port)
    client.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n')
    const res = await client.response()
    expect(res.status).toBe(200)
    expect(res.complete).toBe(false)
    expect(res.body.toString()).toBe('partial')
    expect(close).toHaveBeenCalledOnce()
    expect(errors.getValue()).toContain('Error: late')
  })

  it('uses handlerClass, so adapters can override hooks', async () => {
    const seen: string[] = []
    class Custom extends NodeHandler {
      override addCgiVars(): void {
        super.addCgiVars()
        ;(this.environ as Record<string, unknown>)['custom.key'] = 'yes'
      }
    }
    const app: WSGIApplication = (environ, sr) => {
      seen.push(String(environ['custom.key']))
      return hello(environ, sr)
    }
    const port = await listen(toNodeListener(app, { handlerClass: Custom }))
    await (await fetch(`http://127.0.0.1:${port}/`)).text()
    expect(seen).toEqual(['yes'])
  })

  it('sets the wsgi flags: multithread/multiprocess false unless asked', async () => {
    const flags: unknown[] = []
    const app: WSGIApplication = (environ, sr) => {
      flags.push([
        environ['wsgi.multithread'],
        environ['wsgi.multiprocess'],
        environ['wsgi.run_once'],
        environ['wsgi.input_terminated'],
        environ['wsgi.version'],
      ])
      return hello(environ, sr)
    }
    const port = await serveApp(app)
    await (await fetch(`http://127.0.0.1:${port}/`)).text()
    const port2 = await serveApp(app, { multithread: true, multiprocess: true })
    await (await fetch(`http://127.0.0.1:${port2}/`)).text()
    expect(flags).toEqual([
      [false, false, false, true, [1, 0]],
      [true, true, false, true, [1, 0]],
    ])
  })

  it('maps the scriptName option onto SCRIPT_NAME/PATH_INFO', async () => {
    const seen: string[] = []
    const app: WSGIApplication = (environ, sr) => {
      seen.push(`${environ.SCRIPT_NAME ?? ''}|${environ.PATH_INFO ?? ''}`)
      return hello(environ, sr)
    }
    const port = await serveApp(app, { scriptName: '/app/' })
    await (await fetch(`http://127.0.0.1:${port}/app/x/y`)).text()
    expect(seen).toEqual(['/app|/x/y'])
  })

  it('lets the app refuse a body over inputLimit (ERR_WSGI_BODY_TOO_LARGE)', async () => {
    const app: WSGIApplication = async (environ, sr) => {
      try {
        await environ['wsgi.input'].read()
        sr('200 OK', [])
        return []
      } catch (error) {
        sr('413 Content Too Large', [['Content-Type', 'text/plain']])
        return [text((error as { code: string }).code)]
      }
    }
    const port = await serveApp(app, { inputLimit: 1000 })
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      body: Buffer.alloc(200_000, 1),
    })
    expect([res.status, await res.text()]).toEqual([413, 'ERR_WSGI_BODY_TOO_LARGE'])
  })

  it('drains a small unread body, so the connection serves the next request', async () => {
    const port = await serveApp(hello)
    const client = await RawClient.open(port)
    onTestFinished(() => {
      client.destroy()
    })
    client.write(`POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n${'x'.repeat(1000)}`)
    expect((await client.response()).status).toBe(200)
    client.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n')
    expect((await client.response()).body.toString()).toBe('Hello, world!')
    expect(client.ended).toBe(false)
  })

  it('closes the connection when the unread body is larger than drainLimit', async () => {
    const port = await serveApp(hello, { drainLimit: 1000 })
    const client = await RawClient.open(port)
    client.write(`POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n${'x'.repeat(5000)}`)
    expect((await client.response()).body.toString()).toBe('Hello, world!')
    await client.untilClosed()
    expect(client.ended).toBe(true)
  })

  it('answers an HTTP/1.0 client and closes the connection after the body', async () => {
    const stream: WSGIApplication = (_e, sr) => {
      sr('200 OK', [])
      return (function* () {
        yield text('a')
        yield text('b')
      })()
    }
    const port = await serveApp(stream)
    const raw = await exchange(port, 'GET / HTTP/1.0\r\n\r\n')
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(raw).toMatch(/Connection: close\r\n/)
    expect(raw).not.toMatch(/Transfer-Encoding/)
    expect(raw.endsWith('\r\n\r\nab')).toBe(true)
  })

  it('flushes the headers at once when the first chunk is empty', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const app: WSGIApplication = (_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/event-stream']])
      return (async function* () {
        yield new Uint8Array(0)
        await gate
        yield text('data: 1\n\n')
      })()
    }
    const port = await serveApp(app)
    const client = await RawClient.open(port)
    client.write('GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n')
    await client.until((t) => t.includes('\r\n\r\n'))
    expect(client.pending).not.toContain('data: 1')
    release()
    expect((await client.response()).body.toString()).toBe('data: 1\n\n')
  })

  it('gives the write() callable real backpressure (all bytes arrive, in order)', async () => {
    const chunk = Buffer.alloc(1 << 20, 7)
    const app: WSGIApplication = async (_e, sr: StartResponse) => {
      const write = sr('200 OK', [['Content-Length', String(chunk.length * 8)]])
      for (let i = 0; i < 8; i++) await write(chunk)
      return []
    }
    const port = await serveApp(app)
    const res = await fetch(`http://127.0.0.1:${port}/`)
    expect((await res.arrayBuffer()).byteLength).toBe(chunk.length * 8)
  })
})

describe('attachListener(server, listener)', () => {
  async function expectContinueExchange(continueToo: boolean): Promise<string> {
    const app: WSGIApplication = async (environ: WSGIEnvironment, sr) => {
      const body = await environ['wsgi.input'].read()
      sr('200 OK', [])
      return [body]
    }
    const port = await listen(toNodeListener(app), continueToo)
    const client = await RawClient.open(port)
    client.write(
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
    )
    await client.until((t) => t.startsWith('HTTP/1.1 100 Continue\r\n\r\n'))
    client.write('hello')
    return client.untilClosed()
  }

  it('lets the app send 100 Continue by reading wsgi.input', async () => {
    const raw = await expectContinueExchange(true)
    expect(raw.match(/100 Continue/g)).toHaveLength(1)
    expect(raw.endsWith('\r\n\r\nhello')).toBe(true)
  })

  it('sends no second 100 Continue when Node already sent one', async () => {
    const raw = await expectContinueExchange(false)
    expect(raw.match(/100 Continue/g)).toHaveLength(1)
    expect(raw.endsWith('\r\n\r\nhello')).toBe(true)
  })
})
