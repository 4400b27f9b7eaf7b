/**
 * The conformance suite, on Koa 3 and Koa 2, in every direction:
 *
 * - `toKoa`: a gateway app mounted in Koa (`new Koa().use(toKoa(app))`) on a real socket;
 * - `fromKoa`: a Node listener run by a Koa app (`ctx.respond = false`), served as a gateway app
 *   by the simple server and by `toNodeListener`; and a gateway app inside Koa inside a gateway
 *   server (`fromKoa(new Koa().use(toKoa(app)))`);
 * - round trip: `new Koa().use(toKoa(fromKoa(koaApp)))` on a real socket.
 *
 * Koa 3 runs the suite's 64 MiB large bodies on the main paths; the other runs use 16 MiB (the
 * code paths are the same, and the whole file must stay well inside the test timeout).
 *
 * @module
 */
import { createServer } from 'node:http'
import type { RequestListener } from 'node:http'

import type KoaApp from 'koa'

import { describeBridge, serveHttp } from '@wsgi/conformance'
import type { ReferenceListener, Served } from '@wsgi/conformance'
import { toNodeListener } from '@wsgi/core/node'
import { WSGIRequestHandler, makeServer } from '@wsgi/core/simple-server'
import type { WSGIApplication } from '@wsgi/core/types'

import { fromKoa } from '../src/from-koa.ts'
import { toKoa } from '../src/to-koa.ts'
import { KOAS } from './helpers.ts'

class QuietRequestHandler extends WSGIRequestHandler {
  override logRequest(): void {
    // The suite makes many requests; the access log would flood the output.
  }
}

function serveNode(listener: RequestListener): Promise<Served> {
  return serveHttp(createServer(listener))
}

function serveKoa(app: KoaApp): Promise<Served> {
  const listener = app.callback()
  return serveNode((req, res) => {
    void listener(req, res)
  })
}

async function serveSimple(app: WSGIApplication): Promise<Served> {
  const server = await makeServer('127.0.0.1', 0, app, { handlerClass: QuietRequestHandler })
  return { url: `http://127.0.0.1:${server.serverPort}`, close: () => server.shutdown() }
}

const MiB = 1024 * 1024

for (const [name, Koa] of KOAS) {
  const largeBodySize = name === 'Koa 3' ? 64 * MiB : 16 * MiB
  /** A Koa app that hands the request to a plain Node listener, as Koa documents it. */
  // The reference listeners may be async; Koa hands the response over with respond = false.
  const koaRunning = (listener: ReferenceListener): KoaApp =>
    new Koa().use(async (ctx) => {
      ctx.respond = false
      await listener(ctx.req, ctx.res)
    })

  describeBridge(`toKoa on ${name}`, {
    serveGateway: (app) => serveKoa(new Koa().use(toKoa(app))),
    largeBodySize,
  })

  describeBridge(`fromKoa on ${name}, under the simple server`, {
    serveListener: (listener) => serveSimple(fromKoa(koaRunning(listener))),
    serveGateway: (app) => serveSimple(fromKoa(new Koa().use(toKoa(app)))),
    largeBodySize,
  })

  describeBridge(`fromKoa on ${name}, under toNodeListener`, {
    serveListener: (listener) => serveNode(toNodeListener(fromKoa(koaRunning(listener)))),
    largeBodySize: 16 * MiB,
  })

  describeBridge(`toKoa(fromKoa(koaApp)) round trip on ${name}`, {
    serveListener: (listener) => serveKoa(new Koa().use(toKoa(fromKoa(koaRunning(listener))))),
    largeBodySize: 16 * MiB,
  })
}
