/**
 * What every hand-written floor bridge of this folder shares: the least a PEP 3333 bridge from a
 * Node request does (an environ with the CGI keys and the `HTTP_*` headers, a `wsgi.input` that
 * reads the body whole the way the raw baseline does, a `startResponse` that only records), with
 * no validation, no handler object and no extension keys. Not a usable bridge; the yardsticks
 * (`minimal-bridge.mjs`, `koa-floor.mjs`, `fastify-floor.mjs`) put their host's head and body
 * calls around it.
 *
 * @module
 */
import { gatewayApp } from '../src/apps/gateway.mjs'
import { readAll } from '../src/apps/native.mjs'
import { HOST } from '../src/stacks/listen.mjs'

/** @typedef {import('@wsgi/core').WSGIEnvironment} WSGIEnvironment */
/** @typedef {import('@wsgi/core').ResponseBody} ResponseBody */

const EMPTY = new Uint8Array(0)
/** A `wsgi.errors` that drops what it is given. */
export const errors = { write() {}, writelines() {}, flush() {} }
export const WSGI_VERSION = [1, 0]

/**
 * A `wsgi.input` that can only read the body whole (all the echo workload needs): `readWhole`
 * on the first read, nothing after.
 *
 * @param {() => Promise<Uint8Array>} readWhole
 */
export function wholeInput(readWhole) {
  let done = false
  return {
    async read() {
      if (done) return EMPTY
      done = true
      return readWhole()
    },
    readline: async () => EMPTY,
    readlines: async () => [],
    async *[Symbol.asyncIterator]() {},
  }
}

/**
 * The environ of `req`, mounted at `scriptName` (a prefix of the path).
 *
 * @param {import('node:http').IncomingMessage} req
 * @param {string} scriptName
 * @returns {Record<string, unknown>}
 */
export function floorEnviron(req, scriptName) {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const path = decodeURIComponent(q < 0 ? url : url.slice(0, q))
  /** @type {Record<string, unknown>} */
  const env = {
    REQUEST_METHOD: req.method,
    SCRIPT_NAME: scriptName,
    PATH_INFO: path.slice(scriptName.length),
    QUERY_STRING: q < 0 ? '' : url.slice(q + 1),
    SERVER_NAME: HOST,
    SERVER_PORT: '0',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REMOTE_ADDR: req.socket.remoteAddress,
    CONTENT_TYPE: '',
    CONTENT_LENGTH: '',
    'wsgi.version': WSGI_VERSION,
    'wsgi.url_scheme': 'http',
    // Read as the raw baseline reads it.
    'wsgi.input': wholeInput(() => readAll(req)),
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
  return env
}

/**
 * Run the benchmark's gateway app on `env` and hand its status, headers and body to `done`, at
 * once when the app answers synchronously, else when its promise settles.
 *
 * @template T
 * @param {Record<string, unknown>} env
 * @param {(status: string, headers: Array<[string, string]>, body: ResponseBody) => T} done
 * @returns {T | Promise<T>}
 */
export function runFloor(env, done) {
  let status = '500 Internal Server Error'
  /** @type {Array<[string, string]>} */
  let headers = []
  const result = gatewayApp(/** @type {WSGIEnvironment} */ (env), (s, h) => {
    status = s
    headers = h
    return () => undefined
  })
  if ('then' in result) return result.then((body) => done(status, headers, body))
  return done(status, headers, result)
}
