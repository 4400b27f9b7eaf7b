/**
 * The shared conformance suite, over real sockets, in every direction this adapter bridges:
 *
 * - toExpress: `express().use(toExpress(app))` on node:http;
 * - fromExpress: listener -> Express app -> `fromExpress` -> `toNodeListener` on node:http;
 * - round trips: `express().use(toExpress(fromExpress(expressApp)))`, and
 *   `toNodeListener(fromExpress(express().use(toExpress(app))))`;
 * - the middleware bridges with a pass-through middleware: `toExpressMiddleware` in front of the
 *   listener, `fromExpressMiddleware` around the gateway app;
 * - Express 4 for toExpress and fromExpress (smaller large bodies: the code path is the same).
 *
 * The Express apps run with `env` 'production', so Express's final handler answers an error with
 * a bare 500 (in development it shows the stack, which the suite rightly refuses).
 */
import { createServer } from 'node:http'
import type { RequestListener } from 'node:http'

import express from 'express'
import type { RequestHandler } from 'express'
import express4 from 'express4'

import { describeBridge, serveHttp } from '@wsgi/conformance'
import type { ReferenceListener, Served } from '@wsgi/conformance'
import { toNodeListener } from '@wsgi/core/node'
import type { WSGIApplication } from '@wsgi/core/types'

import { fromExpress, fromExpressMiddleware, toExpress, toExpressMiddleware } from '../src/index.ts'

type Factory = typeof express

/** Serve `listener` on node:http at 127.0.0.1. */
function serve(listener: RequestListener): Promise<Served> {
  return serveHttp(createServer(listener))
}

/** An Express app in production mode (no stack traces in error pages). */
function expressApp(factory: Factory): express.Express {
  const app = factory()
  app.set('env', 'production')
  return app
}

/** The reference listener as the only handler of an Express app. */
function listenerApp(factory: Factory, listener: ReferenceListener): express.Express {
  const app = expressApp(factory)
  // Express 5 turns a rejected promise into next(err); Express 4 does not, so do it here.
  const handler: RequestHandler = (req, res, next) => {
    Promise.resolve(listener(req, res)).catch(next)
  }
  app.use(handler)
  return app
}

/** toExpress: a gateway app as the only handler of an Express app. */
function gatewayApp(factory: Factory, app: WSGIApplication): express.Express {
  const host = expressApp(factory)
  host.use(toExpress(app))
  return host
}

describeBridge('toExpress / fromExpress (Express 5)', {
  serveGateway: (app) => serve(gatewayApp(express, app)),
  serveListener: (listener) => serve(toNodeListener(fromExpress(listenerApp(express, listener)))),
})

describeBridge('round trips through Express (Express 5)', {
  serveGateway: (app) => serve(toNodeListener(fromExpress(gatewayApp(express, app)))),
  serveListener: (listener) =>
    serve(gatewayApp(express, fromExpress(listenerApp(express, listener)))),
})

describeBridge('toExpressMiddleware / fromExpressMiddleware (pass-through middleware)', {
  serveGateway: (app) => {
    const passThrough: RequestHandler = (_req, _res, next) => {
      next()
    }
    return serve(toNodeListener(fromExpressMiddleware(passThrough)(app)))
  },
  serveListener: (listener) => {
    const app = expressApp(express)
    app.use(toExpressMiddleware((inner) => inner))
    app.use((req, res, next) => {
      Promise.resolve(listener(req, res)).catch(next)
    })
    return serve(app)
  },
})

describeBridge('toExpress / fromExpress (Express 4)', {
  serveGateway: (app) => serve(gatewayApp(express4, app)),
  serveListener: (listener) => serve(toNodeListener(fromExpress(listenerApp(express4, listener)))),
  largeBodySize: 8 * 1024 * 1024,
})
