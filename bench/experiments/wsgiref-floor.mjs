/**
 * The floor of the simple server: everything `makeServer` does per request that a client or the
 * app can see, written as one function with core's own pieces and none of its objects (no
 * `WSGIRequestHandler`, no `ServerHandler`). The environ has every key the simple server's has
 * (the server's base environ, the CGI variables, `wsgi.*`, the lazy `wsgits.signal` and the native
 * objects, an `InputReader` over the body); `startResponse` checks status and headers as the
 * handler does; the head carries `Server` and `Content-Length` as the handler's does; the
 * access-log line goes through a `LogStream`. What it leaves out: error handling (an app that
 * throws, a second `startResponse`, `write()`), bodies that are not a one-item array, the unread
 * body after the response. Not a usable server; the yardstick between `minimal-bridge.mjs` (no
 * duties) and the simple server (the duties through wsgiref's object model):
 *
 *   node bench/src/ab.mjs file://$PWD/bench/experiments/wsgiref-floor.mjs simple hello echo
 *
 * With `?drop=log,check` (see `DROP` below) it leaves those duties out.
 *
 * With `?from=koa` (or `express`, `fastify`, `hono`) it is the floor of the `from*` rows: the
 * same environ and access-log line, and then the framework's own listener on the server's own
 * `req`/`res` (Hono through `@hono/node-server`'s listener, its baseline's), as the pass-through
 * hands them over, with nothing of ours in between: what `fromKoa(app)` on the simple server
 * would cost if the pass-through itself cost nothing. The log line's size is the response's
 * `Content-Length` (every workload's response has one).
 *
 *   node bench/src/ab.mjs 'file://'$PWD'/bench/experiments/wsgiref-floor.mjs?from=koa' koa hello
 *
 * With `&via=pass-through` as well, the framework runs under core's `runPassThrough` (the head
 * rewrite, the byte count, the settling on end or close) with a route that decides nothing (no
 * `ServerHandler`), and the log line takes the status and size it reports: between this and the
 * `fromKoa` row is the cost of the simple server's handler objects, between it and the plain
 * `?from=koa` the cost of the pass-through's own bookkeeping.
 *
 * @module
 */
import { checkHeaderList } from '../../packages/core/dist/handlers/check-headers.js'
import { checkStatus, statusCode } from '../../packages/core/dist/handlers/status.js'
import { fillRequestEnviron } from '../../packages/core/dist/node/environ.js'
import { addExtensionEnviron } from '../../packages/core/dist/node/extension-environ.js'
import { runPassThrough } from '../../packages/core/dist/node/pass-through.js'
import {
  RequestBody,
  dropUnset,
  isContentLength,
  newEnviron,
} from '../../packages/core/dist/node/handler-support.js'
import {
  LogStream,
  escapeControl,
  logDateTimeString,
} from '../../packages/core/dist/simple-server/log.js'
import { serverVersion, softwareVersion } from '../../packages/core/dist/simple-server/version.js'
import { InputReader } from '../../packages/core/dist/streams.js'
import { FileWrapper, isHopByHop } from '../../packages/core/dist/util.js'
import { gatewayApp } from '../src/apps/gateway.mjs'
import { HOST } from '../src/stacks/listen.mjs'
import { serveListener } from '../src/stacks/node.mjs'
import { readAll } from '../src/apps/native.mjs'
import { WSGI_VERSION, floorEnviron, wholeInput } from './floor-parts.mjs'

/** @typedef {import('@wsgi/core').WSGIEnvironment} WSGIEnvironment */
/** @typedef {import('../../packages/core/dist/node/pass-through.js').NativeSent} NativeSent */

/** @type {Record<string, string>} */
const base = {
  SERVER_NAME: HOST,
  GATEWAY_INTERFACE: 'CGI/1.1',
  SERVER_PORT: '0',
  REMOTE_HOST: '',
  CONTENT_LENGTH: '',
  SCRIPT_NAME: '',
}
const log = new LogStream(process.stderr)
/** @type {import('@wsgi/core/types').FileWrapper} */
const makeFileWrapper = (filelike, blockSize) => new FileWrapper(filelike, blockSize)
const noWrite = () => {
  throw new Error('write() is not part of this floor')
}

// `?drop=…` (a comma-separated list) leaves duties out, to see what each costs: `log` the
// access-log line, `check` the status and header checks, `input` the `InputReader` (a whole-body
// `wsgi.input` instead, as the floor bridges read), `server` the `Server` header, `environ` the
// whole environ (the floor bridges' least one instead).
const DROP = new Set((new URL(import.meta.url).searchParams.get('drop') ?? '').split(','))
const FROM = new URL(import.meta.url).searchParams.get('from')
const VIA = new URL(import.meta.url).searchParams.get('via') === 'pass-through'
// What the route names as the handler's startResponse and app: never called on the pass-through.
const noStart = () => {
  throw new Error('not on this floor')
}

