/**
 * Test helpers: real servers on 127.0.0.1, raw HTTP requests, both Koa majors, gateway apps.
 *
 * @module
 */
import { createServer } from 'node:http'
import type { RequestListener, Server } from 'node:http'

import Koa from 'koa'
import Koa2 from 'koa2'
import { onTestFinished } from 'vitest'

import { REQUEST_CGI_KEYS, pickKeys, rawBytes, startForTest } from '@wsgi/conformance'
import { toNodeListener } from '@wsgi/core/node'
import { WSGIRequestHandler, makeServer } from '@wsgi/core/simple-server'
import { InputReader } from '@wsgi/core/streams'
import type { HeaderList, Status, WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'
import { setupTestingDefaults } from '@wsgi/core/util'

/** `wsgi.errors` that keeps what was written. */
export { MemoryErrors } from '@wsgi/conformance'

/** Both Koa majors, for `describe.each`. */
export const KOAS: readonly (readonly [name: string, Koa: typeof Koa])[] = [
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
]

/** UTF-8 bytes of `s`. */
export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s)
}

/** Start `server` on a free port of 127.0.0.1 and close it when the test ends. */
export const start: (server: Server) => Promise<number> = startForTest

/** Serve `listener` on a free port; resolves to the base URL (`http://127.0.0.1:port`). */
export async function serve(listener: RequestListener): Promise<string> {
  const port = await start(createServer(listener))
  return `http://127.0.0.1:${port}`
}

/** Serve a Koa app over a real socket; resolves to the base URL. */
export function serveKoa<TState, TContext>(app: Koa<TState, TContext>): Promise<string> {
  const listener = app.callback()
  return serve((req, res) => {
    void listener(req, res)
  })
}

/**
 * Send `request` as raw bytes and collect everything until the server closes the connection
 * (send `Connection: close`). The client does not half-close: Node's server would abort a
 * response still in the making when the client ends its side.
 */
export const rawRequest: (base: string, request: string | Uint8Array) => Promise<Buffer> = rawBytes

/** A gateway app that answers `status`, `headers` and the given body chunks. */
export function fixedApp(
  status: Status,
  headers: HeaderList,
  chunks: string[] = [],
): WSGIApplication {
  return (_environ, startResponse) => {
    startResponse(status, headers)
    return chunks.map(bytes)
  }
}

/** The CGI keys of an environ a test looks at, as a plain object. */
export function cgiView(environ: WSGIEnvironment): Record<string, unknown> {
  return pickKeys(environ, [...REQUEST_CGI_KEYS, 'wsgi.url_scheme'])
}

/** A gateway app that answers with the JSON of `cgiView(environ)` plus what it read as body. */
export const echoApp: WSGIApplication = async (environ, startResponse) => {
  const body = await environ['wsgi.input'].read()
  const payload = bytes(
    JSON.stringify({ ...cgiView(environ), body: Buffer.from(body).toString('latin1') }),
  )
  startResponse('200 OK', [
    ['Content-Type', 'application/json'],
    ['Content-Length', String(payload.length)],
  ])
  return [payload]
}

/** Which gateway server runs a gateway app in a test. */
export type GatewayServer = 'simple-server' | 'toNodeListener'

/** Both gateway servers, for `describe.each`. */
export const GATEWAY_SERVERS: readonly GatewayServer[] = ['simple-server', 'toNodeListener']

/** The simple server's request handler without the access log (it would flood test output). */
class QuietRequestHandler extends WSGIRequestHandler {
  override logRequest(): void {
    // Not logged.
  }
}

/** Serve a gateway app with `makeServer` or `toNodeListener`; resolves to the base URL. */
export async function serveGateway(
  app: WSGIApplication,
  server: GatewayServer = 'simple-server',
): Promise<string> {
  if (server === 'toNodeListener') return serve(toNodeListener(app))
  const wsgi = await makeServer('127.0.0.1', 0, app, { handlerClass: QuietRequestHandler })
  onTestFinished(() => wsgi.shutdown())
  return `http://127.0.0.1:${wsgi.serverPort}`
}

/** What {@link callApp} collected. */
export interface CalledResponse {
  readonly status: string
  readonly headers: HeaderList
  readonly body: Buffer
}

/** Call a gateway app in memory with a testing environ (and `body` as `wsgi.input`). */
export async function callApp(
  app: WSGIApplication,
  overrides: Record<string, unknown> = {},
  body = '',
): Promise<CalledResponse> {
  const environ = setupTestingDefaults({
    'wsgi.input': InputReader.fromBytes(bytes(body)),
    ...(body === '' ? {} : { CONTENT_LENGTH: String(bytes(body).length) }),
    ...overrides,
  })
  let status = ''
  let headers: HeaderList = []
  const result = await app(environ, (s, h) => {
    status = s
    headers = h
    return () => undefined
  })
  const chunks: Uint8Array[] = []
  try {
    for await (const chunk of result) chunks.push(chunk)
  } finally {
    await result.close?.()
  }
  return { status, headers, body: Buffer.concat(chunks) }
}

/** Undo `Transfer-Encoding: chunked` on a raw response body. */
export function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const eol = body.indexOf('\r\n', at)
    const size = Number.parseInt(body.subarray(at, eol).toString('latin1'), 16)
    if (!(size > 0)) return Buffer.concat(parts)
    parts.push(body.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
}
