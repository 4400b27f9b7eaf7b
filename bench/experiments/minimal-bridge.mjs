/**
 * The floor of the gateway interface: the least a PEP 3333 bridge can do per request (an environ
 * with the CGI keys and the `HTTP_*` headers, `startResponse`, the body written), with no
 * validation, no handler object and no extension keys. Not a usable bridge; a yardstick:
 *
 *   node bench/src/ab.mjs file://$PWD/bench/experiments/minimal-bridge.mjs node hello
 *
 * @module
 */
import { createServer } from 'node:http'

import { gatewayApp } from '../src/apps/gateway.mjs'
import { HOST, close, listen } from '../src/stacks/listen.mjs'

const EMPTY = new Uint8Array(0)
const input = {
  read: async () => EMPTY,
  readline: async () => EMPTY,
  readlines: async () => [],
  async *[Symbol.asyncIterator]() {},
}
const errors = { write() {}, writelines() {}, flush() {} }

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 */
function listener(req, res) {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  /** @type {Record<string, unknown>} */
  const env = {
    REQUEST_METHOD: req.method,
    SCRIPT_NAME: '',
    PATH_INFO: decodeURIComponent(q < 0 ? url : url.slice(0, q)),
    QUERY_STRING: q < 0 ? '' : url.slice(q + 1),
    SERVER_NAME: HOST,
    SERVER_PORT: '0',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REMOTE_ADDR: req.socket.remoteAddress,
    CONTENT_TYPE: '',
    CONTENT_LENGTH: '',
    'wsgi.version': [1, 0],
    'wsgi.url_scheme': 'http',
    'wsgi.input': input,
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
  const result = gatewayApp(/** @type {import('@wsgi/core').WSGIEnvironment} */ (env), (s, h) => {
    status = s
    headers = h
    return () => undefined
  })
  /** @param {Iterable<Uint8Array> | AsyncIterable<Uint8Array>} body */
  const done = (body) => {
    const flat = []
    for (const [k, v] of headers) flat.push(k, v)
    res.writeHead(Number(status.slice(0, 3)), status.slice(4), flat)
    if (Array.isArray(body) && body.length === 1) res.end(body[0])
    else {
      for (const chunk of /** @type {Iterable<Uint8Array>} */ (body)) res.write(chunk)
      res.end()
    }
  }
  if ('then' in result) void result.then(done)
  else done(result)
}

/** @returns {Promise<import('../src/stacks/index.mjs').Running>} */
export async function start() {
  const server = createServer(listener)
  const port = await listen(server)
  return { port, close: () => close(server) }
}