/**
 * Write the access-log line of `req`'s response, as the simple server writes it.
 *
 * @param {import('node:http').IncomingMessage} req
 * @param {string | number} code
 * @param {string | number} size
 */
function logResponse(req, code, size) {
  const address = req.socket.remoteAddress ?? '-'
  log.write(
    `${address.startsWith('::ffff:') ? address.slice(7) : address} - - [${logDateTimeString()}] "${escapeControl(req.method ?? '')} ${escapeControl(req.url ?? '')} HTTP/${escapeControl(req.httpVersion)}" ${code} ${size}\n`,
  )
}

/**
 * The framework's own listener for `?from=`.
 *
 * @param {string} name
 * @returns {Promise<(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void>}
 */
async function frameworkListener(name) {
  if (name === 'koa') return (await import('../src/apps/koa.mjs')).koaApp().callback()
  if (name === 'express') return (await import('../src/apps/express.mjs')).expressApp()
  if (name === 'fastify') {
    const fastify = (await import('../src/apps/fastify.mjs')).fastifyApp()
    await fastify.ready()
    return (req, res) => {
      fastify.routing(req, res)
    }
  }
  if (name === 'hono') {
    const { getRequestListener } = await import('@hono/node-server')
    return getRequestListener((await import('../src/apps/hono.mjs')).honoApp().fetch)
  }
  throw new Error(`?from=${name}: koa, express, fastify or hono`)
}

/** @type {((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void) | undefined} */
let framework

/**
 * The access-log line of a response the framework sent.
 *
 * @this {import('node:http').ServerResponse & { req: import('node:http').IncomingMessage }}
 */
function logFinished() {
  logResponse(this.req, this.statusCode, String(this.getHeader('content-length') ?? '-'))
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 */
function listener(req, res) {
  const env = DROP.has('environ') ? floorEnviron(req, '') : newEnviron()
  if (!DROP.has('environ')) {
    for (const key in base) env[key] = base[key]
    env['SERVER_SOFTWARE'] = serverVersion
    fillRequestEnviron(env, req, undefined, false)
    env['wsgi.input_terminated'] = true
    addExtensionEnviron(env, req, res)
    env['wsgi.input'] = DROP.has('input')
      ? wholeInput(() => readAll(req))
      : new InputReader(new RequestBody(req))
    env['wsgi.errors'] = log
    env['wsgi.version'] = WSGI_VERSION
    env['wsgi.run_once'] = false
    env['wsgi.url_scheme'] = 'http'
    env['wsgi.multithread'] = false
    env['wsgi.multiprocess'] = false
    env['wsgi.file_wrapper'] = makeFileWrapper
    dropUnset(env)
  }
  if (framework !== undefined) {
    if (VIA) {
      const environ = /** @type {WSGIEnvironment} */ (env)
      /** @type {import('../../packages/core/dist/node/pass-through.js').NativeRoute} */
      const route = {
        environ,
        startResponse: noStart,
        nativeApp: noStart,
        request: req,
        response: res,
        serverSoftware: softwareVersion,
        beforeNativeHead() {},
        nativeBodyRead() {},
        closesForNativeBody() {
          return false
        },
        nativeEnded() {},
      }
      void runPassThrough(route, environ, framework, undefined).then((sent) => {
        const { status, bytes } = /** @type {NativeSent} */ (sent)
        if (!DROP.has('log')) logResponse(req, status, bytes)
      })
      return
    }
    // The environ is made, as the simple server makes it, and handed to nobody: the pass-through
    // gives the framework the server's own objects.
    if (!DROP.has('log')) res.once('finish', logFinished)
    framework(req, res)
    return
  }
  let status = ''
  /** @type {Array<[string, string]>} */
  let headers = []
  const result = gatewayApp(/** @type {WSGIEnvironment} */ (env), (s, h) => {
    if (!DROP.has('check')) {
      checkHeaderList(h)
      checkStatus(s)
      for (const [name] of h) if (isHopByHop(name)) throw new Error(`hop-by-hop ${name}`)
    }
    status = s
    headers = h
    return noWrite
  })
  /** @param {import('@wsgi/core').ResponseBody} body */
  const send = (body) => {
    const chunk = /** @type {Uint8Array} */ (/** @type {unknown[]} */ (body)[0])
    const code = statusCode(status)
    const flat = DROP.has('server') ? [] : ['Server', softwareVersion]
    let length = false
    for (const entry of headers) {
      flat.push(entry[0], entry[1])
      if (isContentLength(entry[0])) length = true
    }
    if (!length) flat.push('Content-Length', String(chunk.length))
    res.writeHead(code, status.slice(4), flat)
    res.end(chunk)
    if (DROP.has('log')) return
    logResponse(req, status.slice(0, 3), chunk.length)
  }
  if ('then' in result) void result.then(send)
  else send(result)
}

/** @returns {Promise<import('../src/stacks/index.mjs').Running>} */
export async function start() {
  if (FROM !== null) framework = await frameworkListener(FROM)
  const running = await serveListener(listener)
  base.SERVER_PORT = String(running.port)
  return running
}
