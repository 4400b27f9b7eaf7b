/**
 * `REMOTE_ADDR` under `toFetch`/`toHono`: the default reads what the runtime took from the
 * connection (here `@hono/node-server`'s socket, over a real one), an option replaces it. The
 * Bun and Deno defaults are checked on the real runtimes by `pnpm test:runtimes`.
 */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'

import type { WSGIApplication } from '@wsgi/core/types'

import { runtimeRemoteAddress } from '../src/remote-address.ts'
import { toHono } from '../src/hono.ts'
import { toFetch } from '../src/to-fetch.ts'

import { serveOnNodeServer } from './helpers.ts'

const enc = new TextEncoder()

/** Answers with its REMOTE_ADDR, or `-` when the environ has none. */
const addressApp: WSGIApplication = (environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']])
  const address = environ.REMOTE_ADDR
  return [enc.encode(typeof address === 'string' ? address : '-')]
}

/** Serve a fetch handler on 127.0.0.1 at a free port; closed when the test ends. */
async function listen(
  fetch: (request: Request, env: unknown) => Response | Promise<Response>,
): Promise<string> {
  return `http://127.0.0.1:${await serveOnNodeServer(fetch)}`
}

describe('REMOTE_ADDR under toFetch and toHono', () => {
  it('is the socket address on @hono/node-server, with toFetch served directly', async () => {
    const base = await listen(toFetch(addressApp))
    const response = await fetch(`${base}/`)
    expect(await response.text()).toBe('127.0.0.1')
  })

  it('is the socket address on @hono/node-server, with toHono on a wildcard route', async () => {
    const app = new Hono()
    app.all('/legacy/*', toHono(addressApp))
    const base = await listen(app.fetch)
    const response = await fetch(`${base}/legacy/x`)
    expect(await response.text()).toBe('127.0.0.1')
  })

  it('comes from options.remoteAddress when given, which sees the request and env', async () => {
    const seen: unknown[] = []
    const handler = toFetch(addressApp, {
      remoteAddress: (request, env) => {
        seen.push(env)
        return request.headers.get('cf-connecting-ip') ?? undefined
      },
    })
    const env = { binding: 1 }
    const request = new Request('http://h/', { headers: { 'cf-connecting-ip': '203.0.113.7' } })
    expect(await (await handler(request, env)).text()).toBe('203.0.113.7')
    expect(seen).toEqual([env])
    // No header: the option gives undefined, and REMOTE_ADDR is left out.
    expect(await (await handler(new Request('http://h/'), env)).text()).toBe('-')
  })

  it('is left out where the runtime tells no address', async () => {
    expect(await (await toFetch(addressApp)(new Request('http://h/'))).text()).toBe('-')
    const app = new Hono()
    app.all('/*', toHono(addressApp))
    expect(await (await app.request('/x')).text()).toBe('-')
  })

  it('is found by the shape of env: Bun, Deno, Lambda and @hono/node-server', () => {
    const request = new Request('http://h/')
    const bun = {
      requestIP: (r: Request) =>
        r === request ? { address: '::1', family: 'IPv6', port: 1 } : null,
    }
    expect(runtimeRemoteAddress(request, bun)).toBe('::1')
    // Bun knows only the Request it made: a rebuilt one has no address.
    expect(runtimeRemoteAddress(new Request('http://h/'), bun)).toBeUndefined()
    const deno = { remoteAddr: { transport: 'tcp', hostname: '192.0.2.1', port: 1 } }
    expect(runtimeRemoteAddress(request, deno)).toBe('192.0.2.1')
    expect(runtimeRemoteAddress(request, { remoteAddr: { transport: 'unix', path: '/s' } })).toBe(
      undefined,
    )
    const lambdaV2 = { requestContext: { http: { sourceIp: '203.0.113.9' } } }
    expect(runtimeRemoteAddress(request, lambdaV2)).toBe('203.0.113.9')
    const lambdaV1 = { requestContext: { identity: { sourceIp: '198.51.100.4' } } }
    expect(runtimeRemoteAddress(request, lambdaV1)).toBe('198.51.100.4')
    const node = { incoming: { socket: { remoteAddress: '::ffff:127.0.0.1' } } }
    expect(runtimeRemoteAddress(request, node)).toBe('::ffff:127.0.0.1')
    expect(runtimeRemoteAddress(request, undefined)).toBeUndefined()
    expect(runtimeRemoteAddress(request, { KV: {} })).toBeUndefined()
  })

  it('refuses an option that is not a function', () => {
    expect(() => toFetch(addressApp, { remoteAddress: 'x' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
    expect(() => toHono(addressApp, { remoteAddress: 1 as never })).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })
})
