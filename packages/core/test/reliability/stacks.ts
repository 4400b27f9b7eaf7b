/**
 * The servers and bridges of `@wsgi/core` as stacks of the shared reliability suite
 * (`reliability/lib/suite.mjs`), each on a real socket on 127.0.0.1, logging to one in-memory
 * stream:
 *
 * - `makeServer`: the simple server;
 * - `toNodeListener`: the bridge on a plain `node:http` server;
 * - `fromNodeListener`: a Node listener run as a gateway app by the simple server;
 * - `round trip`: `toNodeListener(fromNodeListener(toNodeListener(app)))`, both directions.
 *
 * @module
 */
import { createServer } from 'node:http'
import type { RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'

import { simpleListening } from '../../../conformance/src/listening.ts'
import { attachListener, fromNodeListener, toNodeListener } from '../../src/node/index.ts'
import type { NodeListener } from '../../src/node/index.ts'
import { WSGIRequestHandler, makeServer } from '../../src/simple-server/index.ts'
import { StringErrorStream } from '../../src/streams.ts'
import type { WSGIApplication } from '../../src/types.ts'
import type { Running, Stack } from '../../../../reliability/lib/suite.mjs'

/** Where every stack of this file logs (the suite reads slices of it). */
export const log: StringErrorStream = new StringErrorStream()

class QuietRequestHandler extends WSGIRequestHandler {
  override logRequest(): void {
    // The access log of thousands of requests is noise here; errors still go to the log.
  }
}

/** The gateway app `app` on the simple server. */
export async function serveSimple(app: WSGIApplication): Promise<Running> {
  const server = await makeServer('127.0.0.1', 0, app, { handlerClass: QuietRequestHandler })
  server.stderr = log
  return simpleListening(server, log)
}

/** A Node listener on a plain `node:http` server (`checkContinue` routed to it too). */
export async function serveListener(listener: RequestListener): Promise<Running> {
  const server = createServer()
  attachListener(server, listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    server,
    errors: () => log.getValue(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}

/** A gateway app as a Node listener, logging to {@link log}. */
export function gatewayListener(app: WSGIApplication): RequestListener {
  return toNodeListener(app, { errors: log })
}

/** Every stack of core. */
export const STACKS: readonly Stack[] = [
  {
    name: 'makeServer',
    far: 'app',
    afterCodes: true,
    serve: (far) => serveSimple(far.app as WSGIApplication),
  },
  {
    name: 'toNodeListener',
    far: 'app',
    afterCodes: true,
    serve: (far) => serveListener(gatewayListener(far.app as WSGIApplication)),
  },
  {
    name: 'fromNodeListener under makeServer',
    far: 'listener',
    afterCodes: true,
    serve: (far, wrap) =>
      serveSimple(wrap(fromNodeListener(far.listener as NodeListener)) as WSGIApplication),
  },
  {
    name: 'toNodeListener(fromNodeListener(toNodeListener(app)))',
    far: 'app',
    afterCodes: true,
    serve: (far) =>
      serveListener(gatewayListener(fromNodeListener(gatewayListener(far.app as WSGIApplication)))),
  },
]
