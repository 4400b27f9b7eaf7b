/**
 * The `from*` apps on `makeServer` with the pass-through off: the app wrapped in
 * `(environ, startResponse) => app(environ, startResponse)`, which is another app, so
 * `fromNodeListener` takes its synthetic path. Compare with the plain stacks:
 *
 *   node bench/src/ab.mjs koa-from file://$PWD/bench/experiments/synthetic-from.mjs?koa hello
 *
 * The framework is chosen by the query of the module URL: `?express`, `?koa` or `?fastify`.
 *
 * @module
 */
import { expressApp } from '../src/apps/express.mjs'
import { fastifyApp } from '../src/apps/fastify.mjs'
import { koaApp } from '../src/apps/koa.mjs'
import { serveSimple } from '../src/stacks/node.mjs'

/** @returns {Promise<import('../src/stacks/index.mjs').Running>} */
export async function start() {
  const which = new URL(import.meta.url).search.slice(1) || 'koa'
  let app
  if (which === 'express') {
    const { fromExpress } = await import('@wsgi/adapter-express')
    app = fromExpress(expressApp())
  } else if (which === 'fastify') {
    const { fromFastify } = await import('@wsgi/adapter-fastify')
    app = fromFastify(fastifyApp())
  } else {
    const { fromKoa } = await import('@wsgi/adapter-koa')
    app = fromKoa(koaApp())
  }
  const inner = app
  return serveSimple((environ, startResponse) => inner(environ, startResponse))
}
