/**
 * Every server ("stack") of the benchmark, by id: what it is, which module builds it, and which
 * exports of our packages it needs. The parent reads this list without loading any framework;
 * the child loads the one module its stack lives in.
 *
 * A stack whose package export is missing from the built `dist` is skipped with a
 * "not available yet" line, and joins the run by itself once the export lands.
 *
 * @module
 */

/**
 * A server that listens: its port, and how to stop it; `cpu` when the server is a process of its
 * own (the Python ones), whose CPU time (µs) the child answers instead of its own.
 */
/** @typedef {{ port: number, close(): Promise<void>, cpu?: () => number }} Running */
/** An in-process target: one call, and how to stop it. */
/** @typedef {{ call(request: import('../apps/call.mjs').CallRequest): Promise<import('../apps/call.mjs').CallResult>, close(): Promise<void> }} InProcess */

/**
 * @typedef {object} StackInfo
 * @property {string} label what runs, in a few words (the table's text)
 * @property {'node' | 'express' | 'koa' | 'fastify' | 'hono' | 'inproc' | 'python'} module the module under stacks/
 * @property {Array<[pkg: string, name: string]>} requires our exports it needs
 * @property {'http' | 'inproc'} kind served over a socket, or called in-process
 * @property {string} [python] needs python3 with Flask (`flask`), and gunicorn too (`gunicorn`)
 * @property {number} [readyMs] how long it may take to start (Pyodide loads for seconds)
 * @property {boolean} [closes] closes each connection after its answer (no keep-alive)
 */

/**
 * @param {string} label
 * @param {StackInfo['module']} module
 * @param {Array<[string, string]>} [requires]
 * @param {StackInfo['kind']} [kind]
 * @returns {StackInfo}
 */
const stack = (label, module, requires = [], kind = 'http') => ({ label, module, requires, kind })

/**
 * A stack of the Python group.
 *
 * @param {string} label
 * @param {'flask' | 'gunicorn'} python
 * @param {Array<[string, string]>} [requires]
 * @param {boolean} [closes] no keep-alive: wsgiref speaks HTTP/1.0, gunicorn's sync worker closes
 * @returns {StackInfo}
 */
const pythonStack = (label, python, requires = [], closes = false) => ({
  ...stack(label, 'python', requires),
  python,
  readyMs: 120_000,
  closes,
})

const SIMPLE = /** @type {[string, string]} */ (['@wsgi/core/simple-server', 'makeServer'])

