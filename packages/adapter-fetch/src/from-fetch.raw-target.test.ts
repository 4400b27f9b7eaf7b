/**
 * The request target as the client sent it, through a real socket: fromFetch on the simple
 * server builds `request.url` from the server's REQUEST_URI.
 */
import { describe, expect, it, onTestFinished } from 'vitest'

import { exchange } from '@wsgi/conformance'
import { dispatch } from '@wsgi/core/dispatch'
import { makeServer } from '@wsgi/core/simple-server'
import type { WSGIApplication } from '@wsgi/core/types'

import { fromFetch } from './from-fetch.ts'

async function serve(app: WSGIApplication): Promise<number> {
  const server = await makeServer('127.0.0.1', 0, app, { accessLog: false })
  onTestFinished(async () => {
    server.httpServer.closeAllConnections()
    await server.shutdown()
  })
  return server.serverPort
}

async function get(port: number, target: string): Promise<{ status: number; body: string }> {
  const text = await exchange(
    port,
    `GET ${target} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`,
  )
  return { status: Number(text.slice(9, 12)), body: text.slice(text.indexOf('\r\n\r\n') + 4) }
}

const echo = fromFetch((request) => new Response(request.url))

describe('fromFetch and the raw request target', () => {
  it('keeps %2F and malformed escapes in request.url', async () => {
    const port = await serve(echo)
    expect(await get(port, '/admin%2Fsecret?x=%2F')).toEqual({
      status: 200,
      body: 'http://h/admin%2Fsecret?x=%2F',
    })
    expect((await get(port, '/a%zz')).body).toBe('http://h/a%zz')
  })

  it('keeps the raw rest of the path below a dispatch mount', async () => {
    const strip = fromFetch((request) => new Response(request.url), { stripScriptName: true })
    const port = await serve(dispatch({ '/api': echo, '/v2': strip }))
    expect((await get(port, '/api/a%2Fb')).body).toBe('http://h/api/a%2Fb')
    expect((await get(port, '/v2/a%2Fb')).body).toBe('http://h/a%2Fb')
  })
})
