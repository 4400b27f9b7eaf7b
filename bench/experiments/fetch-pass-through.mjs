/**
 * What a fetch pass-through on the Node route could reach: `fromFetch(hono.fetch)` on the simple
 * server, except that a request the server offers its native route (core's `takeRoute`, as the
 * `from*` pass-through takes it) goes to Hono through `@hono/node-server`'s own listener on the
 * server's `req`/`res` (its light `Request`, its writing of the light `Response`), under core's
 * `runPassThrough` (the server's `Server` header, the byte count for the access log, `close()`
 * once). Not a usable bridge: `@hono/node-server`'s conversion is not ours and differs from
 * `fromFetch`'s in places (the URL it builds, which headers reach the handler). It puts a number on
 * the idea before anyone builds it: the hello-world row with a conversion as cheap as that
 * server's, against `hono-from` and against `wsgiref-floor.mjs?from=hono`:
 *
 *   node bench/src/ab.mjs file://$PWD/bench/experiments/fetch-pass-through.mjs hono-from hello
 *
 * @module
 */
import { getRequestListener } from '@hono/node-server'
import { fromFetch } from '@wsgi/adapter-fetch'

import {
  markPassThrough,
  runPassThrough,
  takeRoute,
} from '../../packages/core/dist/node/pass-through.js'
import { honoApp } from '../src/apps/hono.mjs'
import { serveSimple } from '../src/stacks/node.mjs'

/** @returns {Promise<import('../src/stacks/index.mjs').Running>} */
export function start() {
  const hono = honoApp()
  const listener = getRequestListener(hono.fetch)
  // As the `hono-from` stack: the light global Response (`@hono/node-server` keeps it too).
  const synthetic = fromFetch(hono.fetch, { overrideGlobalResponse: true })
  /** @type {import('@wsgi/core').WSGIApplication} */
  const app = (environ, startResponse) => {
    const route = takeRoute(environ, startResponse, app)
    if (route === undefined) return synthetic(environ, startResponse)
    return runPassThrough(route, environ, listener, undefined)
  }
  markPassThrough(app)
  return serveSimple(app)
}
