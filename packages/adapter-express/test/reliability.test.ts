/**
 * Reliability of the Express bridge in both directions, over real sockets: the shared suite
 * (`reliability/lib/suite.mjs`: malformed and borderline requests, misbehaving apps, clients that
 * go away, fast-check round trips) through
 *
 * - `toExpress(app)` in an Express 5 app, and in an Express 4 app;
 * - `fromExpress(expressApp)` served by core's simple server;
 * - `toExpress(fromExpress(expressApp))` in an Express 5 app (both directions at once).
 *
 * Express apps run in production mode (no stack in error pages); an error middleware writes each
 * error Express is handed, with its code, to the same log as `wsgi.errors`.
 *
 * @module
 */
import { createServer } from 'node:http'
import type { RequestListener } from 'node:http'

import express from 'express'
import type { ErrorRequestHandler, RequestHandler } from 'express'
import express4 from 'express4'

import { toNodeListener } from '@wsgi/core/node'
import { StringErrorStream } from '@wsgi/core/streams'
import type { WSGIApplication } from '@wsgi/core/types'

import { errorChainLine, serveServer, serveSimple as serveSimpleOn } from '@wsgi/conformance'
import { describeReliability } from '../../../reliability/lib/suite.mjs'
import type { NodeListener, Running, Stack } from '../../../reliability/lib/suite.mjs'
import { fromExpress, toExpress } from '../src/index.ts'

const log = new StringErrorStream()

/** Express's error middleware: log the error and the codes of its causes, then pass it on. */
const logErrors: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
  log.write(errorChainLine('express error:', error))
  next(error)
}

const serveSimple = (app: WSGIApplication): Promise<Running> => serveSimpleOn(app, log)

const serveNode = (listener: RequestListener): Promise<Running> =>
  serveServer(createServer(listener), log)

/** An Express app (5, or 4) in production mode, `handler` its only route, errors logged. */
function expressApp(handler: RequestHandler, factory: typeof express = express): express.Express {
  const app = factory()
  app.set('env', 'production')
  app.use(handler)
  app.use(logErrors)
  return app
}

/** A plain Node listener as an Express handler (a rejection goes to `next`, as in Express 5). */
const around =
  (listener: NodeListener): RequestHandler =>
  (req, res, next) => {
    const returned = listener(req, res)
    if (returned instanceof Promise) returned.catch(next)
  }

const STACKS: Stack[] = [
  {
    name: 'toExpress(app) in Express 5',
    far: 'app',
    afterCodes: true,
    serve: (far) =>
      serveNode(
        expressApp(toExpress(far.app as WSGIApplication, { errors: log })) as RequestListener,
      ),
  },
  {
    name: 'toExpress(app) in Express 4',
    far: 'app',
    afterCodes: true,
    serve: (far) =>
      serveNode(
        expressApp(
          toExpress(far.app as WSGIApplication, { errors: log }),
          express4,
        ) as RequestListener,
      ),
  },
  {
    name: 'fromExpress(expressApp) on makeServer',
    far: 'listener',
    afterCodes: true,
    serve: (far, wrap) =>
      serveSimple(wrap(fromExpress(expressApp(around(far.listener)))) as WSGIApplication),
  },
  {
    name: 'toExpress(fromExpress(expressApp)) in Express 5',
    far: 'listener',
    afterCodes: true,
    serve: (far, wrap) =>
      serveNode(
        expressApp(
          toExpress(wrap(fromExpress(expressApp(around(far.listener)))) as WSGIApplication, {
            errors: log,
          }),
        ) as RequestListener,
      ),
  },
]

describeReliability(STACKS, {
  toListener: (app) => toNodeListener(app as WSGIApplication, { errors: log }),
})
