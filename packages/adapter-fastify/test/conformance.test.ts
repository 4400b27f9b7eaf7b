/**
 * The conformance suite for the Fastify adapter, over real sockets:
 *
 * - to: the reference gateway app as `fastify().register(toFastify(app))`, Fastify listening;
 * - from: the reference Node listener behind a Fastify catch-all route (the reply hijacked, the
 *   listener called on `request.raw`/`reply.raw`), that Fastify app through `fromFastify`,
 *   served by core's `toNodeListener`;
 * - round trips: `fastify().register(toFastify(fromFastify(fastifyApp)))` with the app above, and
 *   the gateway app through `toFastify` → `fromFastify` → `toFastify`;
 * - middleware: the reference app wrapped in Fastify plugins (`fromFastifyMiddleware`), and the
 *   reference listener's route wrapped in gateway middleware (`toFastifyMiddleware`).
 *
 * @module
 */
import type { RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'

import helmet from '@fastify/helmet'
import Fastify from 'fastify'
import type { FastifyInstance, FastifyPluginCallback, RouteHandlerMethod } from 'fastify'

import { describeBridge, serveNode } from '@wsgi/conformance'
import type { ReferenceListener, Served } from '@wsgi/conformance'
import { toNodeListener } from '@wsgi/core/node'
import type { Middleware, WSGIApplication } from '@wsgi/core/types'

import { fromFastify, fromFastifyMiddleware, toFastify, toFastifyMiddleware } from '../src/index.ts'
import { quietErrors } from './helpers.ts'

/** Fastify listening on a fresh port, with `plugin` registered. */
async function serveFastify(plugin: FastifyPluginCallback): Promise<Served> {
  const fastify = Fastify()
  await fastify.register(plugin)
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  const { port } = fastify.server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      fastify.server.closeAllConnections()
      await fastify.close()
    },
  }
}

// The suite provokes application errors on purpose; keep them off the test output.
const gateway = (app: WSGIApplication): RequestListener =>
  toNodeListener(app, { errors: quietErrors })

/**
 * A Fastify app whose every route hands the raw request to `listener`, as an app that mounts a
 * plain Node handler does: no body parsing, the reply hijacked once the listener has it. A
 * listener that throws goes to the app's error handler, which answers a bare 500; one that fails
 * later has its connection cut, as a Node server would.
 */
function fastifyAround(listener: ReferenceListener): FastifyInstance {
  const fastify = Fastify()
  fastify.setErrorHandler(async (_error, _request, reply) =>
    reply.code(500).type('text/plain').send('Internal Server Error'),
  )
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', (_request, _payload, done) => {
    done(null)
  })
  const handler: RouteHandlerMethod = (request, reply) => {
    const returned = listener(request.raw, reply.raw)
    reply.hijack()
    if (returned instanceof Promise) {
      returned.catch((error: unknown) => {
        if (reply.raw.headersSent) reply.raw.destroy(error as Error)
        else reply.raw.writeHead(500).end()
      })
    }
  }
  fastify.route({ method: fastify.supportedMethods, url: '/', handler })
  fastify.route({ method: fastify.supportedMethods, url: '/*', handler })
  return fastify
}

/** A Fastify app serving a gateway app at its root. */
function fastifyServing(app: WSGIApplication): FastifyInstance {
  const fastify = Fastify()
  void fastify.register(toFastify(app))
  return fastify
}

// Gateway middleware that changes nothing but runs the whole request and response through itself.
const passThrough: Middleware = (app) => (environ, startResponse) => app(environ, startResponse)

describeBridge('fastify: toFastify', {
  serveGateway: (app) => serveFastify(toFastify(app)),
})

describeBridge('fastify: fromFastify', {
  serveListener: (listener) => serveNode(gateway(fromFastify(fastifyAround(listener)))),
})

describeBridge('fastify: round trip', {
  serveGateway: (app) => serveFastify(toFastify(fromFastify(fastifyServing(app)))),
  serveListener: (listener) => serveFastify(toFastify(fromFastify(fastifyAround(listener)))),
})

describeBridge('fastify: fromFastifyMiddleware', {
  serveGateway: (app) => serveNode(gateway(fromFastifyMiddleware(helmet)(app))),
})

describeBridge('fastify: toFastifyMiddleware', {
  serveListener: (listener) =>
    serveFastify((instance, _opts, done) => {
      void instance.register(toFastifyMiddleware(passThrough))
      const inner = fastifyAround(listener)
      void instance.register(toFastify(fromFastify(inner)))
      done()
    }),
})