/** @type {Record<string, StackInfo>} */
export const STACKS = {
  node: stack('raw node:http handler', 'node'),
  'node-again': stack('raw node:http handler, a second process', 'node'),
  simple: stack('gateway app on makeServer', 'node', [SIMPLE]),
  listener: stack('gateway app, toNodeListener on node:http', 'node', [
    ['@wsgi/core/node', 'toNodeListener'],
  ]),
  'fetch-hono-server': stack('fetch handler on @hono/node-server', 'node'),
  'fetch-whatwg': stack('fetch handler on @whatwg-node/server', 'node'),
  'fetch-srvx': stack('fetch handler on srvx', 'node'),
  'fetch-h3': stack('fetch handler in an h3 app', 'node'),
  'fetch-from': stack('fromFetch(fetchHandler) on makeServer', 'node', [
    ['@wsgi/adapter-fetch', 'fromFetch'],
    SIMPLE,
  ]),
  'fetch-from-light': stack(
    'fromFetch(fetchHandler, { overrideGlobalResponse }) on makeServer',
    'node',
    [['@wsgi/adapter-fetch', 'fromFetch'], SIMPLE],
  ),

  express: stack('Express app on its own server', 'express'),
  'express-to': stack('toExpress(app) in Express', 'express', [
    ['@wsgi/adapter-express', 'toExpress'],
  ]),
  'express-from': stack('fromExpress(app) on makeServer', 'express', [
    ['@wsgi/adapter-express', 'fromExpress'],
    SIMPLE,
  ]),
  'express-mw': stack('Express app + Express header mw', 'express'),
  'express-koamw-hand': stack('Koa mw, hand wrapper', 'express'),
  'express-koamw': stack('toExpressMiddleware(fromKoaMiddleware(mw))', 'express', [
    ['@wsgi/adapter-express', 'toExpressMiddleware'],
    ['@wsgi/adapter-koa', 'fromKoaMiddleware'],
  ]),

  koa: stack('Koa app on its own server', 'koa'),
  'koa-again': stack('Koa app on its own server, a second process', 'koa'),
  'koa-to': stack('toKoa(app) in Koa', 'koa', [['@wsgi/adapter-koa', 'toKoa']]),
  'koa-from': stack('fromKoa(app) on makeServer', 'koa', [
    ['@wsgi/adapter-koa', 'fromKoa'],
    SIMPLE,
  ]),
  'koa-mw': stack('Koa app + Koa header mw', 'koa'),
  'koa-connect': stack('Express mw through koa-connect', 'koa'),
  'koa-expressmw': stack('toKoaMiddleware(fromExpressMiddleware(mw))', 'koa', [
    ['@wsgi/adapter-koa', 'toKoaMiddleware'],
    ['@wsgi/adapter-express', 'fromExpressMiddleware'],
  ]),

  fastify: stack('Fastify app on its own server', 'fastify'),
  'fastify-to': stack('toFastify(app) in Fastify', 'fastify', [
    ['@wsgi/adapter-fastify', 'toFastify'],
  ]),
  'fastify-from': stack('fromFastify(app) on makeServer', 'fastify', [
    ['@wsgi/adapter-fastify', 'fromFastify'],
    SIMPLE,
  ]),
  'fastify-express': stack('Express app via @fastify/express', 'fastify'),
  'fastify-fromexpress': stack('toFastify(fromExpress(app)) in Fastify', 'fastify', [
    ['@wsgi/adapter-fastify', 'toFastify'],
    ['@wsgi/adapter-express', 'fromExpress'],
  ]),

  hono: stack('Hono app on @hono/node-server', 'hono'),
  'hono-to': stack('toFetch(app) under Hono (hono/mount)', 'hono', [
    ['@wsgi/adapter-fetch', 'toFetch'],
  ]),
  'hono-tohono': stack('toHono(app) under Hono', 'hono', [['@wsgi/adapter-fetch/hono', 'toHono']]),
  'hono-from': stack('fromFetch(hono.fetch, { overrideGlobalResponse }) on makeServer', 'hono', [
    ['@wsgi/adapter-fetch', 'fromFetch'],
    SIMPLE,
  ]),
  'hono-whatwg': stack('Hono app on @whatwg-node/server', 'hono'),

  'python-wsgiref': pythonStack('Flask app on wsgiref.simple_server', 'flask', [], true),
  'python-gunicorn': pythonStack('Flask app on gunicorn (1 sync worker)', 'gunicorn', [], true),
  'python-express': pythonStack('toExpress(fromPython(flaskApp)) in Express', 'flask', [
    ['@wsgi/adapter-express', 'toExpress'],
    ['@wsgi/adapter-python', 'fromPython'],
  ]),

  'express-inject': stack('light-my-request inject(expressApp)', 'inproc', [], 'inproc'),
  'express-call': stack(
    'fromExpress(app) called in-process',
    'inproc',
    [['@wsgi/adapter-express', 'fromExpress']],
    'inproc',
  ),
  'koa-inject': stack('light-my-request inject(koa.callback())', 'inproc', [], 'inproc'),
  'koa-call': stack(
    'fromKoa(app) called in-process',
    'inproc',
    [['@wsgi/adapter-koa', 'fromKoa']],
    'inproc',
  ),
  'fastify-inject': stack('fastify.inject() (light-my-request)', 'inproc', [], 'inproc'),
  'fastify-call': stack(
    'fromFastify(app) called in-process',
    'inproc',
    [['@wsgi/adapter-fastify', 'fromFastify']],
    'inproc',
  ),
}

/**
 * Why a stack cannot run yet, or `undefined` when it can: each export it needs must be a
 * function in the built package.
 *
 * @param {string} id
 * @returns {Promise<string | undefined>}
 */
export async function unavailable(id) {
  if (id.startsWith('file:')) return undefined
  const info = STACKS[id]
  if (info === undefined) return `unknown stack ${id}`
  for (const [pkg, name] of info.requires) {
    /** @type {Record<string, unknown>} */
    let mod
    try {
      mod = await import(pkg)
    } catch (error) {
      const code = /** @type {{ code?: string }} */ (error).code ?? ''
      return `not available yet: ${pkg} does not load (${code || String(error)})`
    }
    if (typeof mod[name] !== 'function') {
      return `not available yet: ${pkg} has no export ${name} in its built dist`
    }
  }
  if (info.python !== undefined) {
    const { pythonMissing } = await import('./python.mjs')
    return pythonMissing(info.python === 'gunicorn')
  }
  return undefined
}

/**
 * Build a stack (in the child process). An id `file:///…/module.mjs` names a module of your own
 * whose `start()` builds the server: a way to measure an experiment (a patched copy of a
 * bridge, say) with the same harness (`bench:profile -- file:///tmp/x.mjs hello`).
 *
 * @param {string} id
 * @returns {Promise<Running | InProcess>}
 */
export async function startStack(id) {
  if (id.startsWith('file:')) {
    /** @type {{ start(): Promise<Running | InProcess> }} */
    const custom = await import(id)
    return custom.start()
  }
  const info = STACKS[id]
  if (info === undefined) throw new Error(`unknown stack ${id}`)
  /** @type {{ stacks: Record<string, () => Promise<Running | InProcess>> }} */
  const mod = await import(`./${info.module}.mjs`)
  const start = mod.stacks[id]
  if (start === undefined) throw new Error(`stack ${id} missing from stacks/${info.module}.mjs`)
  return start()
}
