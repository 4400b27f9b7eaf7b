/**
 * The raw request target through real sockets: the simple server and `toNodeListener` keep it
 * in `REQUEST_URI`, and `fromNodeListener` hands the client's own spelling to the listener.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import { describe, expect, it } from 'vitest'

import { exchange } from '../../test/helpers/raw-http.ts'
import { nodeServer, simpleServer } from '../../test/helpers/servers.ts'
import { dispatch } from '../dispatch.ts'
import type { WSGIApplication } from '../types.ts'
import { shiftPathInfo } from '../util.ts'
import { fromNodeListener } from './from-node-listener.ts'

/** A listener answering with what it was given. */
function echo(req: IncomingMessage, res: ServerResponse): void {
  const original = (req as IncomingMessage & { originalUrl?: string }).originalUrl
  res.setHeader('Content-Type', 'application/json')
  res.end(JSON.stringify({ url: req.url, originalUrl: original }))
}

/** GET `target` with a raw client; the JSON body of the answer. */
async function get(port: number, target: string): Promise<unknown> {
  const text = await exchange(
    port,
    `GET ${target} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`,
  )
  expect(text).toMatch(/^HTTP\/1\.1 200 /)
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as unknown
}

describe.each([
  ['the simple server', simpleServer],
  ['toNodeListener', nodeServer],
])('the raw target through %s', (_name, serve) => {
  it('is kept in REQUEST_URI as the client sent it', async () => {
    const port = await serve((environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'application/json']])
      const { REQUEST_URI, PATH_INFO } = environ
      return [Buffer.from(JSON.stringify({ REQUEST_URI, PATH_INFO }))]
    })
    expect(await get(port, '/admin%2Fsecret?a=%41')).toEqual({
      REQUEST_URI: '/admin%2Fsecret?a=%41',
      PATH_INFO: '/admin/secret',
    })
  })

  it('reaches a listener as sent: %2F, %2e%2e and malformed escapes stay', async () => {
    const port = await serve(fromNodeListener(echo))
    for (const target of ['/admin%2Fsecret', '/a/%2e%2e/b?x=%2F', '/a%zz', '/p?']) {
      expect(await get(port, target)).toEqual({ url: target, originalUrl: target })
    }
  })

  it('keeps the raw rest below a mount, and rebuilds only what a dispatcher changed', async () => {
    const shifted: WSGIApplication = (environ, startResponse) => {
      shiftPathInfo(environ)
      return fromNodeListener(echo)(environ, startResponse)
    }
    const port = await serve(dispatch({ '/api': fromNodeListener(echo), '/v1': shifted }))
    expect(await get(port, '/api/x%2Fy?q')).toEqual({
      url: '/x%2Fy?q',
      originalUrl: '/api/x%2Fy?q',
    })
    // shiftPathInfo dropped the empty segment: SCRIPT_NAME is rebuilt, PATH_INFO stays raw.
    expect(await get(port, '/v1//a/x%2Fy')).toEqual({ url: '/x%2Fy', originalUrl: '/v1/a/x%2Fy' })
    // A mount the environ cut at a client's %2F: the client's spelling cannot say that cut, so
    // the environ's path is quoted again (as before the raw target was kept).
    expect(await get(port, '/api%2Fz')).toEqual({ url: '/z', originalUrl: '/api/z' })
  })
})
