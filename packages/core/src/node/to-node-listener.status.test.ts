/**
 * Every status PEP 3333 allows (100 to 999) that Node can send goes out as the app set it,
 * through `toNodeListener` and the simple server, and through `fromNodeListener` back in.
 */
import { connect as connectH2, createServer as createH2Server } from 'node:http2'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import type { AddressInfo } from 'node:net'

import { describe, expect, it, onTestFinished } from 'vitest'

import { RawClient } from '../../test/helpers/raw-http.ts'
import { nodeServer, simpleServer } from '../../test/helpers/servers.ts'
import { StringErrorStream } from '../_internal/error-stream.ts'
import type { WSGIApplication } from '../types.ts'
import { fromNodeListener } from './from-node-listener.ts'
import { toNodeListener } from './to-node-listener.ts'

const statusApp: WSGIApplication = (environ, startResponse) => {
  const status = decodeURIComponent(String(environ.QUERY_STRING))
  startResponse(status as `${number} ${string}`, [['Content-Type', 'text/plain']])
  return [Buffer.from('body')]
}

/** A keep-alive GET of `/?status`: the bytes up to the end of the first response. */
async function statusOf(port: number, status: string): Promise<string> {
  const client = await RawClient.open(port)
  onTestFinished(() => {
    client.destroy()
  })
  client.write(`GET /?${encodeURIComponent(status)} HTTP/1.1\r\nHost: h\r\n\r\n`)
  const response = await client.response()
  const statusLine = response.head.slice(0, response.head.indexOf('\r\n'))
  return `${statusLine} ${response.body.toString('latin1')}`
}

describe.each([
  ['the simple server', simpleServer],
  ['toNodeListener', nodeServer],
  [
    'toNodeListener(fromNodeListener(toNodeListener(app)))',
    async (app: WSGIApplication) => nodeServer(fromNodeListener(toNodeListener(app))),
  ],
])('statuses through %s', (_name, serve) => {
  it('sends a code above 599 with its own reason phrase', async () => {
    const port = await serve(statusApp)
    expect(await statusOf(port, '700 Custom')).toBe('HTTP/1.1 700 Custom body')
    expect(await statusOf(port, '999 Last')).toBe('HTTP/1.1 999 Last body')
  })

  it('sends a final 1xx without a body, and closes the connection after it', async () => {
    const port = await serve(statusApp)
    for (const status of ['101 Switching Protocols', '103 Early Hints']) {
      const client = await RawClient.open(port)
      client.write(`GET /?${encodeURIComponent(status)} HTTP/1.1\r\nHost: h\r\n\r\n`)
      const text = await client.untilClosed()
      expect(text).toMatch(new RegExp(`^HTTP/1\\.1 ${status}\\r\\n`))
      expect(text).toMatch(/\r\nConnection: close\r\n/i)
      expect(text).not.toMatch(/content-length|transfer-encoding/i)
      expect(text.endsWith('\r\n\r\n')).toBe(true)
    }
  })
})

describe('statuses through toNodeListener over h2c', () => {
  it('answers a clean 500 for a status HTTP/2 cannot carry, logged with ERR_WSGI_INVALID_STATUS', async () => {
    const errors = new StringErrorStream()
    // The compat API's request and response stand in for node:http's (the listener's own types
    // name only those).
    const listener = toNodeListener(statusApp, { errors }) as unknown as (
      req: Http2ServerRequest,
      res: Http2ServerResponse,
    ) => void
    const server = createH2Server(listener)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const session = connectH2(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    onTestFinished(async () => {
      session.destroy()
      await new Promise((resolve) => server.close(resolve))
    })
    for (const status of ['700 Custom', '101 Switching Protocols', '201 Made']) {
      const answer = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ':path': `/?${encodeURIComponent(status)}` })
        let code = ''
        let body = ''
        stream.on('response', (headers) => {
          code = String(headers[':status'])
        })
        stream.setEncoding('utf8')
        stream.on('data', (chunk: string) => (body += chunk))
        stream.on('end', () => {
          resolve(`${code} ${body}`)
        })
        stream.on('error', reject)
      })
      if (status === '201 Made') expect(answer).toBe('201 body')
      else expect(answer).toMatch(/^500 A server error occurred/)
    }
    expect(errors.getValue()).toContain('ERR_WSGI_INVALID_STATUS')
    expect(errors.getValue()).not.toContain('ERR_HTTP2_STATUS_INVALID')
  })
})
