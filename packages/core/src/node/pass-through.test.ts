/**
 * When `fromNodeListener`'s pass-through applies on `makeServer` (the listener gets the
 * server's own `req`/`res`) and each case where it must not (the synthetic path runs).
 */
import { ServerResponse, createServer } from 'node:http'
import type { IncomingMessage } from 'node:http'
import { Socket, connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { PassThrough } from 'node:stream'

import { describe, expect, it } from 'vitest'

import { dispatch } from '../dispatch.ts'
import { SimpleHandler } from '../handlers/simple-handler.ts'
import { makeServer } from '../simple-server/index.ts'
import type { WSGIServer } from '../simple-server/index.ts'
import { WSGIRequestHandler } from '../simple-server/request-handler.ts'
import type { WSGIApplication } from '../types.ts'
import { validator } from '../validate.ts'
import { fromNodeListener } from './from-node-listener.ts'
import { toNodeListener } from './to-node-listener.ts'

/** Answers which objects it got: `native` (the server's socket) or `synthetic`, and its url. */
function reporter(req: IncomingMessage, res: ServerResponse): void {
  const kind = req.socket instanceof Socket ? 'native' : 'synthetic'
  res.setHeader('Content-Type', 'text/plain')
  res.end(`${kind} ${req.url ?? ''}`)
}

/** An error stream that keeps what it is given. */
class Lines {
  readonly lines: string[] = []
  write(s: string): void {
    this.lines.push(s)
  }
  writelines(lines: Iterable<string>): void {
    for (const line of lines) this.write(line)
  }
  flush(): void {
    // Nothing is held back.
  }
}

const quiet = new Lines()

async function serve(app: WSGIApplication, handlerClass?: typeof WSGIRequestHandler) {
  const server = await makeServer('127.0.0.1', 0, app, { handlerClass })
  server.stderr = quiet
  return server
}

/** Send raw bytes, read until the server closes. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      resolve(Buffer.concat(chunks).toString('latin1'))
    })
    socket.write(request)
  })
}

async function bodyOf(server: WSGIServer, request: string): Promise<string> {
  try {
    const text = await raw(server.serverPort, request)
    return text.slice(text.indexOf('\r\n\r\n') + 4)
  } finally {
    await server.shutdown()
  }
}

const GET = 'GET /x?q=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'

describe('fromNodeListener pass-through on makeServer', () => {
  it('gives the listener the native objects when the server runs the app directly', async () => {
    const server = await serve(fromNodeListener(reporter))
    expect(await bodyOf(server, GET)).toBe('native /x?q=1')
  })

  it.each([
    [
      'a body',
      'POST /x?q=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi',
    ],
    [
      'a chunked body',
      'POST /x?q=1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n',
    ],
    [
      'Expect: 100-continue',
      'POST /x?q=1 HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi',
    ],
  ])('gives the listener the native objects for a request with %s', async (_name, request) => {
    const server = await serve(fromNodeListener(reporter))
    expect(await bodyOf(server, request)).toBe('native /x?q=1')
  })

  it('puts the same shared members on every response (no closure per request)', async () => {
    const seen: unknown[][] = []
    const server = await serve(
      fromNodeListener((req, res) => {
        const members = res as unknown as Record<string, unknown>
        seen.push([members['_storeHeader'], members['write'], members['end']])
        reporter(req, res)
      }),
    )
    try {
      for (let i = 0; i < 2; i++) {
        const text = await raw(server.serverPort, GET)
        expect(text.endsWith('native /x?q=1')).toBe(true)
      }
    } finally {
      await server.shutdown()
    }
    expect(seen).toHaveLength(2)
    // Watched (not Node's own members), by the very same functions on both responses.
    const proto = ServerResponse.prototype as unknown as Record<string, unknown>
    expect(seen[0]).not.toContain(proto['_storeHeader'])
    expect(seen[0]).not.toContain(proto['write'])
    expect(seen[0]).not.toContain(proto['end'])
    for (let i = 0; i < 3; i++) expect(seen[1]?.[i]).toBe(seen[0]?.[i])
  })

  it('says Connection: close on a pass-through response during a shutdown', async () => {
    let release: (() => void) | undefined
    const started = new Promise<void>((resolve) => {
      release = resolve
    })
    let respond: (() => void) | undefined
    const server = await serve(
      fromNodeListener((req, res) => {
        respond = () => {
          reporter(req, res)
        }
        release?.()
      }),
    )
    const answer = raw(server.serverPort, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')
    await started
    const stopped = server.shutdown()
    respond?.()
    const text = await answer
    await stopped
    expect(text).toMatch(/\r\nConnection: close\r\n/)
    expect(text.endsWith('native /')).toBe(true)
  })

  it('answers 500 with the server error page when the listener throws before the head', async () => {
    const server = await serve(
      fromNodeListener((_req, res) => {
        res.setHeader('X-Before-Failure', 'dropped')
        res.statusCode = 404
        throw new Error('listener failure')
      }),
    )
    const log = new Lines()
    server.stderr = log
    const errors = log.lines
    const text = await raw(server.serverPort, GET)
    await server.shutdown()
    expect(text.startsWith('HTTP/1.1 500 ')).toBe(true)
    // As on the synthetic path: nothing the listener set on its response before it failed.
    expect(text).not.toContain('X-Before-Failure')
    expect(text.match(/\r\nServer: /g)).toHaveLength(1)
    expect(errors.join('')).toContain('listener failure')
    expect(errors.join('')).toMatch(/"GET \/x\?q=1 HTTP\/1.1" 500 \d+/)
  })
})

describe('fromNodeListener falls back to the synthetic path', () => {
  const app = fromNodeListener(reporter)

  it('under a middleware that wraps startResponse', async () => {
    const server = await serve((environ, startResponse) =>
      app(environ, (status, headers, excInfo) => startResponse(status, headers, excInfo)),
    )
    expect(await bodyOf(server, GET)).toBe('synthetic /x?q=1')
  })

  it('under the validator', async () => {
    const server = await serve(validator(app))
    expect(await bodyOf(server, GET)).toBe('synthetic /x?q=1')
  })

  it('mounted by a dispatcher under a SCRIPT_NAME', async () => {
    const server = await serve(dispatch({ '/api': app }))
    const request = 'GET /api/x?q=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
    expect(await bodyOf(server, request)).toBe('synthetic /x?q=1')
  })

  it('when the server has a SCRIPT_NAME of its own', async () => {
    const server = await serve(app)
    server.baseEnviron = { ...server.baseEnviron, SCRIPT_NAME: '/app' }
    const request = 'GET /app/x?q=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
    expect(await bodyOf(server, request)).toBe('synthetic /x?q=1')
  })

  it('with a request handler that builds its own environ', async () => {
    class Custom extends WSGIRequestHandler {
      override getEnviron(): Record<string, unknown> {
        return { ...super.getEnviron(), REMOTE_USER: 'someone' }
      }
    }
    const server = await serve(app, Custom)
    expect(await bodyOf(server, GET)).toBe('synthetic /x?q=1')
  })

  it.each([
    ['HTTP/1.0', 'GET /x?q=1 HTTP/1.0\r\nHost: h\r\n\r\n'],
    ['HTTP/1.0 with a body', 'POST /x?q=1 HTTP/1.0\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi'],
    [
      'a header name with _ (dropped by the environ)',
      'GET /x?q=1 HTTP/1.1\r\nHost: h\r\nX_Forged: 1\r\nConnection: close\r\n\r\n',
    ],
    [
      'a repeated header (joined by the environ)',
      'GET /x?q=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-A: 2\r\nConnection: close\r\n\r\n',
    ],
    [
      'an absolute-form target',
      'GET http://h/x?q=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n',
    ],
  ])('for %s', async (_name, request) => {
    const server = await serve(app)
    expect(await bodyOf(server, request)).toBe('synthetic /x?q=1')
  })

  it('for a request with a body on a server with an input limit (the listener reads past it)', async () => {
    const server = await makeServer('127.0.0.1', 0, app, { inputLimit: 1 })
    server.stderr = quiet
    const request =
      'POST /x?q=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi'
    expect(await bodyOf(server, request)).toBe('synthetic /x?q=1')
  })

  it('not for a bodiless request on a server with an input limit', async () => {
    const server = await makeServer('127.0.0.1', 0, app, { inputLimit: 1 })
    server.stderr = quiet
    expect(await bodyOf(server, GET)).toBe('native /x?q=1')
  })

  it('under toNodeListener on a plain node:http server', async () => {
    const server = createServer(toNodeListener(app))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const text = await raw(port, GET)
    await new Promise((resolve) => server.close(resolve))
    expect(text.endsWith('synthetic /x?q=1')).toBe(true)
  })

  it('under a handler with no Node request (CGI-style SimpleHandler)', async () => {
    const stdout = new PassThrough()
    const chunks: Buffer[] = []
    stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
    const environ = {
      REQUEST_METHOD: 'GET',
      SCRIPT_NAME: '',
      PATH_INFO: '/x',
      QUERY_STRING: 'q=1',
      SERVER_NAME: 'h',
      SERVER_PORT: '80',
      SERVER_PROTOCOL: 'HTTP/1.1',
    }
    await new SimpleHandler(new PassThrough().end(), stdout, quiet, environ).run(app)
    expect(Buffer.concat(chunks).toString('latin1')).toMatch(/synthetic \/x\?q=1$/)
  })
})
