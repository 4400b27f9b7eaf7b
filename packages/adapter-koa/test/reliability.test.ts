/**
 * Reliability of the Koa bridge in both directions, over real sockets: the shared suite
 * (`reliability/lib/suite.mjs`: malformed and borderline requests, misbehaving apps, clients that
 * go away, fast-check round trips) through
 *
 * - `toKoa(app)` in a Koa 3 app, and in a Koa 2 app;
 * - `fromKoa(koaApp)` served by core's simple server;
 * - `toKoa(fromKoa(koaApp))` in a Koa 3 app (both directions at once).
 *
 * Koa's own error handling answers the app's errors before the head (`ctx.onerror`); what it
 * reports goes to the same log as `wsgi.errors`, with each error's code.
 *
 * @module
 */
import { createServer } from 'node:http'
import type { RequestListener } from 'node:http'

import Koa from 'koa'
import Koa2 from 'koa2'

import { toNodeListener } from '@wsgi/core/node'
import { StringErrorStream } from '@wsgi/core/streams'
import type { WSGIApplication } from '@wsgi/core/types'

import { errorChainLine, serveServer, serveSimple as serveSimpleOn } from '@wsgi/conformance'
import { describeReliability } from '../../../reliability/lib/suite.mjs'
import type { NodeListener, Running, Stack } from '../../../reliability/lib/suite.mjs'
import { fromKoa } from '../src/from-koa.ts'
import { toKoa } from '../src/to-koa.ts'

const log = new StringErrorStream()

// Koa reports a client that went away as an error of its own (on-finished sees the socket's
// error; its pipeline sees a premature close), for a native body as for a bridged one: that is
// Koa's behaviour, not an application error, and is left out of the log checked here.
const DISCONNECTS = new Set([
  'ECONNRESET',
  'EPIPE',
  'ERR_STREAM_PREMATURE_CLOSE',
  'HPE_INVALID_EOF_STATE',
])

/** What Koa's `'error'` event reports, with the codes of the error and of its causes. */
function logKoaError(error: unknown): void {
  if (DISCONNECTS.has(String((error as { code?: unknown } | null)?.code))) return
  log.write(errorChainLine('koa error:', error))
}

const serveSimple = (app: WSGIApplication): Promise<Running> => serveSimpleOn(app, log)

const serveNode = (listener: RequestListener): Promise<Running> =>
  serveServer(createServer(listener), log)

/** A Koa app (of either major) with its errors logged, built by `setup`. */
function koaApp(KoaClass: typeof Koa, setup: (koa: Koa) => void): Koa {
  const koa = new KoaClass()
  koa.silent = true
  koa.on('error', logKoaError)
  setup(koa)
  return koa
}

function serveKoa(koa: Koa): Promise<Running> {
  const callback = koa.callback()
  return serveNode((req, res) => {
    void callback(req, res)
  })
}

/** A Koa app that hands each request to a plain Node listener, as Koa documents it. */
const koaRunning = (listener: NodeListener): Koa =>
  koaApp(Koa, (koa) =>
    koa.use((ctx) => {
      ctx.respond = false
      return listener(ctx.req, ctx.res) as Promise<void> | undefined
    }),
  )

const STACKS: Stack[] = [
  {
    name: 'toKoa(app) in Koa 3',
    far: 'app',
    afterCodes: true,
    serve: (far) =>
      serveKoa(koaApp(Koa, (koa) => koa.use(toKoa(far.app as WSGIApplication, { errors: log })))),
  },
  {
    name: 'toKoa(app) in Koa 2',
    far: 'app',
    afterCodes: true,
    serve: (far) =>
      serveKoa(koaApp(Koa2, (koa) => koa.use(toKoa(far.app as WSGIApplication, { errors: log })))),
  },
  {
    name: 'fromKoa(koaApp) on makeServer',
    far: 'listener',
    afterCodes: true,
    serve: (far, wrap) => serveSimple(wrap(fromKoa(koaRunning(far.listener))) as WSGIApplication),
  },
  {
    name: 'toKoa(fromKoa(koaApp)) in Koa 3',
    far: 'listener',
    afterCodes: true,
    serve: (far, wrap) =>
      serveKoa(
        koaApp(Koa, (koa) =>
          koa.use(
            toKoa(wrap(fromKoa(koaRunning(far.listener))) as WSGIApplication, {
              errors: log,
            }),
          ),
        ),
      ),
  },
]

describeReliability(STACKS, {
  toListener: (app) => toNodeListener(app as WSGIApplication, { errors: log }),
})
