/**
 * Every server and bridge of the project, built from the packages' BUILT `dist` (what a user
 * installs; run `pnpm exec tsc -b` first), for the full reliability runs. The packages and the
 * frameworks are resolved through `bench/`, whose private workspace package depends on all of
 * them.
 *
 * A stack serves a "far side" (see `lib/suite.mjs`): a gateway app, a Node listener or a fetch
 * handler, all with the same behaviour; `wrap` is applied to the outermost gateway app the
 * stack's server runs (the fault runs count what the server does with it).
 *
 * @module
 */
import { createServer } from 'node:http'
import { createRequire } from 'node:module'

const require = createRequire(new URL('../bench/package.json', import.meta.url))
/** @param {string} name */
const load = (name) => import(require.resolve(name))

const core = {
  node: await load('@wsgi/core/node'),
  simple: await load('@wsgi/core/simple-server'),
  streams: await load('@wsgi/core/streams'),
}
const fetchAdapter = await load('@wsgi/adapter-fetch')
const koaAdapter = await load('@wsgi/adapter-koa')
const fastifyAdapter = await load('@wsgi/adapter-fastify')
const expressAdapter = await load('@wsgi/adapter-express')
const Koa = (await load('koa')).default
const Fastify = (await load('fastify')).default
const express = (await load('express')).default
const { createAdaptorServer } = await load('@hono/node-server')

// The runtime's `Response`, before `@hono/node-server` (the `fetch-*` stacks' host) puts its
// own in its place for the rest of the process.
const runtimeResponse = globalThis.Response

/** Make `value` the global `Response` (a property as the runtime defines it). */
function setGlobalResponse(value) {
  Object.defineProperty(globalThis, 'Response', {
    value,
    writable: true,
    configurable: true,
    enumerable: false,
  })
}

/**
 * @typedef {import('./lib/suite.mjs').FarSide} FarSide
 * @typedef {import('./lib/suite.mjs').Running} Running
 * @typedef {import('./lib/bad-apps.mjs').GatewayApp} GatewayApp
 * @typedef {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => unknown} NodeListener
 */

/**
 * @typedef {object} FullStack
 * @property {string} id
 * @property {string} label
 * @property {'app' | 'listener' | 'fetch'} far
 * @property {string} [asciiHeadersBecause]
 * @property {string} [utf8PathsBecause]
 * @property {import('./lib/malformed.mjs').HostTraits} [host]
 * @property {(far: FarSide, wrap: (outer: GatewayApp) => GatewayApp) => Promise<Running>} serve
 */

/**
 * Where every stack logs: `wsgi.errors`, the servers' own logs, the frameworks' error hooks.
 * It keeps the lines that report an error (up to 4 MiB of them) and counts the rest, so that a
 * run of 10,000 faults does not measure its own log (the simple server logs every client that
 * leaves mid-request as a 400).
 */
class RunLog {
  /** @type {string[]} */
  #kept = []
  #size = 0
  /** Lines written in all. */
  lines = 0

  /** @param {string} text */
  write(text) {
    this.lines++
    if (!/Error\b|unhandled/.test(text) || this.#size > 4 * 1024 * 1024) return
    this.#kept.push(text)
    this.#size += text.length
  }

  /** @param {Iterable<string>} seq */
  writelines(seq) {
    for (const s of seq) this.write(s)
  }

  flush() {
    // Nothing is buffered.
  }

  /** The lines kept. */
  getValue() {
    return this.#kept.join('')
  }
}

export const log = new RunLog()

// Koa and Express report a client that went away through their error hooks, as they do for a
// native app; that is not an application error.
const DISCONNECTS = new Set([
  'ECONNRESET',
  'EPIPE',
  'ERR_STREAM_PREMATURE_CLOSE',
  'HPE_INVALID_EOF_STATE',
])

/** @param {string} where @param {unknown} error */
function logError(where, error) {
  if (DISCONNECTS.has(String(/** @type {{ code?: unknown }} */ (error)?.code))) return
  let line = `${where}:`
  let current = error
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const err =
      /** @type {{ name?: unknown, code?: unknown, message?: unknown, cause?: unknown }} */ (
        current
      )
    line += ` ${String(err.name)} [${String(err.code)}] ${String(err.message)};`
    current = err.cause
  }
  log.write(`${line}\n`)
}

