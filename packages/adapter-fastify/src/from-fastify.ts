/**
 * A Fastify application as a gateway application: `makeServer('', 8000, fromFastify(fastify))`.
 *
 * Built on core's `fromNodeListener`: each request reaches `fastify.routing(req, res)` (what
 * Fastify's own server and `fastify.inject()` call) with real `IncomingMessage`/`ServerResponse`
 * objects on a synthetic socket, so routes, hooks, decorators, schemas, serializers,
 * `reply.hijack()` and plugins behave as under Fastify's own server.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import { describe, invalidArgType } from '@wsgi/core/errors'
import { fromNodeListener } from '@wsgi/core/node'
import type { FromNodeListenerOptions, NodeListener } from '@wsgi/core/node'
import type { WSGIApplication } from '@wsgi/core/types'

import { ParentEnviron, setParentEnviron } from './_internal/environ.ts'

/**
 * What `fromFastify` needs of a Fastify instance: `ready()` and `routing()`. Any
 * `FastifyInstance` has them, whatever its type provider or logger.
 */
export interface FastifyApp {
  ready(): PromiseLike<unknown>
  routing(req: IncomingMessage, res: ServerResponse): void
}

/** Options of {@link fromFastify}. */
export interface FromFastifyOptions extends Omit<FromNodeListenerOptions, 'prepare'> {
  /**
   * Route on the full path, SCRIPT_NAME + PATH_INFO, instead of PATH_INFO alone. Default `false`:
   * mounted at `/api` by a dispatcher, the app's route `/users` answers `/api/users`, as an
   * Express sub-app would. Set it when the app's routes already carry the mount path
   * (`fastify.register(routes, { prefix: '/api' })`). `request.originalUrl` is the full path either
   * way.
   */
  readonly fullPath?: boolean
}

/**
 * Give every `res.destroy()` of the app an error of its own. Fastify cuts a response that way when
 * a body stream fails after the head; without an error the gateway side would read the cut as
 * `ECONNRESET`, a client that left, and a server that takes that as its own client leaving would
 * keep the connection open instead of cutting it too. The client leaving never goes through
 * `res.destroy()` here: core destroys the socket.
 */
function markCuts(res: ServerResponse): void {
  const destroy = res.destroy.bind(res)
  res.destroy = (error?: Error): ServerResponse => {
    return destroy(error ?? new Error('The Fastify app cut the response short'))
  }
}

/**
 * Turns a Fastify instance into a gateway application.
 *
 * The instance is booted (`fastify.ready()`) on the first request, not before: plugins may still
 * be registered until then. A boot failure answers every request with a 500. The instance never
 * listens; `fastify.close()` stays yours to call (after it, Fastify answers 503 when
 * `return503OnClosing` is on).
 *
 * A gateway app mounted inside the Fastify app with `toFastify` continues this request's environ:
 * its SCRIPT_NAME is this one's plus the Fastify prefix, and keys set by outer middleware carry
 * over.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { makeServer } from '@wsgi/core/simple-server'
 * import { fromFastify } from '@wsgi/adapter-fastify'
 *
 * const fastify = Fastify()
 * fastify.get('/hello', async () => ({ hello: 'world' }))
 * makeServer('', 8000, fromFastify(fastify)).serveForever()
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `fastify` is not a Fastify instance or an
 *   option has the wrong type.
 */
export function fromFastify(
  fastify: FastifyApp,
  options: FromFastifyOptions = {},
): WSGIApplication {
  const candidate = fastify as Partial<FastifyApp> | null
  if (typeof candidate?.routing !== 'function' || typeof candidate.ready !== 'function') {
    throw invalidArgType(`fastify must be a Fastify instance (got ${describe(fastify)})`)
  }
  const fullPath = options.fullPath === true
  let booted = false
  let booting: Promise<void> | undefined
  const listener: NodeListener = (req, res) => {
    if (booted) {
      fastify.routing(req, res)
      return undefined
    }
    booting ??= Promise.resolve(fastify.ready()).then(() => {
      booted = true
    })
    return booting.then(() => {
      fastify.routing(req, res)
    })
  }
  return fromNodeListener(listener, {
    ...options,
    prepare(req, res, environ) {
      const scriptName = environ.SCRIPT_NAME
      setParentEnviron(
        req,
        new ParentEnviron(environ, fullPath || typeof scriptName !== 'string' ? '' : scriptName),
      )
      markCuts(res)
    },
  })
}
