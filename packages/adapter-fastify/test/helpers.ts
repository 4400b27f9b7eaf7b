/**
 * Test helpers: real sockets on 127.0.0.1, closed when the test finishes.
 *
 * @module
 */
import { request as httpRequest } from 'node:http'
import type { IncomingHttpHeaders, OutgoingHttpHeaders, RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'

import type { FastifyInstance } from 'fastify'
import { onTestFinished } from 'vitest'

import { listenForTest, rawBytes } from '@wsgi/conformance'
import { toNodeListener } from '@wsgi/core/node'
import { makeServer } from '@wsgi/core/simple-server'
import type { ToNodeListenerOptions } from '@wsgi/core/node'
import type { ErrorStream, WSGIApplication } from '@wsgi/core/types'

function mute(): void {
  // Deliberately nothing: the output is not under test.
}

/** A `wsgi.errors` that drops everything. */
export const quietErrors: ErrorStream = { write: mute, writelines: mute, flush: mute }

/** A `wsgi.errors` that keeps what is written, in `lines`. */
export function recordErrors(): ErrorStream & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    write: (s: string) => {
      lines.push(s)
    },
    writelines: (seq: Iterable<string>) => {
      lines.push(...seq)
    },
    flush: mute,
  }
}

/** Listen with `fastify` on a fresh port; it closes when the test finishes. */
export async function listenFastify(fastify: FastifyInstance): Promise<string> {
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  onTestFinished(async () => {
    fastify.server.closeAllConnections()
    await fastify.close()
  })
  const { port } = fastify.server.address() as AddressInfo
  return `http://127.0.0.1:${port}`
}

/** Serve a Node `listener` on a fresh port; the server closes when the test finishes. */
export const listen: (listener: RequestListener) => Promise<string> = listenForTest

/** Serve a gateway app with core's Node bridge (`toNodeListener`) on a fresh port. */
export function serveGateway(
  app: WSGIApplication,
  options?: ToNodeListenerOptions,
): Promise<string> {
  return listen(toNodeListener(app, options))
}

/** Serve a gateway app with core's simple server (wsgiref's) on a fresh port, access log muted. */
export async function serveSimple(app: WSGIApplication): Promise<string> {
  const server = await makeServer('127.0.0.1', 0, app)
  server.stderr = quietErrors
  onTestFinished(async () => {
    server.httpServer.closeAllConnections()
    await server.shutdown()
  })
  return `http://127.0.0.1:${server.serverPort}`
}

/**
 * Send raw bytes, read until the server closes the connection, return everything as latin-1.
 * Send `Connection: close` to have the server end the exchange.
 */
export async function rawRequest(base: string, request: string | Uint8Array): Promise<string> {
  return (await rawBytes(base, request)).toString('latin1')
}

/** What {@link send} got back. */
export interface Sent {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/**
 * A request through `node:http`, for what fetch will not send as given: any method (TRACE,
 * PROPFIND), and conditional headers without the `Cache-Control: no-cache` fetch adds.
 */
export function send(
  url: string,
  options: { method?: string; headers?: OutgoingHttpHeaders; body?: string | Uint8Array } = {},
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          })
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** UTF-8 bytes of a string. */
export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s)
}

/** A gateway app answering `200` with `pick(environ)` as JSON (a one-chunk body). */
export function jsonApp(
  pick: (environ: Parameters<WSGIApplication>[0]) => unknown,
): WSGIApplication {
  return (environ, startResponse) => {
    startResponse('200 OK', [['Content-Type', 'application/json']])
    return [bytes(JSON.stringify(pick(environ)))]
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Resolves once `read()` returns the same value three times in a row, 30 ms apart. */
export async function settled(read: () => number): Promise<number> {
  let last = -1
  let same = 0
  for (;;) {
    await sleep(30)
    const now = read()
    same = now === last ? same + 1 : 0
    last = now
    if (same >= 3) return now
  }
}
