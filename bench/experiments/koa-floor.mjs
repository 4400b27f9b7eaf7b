/**
 * The floor of a gateway mount in Koa: the least a Koa middleware can do to run a PEP 3333 app
 * per request (an environ with the CGI keys and the `HTTP_*` headers, `startResponse`, the body
 * and head handed to Koa through `ctx.body`, `ctx.status`, `ctx.message` and `ctx.set`), with no
 * validation, no handler object, no extension keys and no mount detection. Not a usable bridge;
 * the yardstick for `toKoa` (the `koa-to` stack):
 *
 *   node bench/src/ab.mjs file://$PWD/bench/experiments/koa-floor.mjs koa hello echo
 *
 * @module
 */
import Koa from 'koa'

import { gatewayApp } from '../src/apps/gateway.mjs'
import { serveListener } from '../src/stacks/node.mjs'
import { HOST } from '../src/stacks/listen.mjs'
import { MOUNT } from '../src/workloads.mjs'

/** @typedef {import('@wsgi/core').WSGIEnvironment} WSGIEnvironment */

const EMPTY = new Uint8Array(0)
const errors = { write() {}, writelines() {}, flush() {} }

/**
 * A `wsgi.input` that can only read the body whole (all the echo workload needs).
 *
 * @param {import('node:http').IncomingMessage} req
 */
function inputOf(req) {
  return {
    async read() {
      /** @type {Buffer[]} */
      const parts = []
      for await (const part of req) parts.push(/** @type {Buffer} */ (part))
      return parts.length === 1 && parts[0] !== undefined ? parts[0] : Buffer.concat(parts)
    },
    readline: async () => EMPTY,
    readlines: async () => [],
    async *[Symbol.asyncIterator]() {},
  }
}

/**
 * @param {Koa.Context} ctx
 * @returns {Promise<void> | undefined}
 */
function floor(ctx) {
  const req = ctx.req
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const path = decodeURIComponent(q < 0 ? url : url.slice(0, q))
  /** @type {Record<string, unknown>} */
  const env = {
    REQUEST_METHOD: req.method,
    SCRIPT_NAME: MOUNT,
    PATH_INFO: path.slice(MOUNT.length),
    QUERY_STRING: q < 0 ? '' : url.slice(q + 1),
    SERVER_NAME: HOST,
    SERVER_PORT: '0',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REMOTE_ADDR: req.socket.remoteAddress,
    CONTENT_TYPE: '',
    CONTENT_LENGTH: '',
    'wsgi.version': [1, 0],
    'wsgi.url_scheme': 'http',
    'wsgi.input': inputOf(req),
    'wsgi.errors': errors,
    'wsgi.multithread': false,
    'wsgi.multiprocess': false,
    'wsgi.run_once': false,
    'wsgi.input_terminated': true,
  }
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] ?? '').toUpperCase().replaceAll('-', '_')
    if (name === 'CONTENT_TYPE' || name === 'CONTENT_LENGTH') env[name] = raw[i + 1]
    else env[`HTTP_${name}`] = raw[i + 1]
  }
  let status = '500 Internal Server Error'
  /** @type {Array<[string, string]>} */
  let headers = []
  const result = gatewayApp(/** @type {WSGIEnvironment} */ (env), (s, h) => {
    status = s
    headers = h
    return () => undefined
  })
  /** @param {import('@wsgi/core').ResponseBody} body */
  const done = (body) => {
    // The bench app's bodies are arrays (hello, echo, upload) or a sync generator (download).
    const chunks = [.../** @type {Iterable<Uint8Array>} */ (body)]
    ctx.status = Number(status.slice(0, 3))
    ctx.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
    ctx.message = status.slice(4)
    for (const [name, value] of headers) ctx.set(name, value)
  }
  if ('then' in result) return result.then(done)
  done(result)
  return undefined
}

/** @returns {Promise<import('../src/stacks/index.mjs').Running>} */
export async function start() {
  const koa = new Koa()
  koa.use(floor)
  return serveListener(koa.callback())
}