class QuietRequestHandler extends core.simple.WSGIRequestHandler {
  logRequest() {
    // Hundreds of thousands of requests: the access log is noise here.
  }
}

/**
 * @param {GatewayApp} app
 * @returns {Promise<Running>}
 */
async function serveSimple(app) {
  const server = await core.simple.makeServer('127.0.0.1', 0, app, {
    handlerClass: QuietRequestHandler,
  })
  server.stderr = log
  return {
    port: server.serverPort,
    server: server.httpServer,
    errors: () => log.getValue(),
    close: async () => {
      server.httpServer.closeAllConnections()
      await server.shutdown()
    },
  }
}

/**
 * @param {import('node:http').Server} server
 * @returns {Promise<Running>}
 */
async function listening(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const address = /** @type {import('node:net').AddressInfo} */ (server.address())
  return {
    port: address.port,
    server,
    errors: () => log.getValue(),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** @param {NodeListener} listener */
const serveNode = (listener) => {
  const server = createServer()
  core.node.attachListener(server, listener)
  return listening(server)
}

/** @param {GatewayApp} app */
export const gatewayListener = (app) => core.node.toNodeListener(app, { errors: log })

// --- Koa ---------------------------------------------------------------------------------

/** @param {(koa: any) => void} setup */
function koaApp(setup) {
  const koa = new Koa()
  koa.silent = true
  koa.on('error', (/** @type {unknown} */ error) => logError('koa', error))
  setup(koa)
  return koa
}

/** @param {any} koa */
const serveKoa = (koa) => {
  const callback = koa.callback()
  return serveNode((req, res) => void callback(req, res))
}

/** @param {NodeListener} listener */
const koaRunning = (listener) =>
  koaApp((koa) =>
    koa.use((/** @type {any} */ ctx) => {
      ctx.respond = false
      return listener(ctx.req, ctx.res)
    }),
  )

// --- Fastify -----------------------------------------------------------------------------

function fastifyApp() {
  const fastify = Fastify({
    logger: { level: 'warn', stream: { write: (/** @type {string} */ line) => log.write(line) } },
  })
  fastify.addHook(
    'onError',
    async (
      /** @type {unknown} */ _req,
      /** @type {unknown} */ _reply,
      /** @type {unknown} */ error,
    ) => logError('fastify', error),
  )
  return fastify
}

/** @param {any} fastify */
async function serveFastify(fastify) {
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  return {
    port: fastify.server.address().port,
    server: fastify.server,
    errors: () => log.getValue(),
    close: async () => {
      fastify.server.closeAllConnections()
      await fastify.close()
    },
  }
}

/** @param {NodeListener} listener */
function fastifyAround(listener) {
  const fastify = fastifyApp()
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser(
    '*',
    (/** @type {unknown} */ _r, /** @type {unknown} */ _p, /** @type {(e: null) => void} */ done) =>
      done(null),
  )
  /** @param {any} request @param {any} reply */
  const handler = (request, reply) => {
    reply.hijack()
    const returned = listener(request.raw, reply.raw)
    if (returned instanceof Promise) {
      returned.catch((error) => {
        logError('listener', error)
        if (reply.raw.headersSent) reply.raw.destroy(error)
        else reply.raw.writeHead(500).end()
      })
    }
  }
  fastify.route({ method: fastify.supportedMethods, url: '/', handler })
  fastify.route({ method: fastify.supportedMethods, url: '/*', handler })
  return fastify
}

/** @param {GatewayApp} app */
function fastifyServing(app) {
  const fastify = fastifyApp()
  void fastify.register(fastifyAdapter.toFastify(app, { errors: log }))
  return fastify
}

// --- Express -----------------------------------------------------------------------------

/** @param {any} handler */
function expressApp(handler) {
  const app = express()
  app.set('env', 'production')
  app.use(handler)
  app.use(
    (
      /** @type {unknown} */ error,
      /** @type {unknown} */ _req,
      /** @type {unknown} */ _res,
      /** @type {(e: unknown) => void} */ next,
    ) => {
      logError('express', error)
      next(error)
    },
  )
  return app
}

/** @param {NodeListener} listener */
const expressAround = (listener) =>
  expressApp(
    (/** @type {any} */ req, /** @type {any} */ res, /** @type {(e: unknown) => void} */ next) => {
      const returned = listener(req, res)
      if (returned instanceof Promise) returned.catch(next)
    },
  )

// --- fetch -------------------------------------------------------------------------------

/** @param {(request: Request) => Promise<Response>} handler */
const serveFetch = (handler) => listening(createAdaptorServer({ fetch: handler }))

/** @param {GatewayApp} app */
export const gatewayFetch = (app) => fetchAdapter.toFetch(app, { errors: log })

const HONO_FLUSH = 'upstream: @hono/node-server flushes heads with flushHeaders(), UTF-8 in Node'
const FASTIFY_ROUTER = 'Fastify refuses paths whose %XX bytes are not UTF-8 (FST_ERR_BAD_URL)'

/** @type {FullStack[]} */
export const STACKS = [
  {
    id: 'simple',
    label: 'gateway app on makeServer',
    far: 'app',
    serve: (far) => serveSimple(far.app),
  },
  {
    id: 'listener',
    label: 'toNodeListener(app) on node:http',
    far: 'app',
    serve: (far) => serveNode(gatewayListener(far.app)),
  },
  {
    id: 'node-from',
    label: 'fromNodeListener(listener) on makeServer',
    far: 'listener',
    serve: (far, wrap) => serveSimple(wrap(core.node.fromNodeListener(far.listener))),
  },
  {
    id: 'node-rt',
    label: 'toNodeListener(fromNodeListener(toNodeListener(app)))',
    far: 'app',
    serve: (far) =>
      serveNode(gatewayListener(core.node.fromNodeListener(gatewayListener(far.app)))),
  },
  {
    id: 'koa-to',
    label: 'toKoa(app) in Koa',
    far: 'app',
    serve: (far) => serveKoa(koaApp((koa) => koa.use(koaAdapter.toKoa(far.app, { errors: log })))),
  },
  {
    id: 'koa-from',
    label: 'fromKoa(koaApp) on makeServer',
    far: 'listener',
    serve: (far, wrap) => serveSimple(wrap(koaAdapter.fromKoa(koaRunning(far.listener)))),
  },
  {
    id: 'koa-rt',
    label: 'toKoa(fromKoa(koaApp)) in Koa',
    far: 'listener',
    serve: (far, wrap) =>
      serveKoa(
        koaApp((koa) =>
          koa.use(
            koaAdapter.toKoa(wrap(koaAdapter.fromKoa(koaRunning(far.listener))), { errors: log }),
          ),
        ),
      ),
  },
  {
    id: 'fastify-to',
    label: 'toFastify(app) in Fastify',
    far: 'app',
    utf8PathsBecause: FASTIFY_ROUTER,
    serve: (far) => serveFastify(fastifyServing(far.app)),
  },
  {
    id: 'fastify-from',
    label: 'fromFastify(fastifyApp) on makeServer',
    far: 'listener',
    utf8PathsBecause: FASTIFY_ROUTER,
    serve: (far, wrap) =>
      serveSimple(wrap(fastifyAdapter.fromFastify(fastifyAround(far.listener)))),
  },
  {
    id: 'fastify-rt',
    label: 'toFastify(fromFastify(fastifyApp)) in Fastify',
    far: 'listener',
    utf8PathsBecause: FASTIFY_ROUTER,
    serve: (far, wrap) =>
      serveFastify(fastifyServing(wrap(fastifyAdapter.fromFastify(fastifyAround(far.listener))))),
  },
  {
    id: 'express-to',
    label: 'toExpress(app) in Express',
    far: 'app',
    serve: (far) => serveNode(expressApp(expressAdapter.toExpress(far.app, { errors: log }))),
  },
  {
    id: 'express-from',
    label: 'fromExpress(expressApp) on makeServer',
    far: 'listener',
    serve: (far, wrap) =>
      serveSimple(wrap(expressAdapter.fromExpress(expressAround(far.listener)))),
  },
  {
    id: 'express-rt',
    label: 'toExpress(fromExpress(expressApp)) in Express',
    far: 'listener',
    serve: (far, wrap) =>
      serveNode(
        expressApp(
          expressAdapter.toExpress(wrap(expressAdapter.fromExpress(expressAround(far.listener))), {
            errors: log,
          }),
        ),
      ),
  },
  {
    id: 'fetch-to',
    label: 'toFetch(app) on @hono/node-server',
    far: 'app',
    host: { resolvesDotSegments: true },
    asciiHeadersBecause: HONO_FLUSH,
    serve: (far) => serveFetch(gatewayFetch(far.app)),
  },
  {
    id: 'fetch-from',
    label: 'fromFetch(handler) on makeServer',
    far: 'fetch',
    serve: (far, wrap) => serveSimple(wrap(fetchAdapter.fromFetch(far.fetch))),
  },
  {
    // What `wsgi serve` gives a fetch app: the light global `Response` in the runtime's place
    // (not over `@hono/node-server`'s, which an earlier stack in this process may have left),
    // and whatever was global before once the server closed, so the next stacks keep theirs.
    id: 'fetch-from-light',
    label: 'fromFetch(handler, { overrideGlobalResponse }) on makeServer',
    far: 'fetch',
    serve: async (far, wrap) => {
      const before = globalThis.Response
      setGlobalResponse(runtimeResponse)
      const app = fetchAdapter.fromFetch(far.fetch, { overrideGlobalResponse: true })
      if (globalThis.Response === runtimeResponse) throw new Error('no light Response here')
      const running = await serveSimple(wrap(app))
      return {
        ...running,
        close: async () => {
          await running.close()
          setGlobalResponse(before)
        },
      }
    },
  },
  {
    id: 'fetch-rt',
    label: 'toFetch(fromFetch(handler)) on @hono/node-server',
    far: 'fetch',
    host: { resolvesDotSegments: true },
    asciiHeadersBecause: HONO_FLUSH,
    serve: (far, wrap) => serveFetch(gatewayFetch(wrap(fetchAdapter.fromFetch(far.fetch)))),
  },
  {
    // Every adapter in both directions, in one chain: the gateway app crosses fetch, Express,
    // Fastify and Koa twice each before it reaches the client.
    id: 'chain',
    label:
      'makeServer ← fromKoa ← toKoa ← fromFastify ← toFastify ← fromExpress ← toExpress ← fromFetch ← toFetch ← app',
    far: 'app',
    utf8PathsBecause: FASTIFY_ROUTER,
    serve: (far, wrap) => {
      const viaFetch = fetchAdapter.fromFetch(gatewayFetch(far.app))
      const viaExpress = expressAdapter.fromExpress(
        expressApp(expressAdapter.toExpress(viaFetch, { errors: log })),
      )
      const viaFastify = fastifyAdapter.fromFastify(fastifyServing(viaExpress))
      const viaKoa = koaAdapter.fromKoa(
        koaApp((koa) => koa.use(koaAdapter.toKoa(viaFastify, { errors: log }))),
      )
      return serveSimple(wrap(viaKoa))
    },
  },
]

/**
 * The stacks whose id is in `only` (all when it is empty).
 *
 * @param {string[]} only
 * @returns {FullStack[]}
 */
export function selectStacks(only) {
  if (only.length === 0) return STACKS
  const unknown = only.filter((id) => !STACKS.some((s) => s.id === id))
  if (unknown.length > 0) throw new Error(`unknown stacks: ${unknown.join(', ')}`)
  return STACKS.filter((s) => only.includes(s.id))
}
