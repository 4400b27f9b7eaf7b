/**
 * The floor of a gateway app inside Hono: a hand-written Hono route on `@hono/node-server` that
 * does the least a PEP 3333 bridge from a fetch `Request` can (an environ with the CGI keys and
 * the `HTTP_*` headers read from `c.req.raw`, `startResponse`, a `Response` built from the
 * finished head), with no validation, no handler object, no extension keys, no hop-by-hop or
 * percent-decoding rules and no error path. Not a usable bridge; a yardstick for `toHono` and
 * `toFetch` against a plain Hono route (`hono`):
 *
 *   node bench/src/ab.mjs file://$PWD/bench/experiments/minimal-hono-route.mjs hono hello echo
 *
 * With `?mount` (`file://…/minimal-hono-route.mjs?mount`) the same bridge is a fetch handler mounted
 * with `hono/mount` (`replaceRequest: false`), as the `hono-to` stack mounts `toFetch`: the floor
 * of that row, which includes what `mount()` itself costs per request.
 *
 * `wsgi.input` reads the body with `request.arrayBuffer()`, which `@hono/node-server` serves
 * from the socket without making the undici `Request`: the cheapest read there is.
 *
 * @module
 */
import { Hono } from 'hono'

import { gatewayApp } from '../src/apps/gateway.mjs'
import { MOUNT } from '../src/workloads.mjs'
import { close, listen } from '../src/stacks/listen.mjs'
import { WSGI_VERSION, errors, wholeInput } from './floor-parts.mjs'

/**
 * The route.
 *
 * @param {import('hono').Context} c
 * @returns {Response | Promise<Response>}
 */
export function route(c) {
  return bridge(c.req.raw)
}

/**
 * The bridge, as a fetch handler.
 *
 * @param {Request} request
 * @returns {Response | Promise<Response>}
 */
export function bridge(request) {
  const url = request.url
  const slash = url.indexOf('/', url.indexOf('//') + 2)
  const q = url.indexOf('?', slash)
  const path = q < 0 ? url.slice(slash) : url.slice(slash, q)
  /** @type {Record<string, unknown>} */
  const env = {
    REQUEST_METHOD: request.method,
    SCRIPT_NAME: MOUNT,
    PATH_INFO: path.slice(MOUNT.length),
    QUERY_STRING: q < 0 ? '' : url.slice(q + 1),
    SERVER_NAME: '127.0.0.1',
    SERVER_PORT: '80',
    SERVER_PROTOCOL: 'HTTP/1.1',
    'wsgi.version': WSGI_VERSION,
    'wsgi.url_scheme': 'http',
    'wsgi.input': wholeInput(async () => new Uint8Array(await request.arrayBuffer())),
    'wsgi.errors': errors,
    'wsgi.multithread': true,
    'wsgi.multiprocess': true,
    'wsgi.run_once': false,
    'wsgi.input_terminated': true,
  }
  for (const [name, value] of request.headers) {
    if (name === 'content-type') env['CONTENT_TYPE'] = value
    else if (name === 'content-length') env['CONTENT_LENGTH'] = value
    else env[`HTTP_${name.toUpperCase().replaceAll('-', '_')}`] = value
  }
  let status = '500 Internal Server Error'
  /** @type {Array<[string, string]>} */
  let headers = []
  const result = gatewayApp(/** @type {import('@wsgi/core').WSGIEnvironment} */ (env), (s, h) => {
    status = s
    headers = h
    return () => Promise.resolve()
  })
  /**
   * @param {import('@wsgi/core').ResponseBody} body
   * @returns {Response}
   */
  const done = (body) => {
    /** @type {Record<string, string>} */
    const record = {}
    for (const [name, value] of headers) record[name.toLowerCase()] = value
    // The benchmark's gateway app always answers with a one-item array.
    const chunks = /** @type {Uint8Array[]} */ (body)
    const init = { status: Number(status.slice(0, 3)), headers: record }
    return new Response(/** @type {BodyInit} */ (chunks[0]), init)
  }
  return 'then' in result ? result.then(done) : done(result)
}

/** @returns {Promise<import('../src/stacks/index.mjs').Running>} */
export async function start() {
  const { createAdaptorServer } = await import('@hono/node-server')
  const app = new Hono()
  if (new URL(import.meta.url).search === '?mount') {
    const { mount } = await import('hono/mount')
    app.all(`${MOUNT}/*`, mount(bridge, { replaceRequest: false }))
  } else {
    app.all(`${MOUNT}/*`, route)
  }
  const server = /** @type {import('node:http').Server} */ (
    createAdaptorServer({ fetch: app.fetch })
  )
  const port = await listen(server)
  return { port, close: () => close(server) }
}
