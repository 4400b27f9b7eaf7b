/**
 * Reliability of the Fastify bridge in both directions, over real sockets: the shared suite
 * (`reliability/lib/suite.mjs`: malformed and borderline requests, misbehaving apps, clients that
 * go away, fast-check round trips) through
 *
 * - `toFastify(app)` registered in a Fastify app;
 * - `fromFastify(fastifyApp)` served by core's simple server;
 * - `toFastify(fromFastify(fastifyApp))` in a Fastify app (both directions at once).
 *
 * Fastify answers the app's errors before the head itself; its `onError` hook and its logger (at
 * warn level: cut responses) write to the same log as `wsgi.errors`, so the codes can be checked.
 *
 * @module
 */
import type { AddressInfo } from 'node:net'

import Fastify from 'fastify'
import type { FastifyInstance, RouteHandlerMethod } from 'fastify'

import { toNodeListener } from '@wsgi/core/node'
import { StringErrorStream } from '@wsgi/core/streams'
import type { WSGIApplication } from '@wsgi/core/types'

import { errorChainLine, serveSimple as serveSimpleOn } from '@wsgi/conformance'
import { describeReliability } from '../../../reliability/lib/suite.mjs'
import type { NodeListener, Running, Stack } from '../../../reliability/lib/suite.mjs'
import { fromFastify } from '../src/from-fastify.ts'
import { toFastify } from '../src/to-fastify.ts'

const log = new StringErrorStream()

/** The error and the codes of its causes, one line. */
function logError(error: unknown): void {
  log.write(errorChainLine('fastify error:', error))
}

/** A Fastify app whose errors and error-level logs go to {@link log}. */
function fastifyApp(): FastifyInstance {
  const fastify = Fastify({
    logger: {
      level: 'warn',
      stream: {
        write: (line: string) => {
          log.write(line)
        },
      },
    },
  })
  fastify.addHook('onError', async (_request, _reply, error) => {
    logError(error)
  })
  return fastify
}

const serveSimple = (app: WSGIApplication): Promise<Running> => serveSimpleOn(app, log)

async function serveFastify(fastify: FastifyInstance): Promise<Running> {
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  return {
    port: (fastify.server.address() as AddressInfo).port,
    server: fastify.server,
    errors: () => log.getValue(),
    close: async () => {
      fastify.server.closeAllConnections()
      await fastify.close()
    },
  }
}

/**
 * A Fastify app whose every route hands the raw request to `listener` (no body parsing, the
 * reply hijacked), as an app that mounts a plain Node handler does.
 */
function fastifyAround(listener: NodeListener): FastifyInstance {
  const fastify = fastifyApp()
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', (_request, _payload, done) => {
    done(null)
  })
  const handler: RouteHandlerMethod = (request, reply) => {
    reply.hijack()
    const returned = listener(request.raw, reply.raw)
    if (returned instanceof Promise) {
      returned.catch((error: unknown) => {
        logError(error)
        if (reply.raw.headersSent) reply.raw.destroy(error as Error)
        else reply.raw.writeHead(500).end()
      })
    }
  }
  fastify.route({ method: fastify.supportedMethods, url: '/', handler })
  fastify.route({ method: fastify.supportedMethods, url: '/*', handler })
  return fastify
}

function serving(app: WSGIApplication): FastifyInstance {
  const fastify = fastifyApp()
  void fastify.register(toFastify(app, { errors: log }))
  return fastify
}

// Fastify's router answers 400 (FST_ERR_BAD_URL) to a path whose %XX bytes are not UTF-8,
// before any route runs: the round trips draw UTF-8 paths for every stack that ends in Fastify.
const ROUTER = 'Fastify refuses paths whose percent-encoded bytes are not UTF-8 (FST_ERR_BAD_URL)'

const STACKS: Stack[] = [
  {
    name: 'toFastify(app) in Fastify',
    far: 'app',
    afterCodes: true,
    utf8PathsBecause: ROUTER,
    serve: (far) => serveFastify(serving(far.app as WSGIApplication)),
  },
  {
    name: 'fromFastify(fastifyApp) on makeServer',
    far: 'listener',
    afterCodes: true,
    utf8PathsBecause: ROUTER,
    serve: (far, wrap) =>
      serveSimple(wrap(fromFastify(fastifyAround(far.listener))) as WSGIApplication),
  },
  {
    name: 'toFastify(fromFastify(fastifyApp)) in Fastify',
    far: 'listener',
    afterCodes: true,
    utf8PathsBecause: ROUTER,
    serve: (far, wrap) =>
      serveFastify(serving(wrap(fromFastify(fastifyAround(far.listener))) as WSGIApplication)),
  },
]

describeReliability(STACKS, {
  toListener: (app) => toNodeListener(app as WSGIApplication, { errors: log }),
})
