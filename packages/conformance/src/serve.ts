/**
 * Servers for the reliability suites of every package: a gateway app on core's simple server,
 * or any `node:http` server, on 127.0.0.1 with a port the system picks, every error written to
 * one log the suite reads, and a `close()` that cuts the connections a fault left open.
 *
 * @module
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

import { makeServer } from '@wsgi/core/simple-server'
import type { StringErrorStream } from '@wsgi/core/streams'
import type { WSGIApplication } from '@wsgi/core/types'

import { simpleListening } from './listening.ts'
import type { Listening } from './listening.ts'

export type { Listening } from './listening.ts'

/** Start `server` on 127.0.0.1 at a port the system picks; resolves to the port. */
export async function listenLocal(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** A port on 127.0.0.1 free right now (for a child process that must be told its port). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => {
        resolve(port)
      })
    })
  })
}

/** Close `server`, cutting the connections still open (keep-alive ones, ones a fault left). */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => {
      resolve()
    })
  })
}

/** The gateway app `app` on the simple server, without the access log, errors to `log`. */
export async function serveSimple(
  app: WSGIApplication,
  log: StringErrorStream,
): Promise<Listening> {
  const server = await makeServer('127.0.0.1', 0, app, { accessLog: false })
  server.stderr = log
  return simpleListening(server, log)
}

/** `server` (a `node:http` server holding the stack under test) listening; its errors go to `log`. */
export async function serveServer(server: Server, log: StringErrorStream): Promise<Listening> {
  const port = await listenLocal(server)
  return { port, server, errors: () => log.getValue(), close: () => closeServer(server) }
}

/**
 * One log line for an error a framework reports: `label`, then the name, code and message of the
 * error and of up to three causes, so a suite's log check sees every `ERR_WSGI_*` code in the
 * chain.
 */
export function errorChainLine(label: string, error: unknown): string {
  let line = label
  let current: unknown = error
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const err = current as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown }
    line += ` ${String(err.name)} [${String(err.code)}] ${String(err.message)};`
    current = err.cause
  }
  return `${line}\n`
}
