import { IncomingMessage, ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Socket, connect } from 'node:net'

import { describe, expect, it, onTestFinished, vi } from 'vitest'

import type { WSGIApplication, WSGIEnvironment } from '../types.ts'
import { StringErrorStream } from '../_internal/error-stream.ts'
import { addExtensionEnviron, clientLeft, unreadSignalResponse } from './environ.ts'
import { fromNodeListener } from './from-node-listener.ts'
import type { NodeListener } from './from-node-listener.ts'
import { toNodeListener } from './to-node-listener.ts'

/** `fromNodeListener(listener)` under `toNodeListener` on a real server; the environ it got. */
async function serveBridged(
  listener: NodeListener,
): Promise<{ port: number; environs: WSGIEnvironment[] }> {
  const environs: WSGIEnvironment[] = []
  const inner = fromNodeListener(listener)
  const app: WSGIApplication = (environ, startResponse) => {
    environs.push(environ)
    return inner(environ, startResponse)
  }
  const server = createServer(toNodeListener(app, { errors: new StringErrorStream() }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return { port: (server.address() as AddressInfo).port, environs }
}

/** True once a client-abort signal was made for `res` (clientAbortSignal keeps it there). */
function signalWasMade(res: unknown): boolean {
  return Object.getOwnPropertySymbols(res).some((s) => s.description === 'wsgits.signal')
}

describe('fromNodeListener(listener) under core’s Node bridge', () => {
  it("aborts the listener's exchange when the client disconnects, without making wsgits.signal", async () => {
    const log: string[] = []
    const { port, environs } = await serveBridged((req, res) => {
      req.on('aborted', () => log.push('req:aborted'))
      req.on('error', () => log.push('req:error'))
      res.on('finish', () => log.push('res:finish'))
      res.on('close', () => log.push('res:close'))
      res.writeHead(200, { 'Content-Type': 'text/plain' })
      res.write('first')
    })
    const client = connect(port, '127.0.0.1')
    const received = new Promise<string>((resolve) => {
      client.once('data', (data: Buffer) => {
        resolve(data.toString('latin1'))
      })
    })
    client.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n')
    expect(await received).toContain('first')
    const nativeResponse = environs[0]?.['wsgits.node_response']
    expect(signalWasMade(nativeResponse)).toBe(false)
    client.destroy()
    await vi.waitFor(() => {
      expect(log).toContain('res:close')
    })
    expect(log).toContain('req:aborted')
    expect(log).not.toContain('res:finish')
  })

  it('answers as before and makes no signal when the client stays', async () => {
    const { port, environs } = await serveBridged((_req, res) => {
      res.end('done')
    })
    const res = await fetch(`http://127.0.0.1:${port}/`)
    expect(await res.text()).toBe('done')
    expect(signalWasMade(environs[0]?.['wsgits.node_response'])).toBe(false)
  })

  it('still uses the signal once middleware read it, and aborts on it', async () => {
    const log: string[] = []
    const inner = fromNodeListener((req, res) => {
      req.on('aborted', () => log.push('req:aborted'))
      res.writeHead(200)
      res.write('x')
    })
    const app: WSGIApplication = (environ, startResponse) => {
      const signal = environ['wsgits.signal']
      signal?.addEventListener('abort', () => log.push('signal:abort'))
      return inner(environ, startResponse)
    }
    const server = createServer(toNodeListener(app, { errors: new StringErrorStream() }))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    onTestFinished(async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    })
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1')
    await new Promise<void>((resolve) => {
      client.once('data', () => {
        resolve()
      })
      client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    })
    client.destroy()
    await vi.waitFor(() => {
      expect(log).toEqual(expect.arrayContaining(['signal:abort', 'req:aborted']))
    })
  })
})

describe('unreadSignalResponse(environ) and clientLeft(res)', () => {
  function nativePair(): { req: IncomingMessage; res: ServerResponse } {
    const req = new IncomingMessage(new Socket())
    return { req, res: new ServerResponse(req) }
  }

  it('returns the native response while the lazy signal is unread, and undefined after', () => {
    const { req, res } = nativePair()
    const env: Record<string, unknown> = {}
    addExtensionEnviron(env, req, res)
    expect(unreadSignalResponse(env)).toBe(res)
    expect(env['wsgits.signal']).toBeInstanceOf(AbortSignal)
    expect(unreadSignalResponse(env)).toBeUndefined()
  })

  it('returns undefined for a replaced signal, a copy, or another server’s environ', () => {
    const { req, res } = nativePair()
    const env: Record<string, unknown> = {}
    addExtensionEnviron(env, req, res)
    env['wsgits.signal'] = new AbortController().signal
    expect(unreadSignalResponse(env)).toBeUndefined()
    const other = nativePair()
    const source: Record<string, unknown> = {}
    addExtensionEnviron(source, other.req, other.res)
    expect(unreadSignalResponse({ ...source })).toBeUndefined()
    expect(unreadSignalResponse({ 'wsgits.signal': AbortSignal.abort() })).toBeUndefined()
  })

  it('tells a client that left (destroyed response, failed request) from one that did not', () => {
    const fresh = nativePair()
    expect(clientLeft(fresh.res)).toBe(false)
    const destroyed = nativePair()
    destroyed.res.destroy()
    expect(clientLeft(destroyed.res)).toBe(true)
    const failed = nativePair()
    failed.req.on('error', () => undefined)
    failed.req.destroy(new Error('reset'))
    expect(clientLeft(failed.res)).toBe(true)
  })

  it('does not call the listener when the client already left', async () => {
    const { req, res } = nativePair()
    const env: Record<string, unknown> = {
      REQUEST_METHOD: 'GET',
      PATH_INFO: '/',
      SERVER_NAME: 'x',
      SERVER_PORT: '80',
      SERVER_PROTOCOL: 'HTTP/1.1',
      'wsgi.url_scheme': 'http',
    }
    addExtensionEnviron(env, req, res)
    res.destroy()
    const listener = vi.fn()
    await expect(
      fromNodeListener(listener)(env as WSGIEnvironment, () => () => undefined),
    ).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect(listener).not.toHaveBeenCalled()
  })
})
