/**
 * The gateway app on the simple server with the access log switched off, the wsgiref way (a
 * `WSGIRequestHandler` subclass whose `logMessage` does nothing): what the log costs. That
 * subclass still formats the request line (`logRequest`); with `?option` the log is switched
 * off with `makeServer`'s `accessLog: false` instead, which formats nothing.
 *
 *   node bench/src/ab.mjs file://$PWD/bench/experiments/quiet-log.mjs simple hello
 *
 * @module
 */
import { WSGIRequestHandler, makeServer } from '@wsgi/core/simple-server'

import { gatewayApp } from '../src/apps/gateway.mjs'
import { HOST } from '../src/stacks/listen.mjs'

class QuietHandler extends WSGIRequestHandler {
  /** @override */
  logMessage() {}
}

/** @returns {Promise<import('../src/stacks/index.mjs').Running>} */
export async function start() {
  const options =
    new URL(import.meta.url).search === '?option'
      ? { accessLog: false }
      : { handlerClass: QuietHandler }
  const server = await makeServer(HOST, 0, gatewayApp, options)
  return { port: server.serverPort, close: () => server.shutdown() }
}
