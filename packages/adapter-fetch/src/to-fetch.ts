/**
 * Gateway application → fetch handler: serve a gateway app from Hono, Bun, Deno, Cloudflare
 * Workers or any host that speaks `Request`/`Response`.
 *
 * @module
 */
import { describe, invalidArgType } from '@wsgi/core/errors'
import type { ErrorStream, WSGIApplication } from '@wsgi/core/types'

import { remoteAddressOption } from './remote-address.ts'
import type { RemoteAddressFn } from './remote-address.ts'
import { normalizeScriptName } from './_internal/request-environ.ts'
import { FetchHandler, respondNow } from './fetch-handler.ts'

/** Options of {@link toFetch}. */
export interface ToFetchOptions {
  /**
   * The mount prefix, which becomes `SCRIPT_NAME` (`'/legacy'`).
   *
   * The handler accepts both URLs a mounted handler can receive: the full one the client asked
   * for (`/legacy/users`; Hono's `mount()` with `replaceRequest: false`, or a host that does not
   * rewrite), which is split into `SCRIPT_NAME` `/legacy` and `PATH_INFO` `/users`; and one whose
   * prefix a router already cut off (`/users`; Hono's default `mount()`), in front of which the
   * prefix is put back. Either way `requestURI(environ)` is the URL the client asked for. A path
   * that starts with the prefix is always read as the full URL, so prefer `replaceRequest: false`
   * when paths below the mount can repeat the prefix (`/legacy/legacy/x`).
   *
   * @defaultValue `''` (the application is mounted at the root)
   */
  scriptName?: string
  /** `wsgi.errors`. @defaultValue a stream over `console.error` */
  errors?: ErrorStream
  /**
   * Most request body bytes `wsgi.input` delivers; a read beyond fails with
   * `ERR_WSGI_BODY_TOO_LARGE` (answered 413 unless the application catches it).
   *
   * @defaultValue no limit
   */
  inputLimit?: number
  /**
   * Finds the client's address, `REMOTE_ADDR`, from the request and `env` (the second argument
   * the runtime passed: Hono's `c.env`); returning `undefined` leaves `REMOTE_ADDR` out. A
   * `Request` does not carry the address, each runtime tells it its own way.
   *
   * The default reads what the runtime took from the connection, never a header: Bun's
   * `server.requestIP(request)` (Bun passes the server as `env`), Deno's `info.remoteAddr` (the
   * second argument of `Deno.serve`'s handler), `@hono/node-server`'s
   * `env.incoming.socket.remoteAddress`. workerd tells no address: behind Cloudflare pass
   * `(request) => request.headers.get('cf-connecting-ip') ?? undefined` (Cloudflare's edge sets
   * that header; anywhere else a client can send it).
   *
   * @defaultValue `runtimeRemoteAddress`
   */
  remoteAddress?: RemoteAddressFn
}

/**
 * True for an object with the shape of a fetch `Request`: a string `url` and `method`, and
 * `headers` that can be read (`get`) and iterated. Decided by shape, never `instanceof`: a
 * `Request` of the `undici` package, a polyfill or another realm is as good as the global one.
 */
function isRequestLike(value: unknown): value is Request {
  if (typeof value !== 'object' || value === null) return false
  const request = value as { url?: unknown; method?: unknown; headers?: unknown }
  const headers = request.headers as { get?: unknown; [Symbol.iterator]?: unknown } | null
  return (
    typeof request.url === 'string' &&
    typeof request.method === 'string' &&
    typeof headers === 'object' &&
    headers !== null &&
    typeof headers.get === 'function' &&
    typeof headers[Symbol.iterator] === 'function'
  )
}

/**
 * A fetch handler: `(request, env?, ctx?) => Response | Promise<Response>`, the type of Hono's
 * `app.fetch`, as Hono, Workers, Bun and Deno call it. Await it: the `Response` comes as it is
 * when the application answered before returning, and in a promise otherwise.
 */
export type GatewayFetchHandler = (
  request: Request,
  env?: unknown,
  ctx?: unknown,
) => Response | Promise<Response>

/**
 * Turns a gateway application into a fetch handler.
 *
 * The `Request` becomes the environ: method, `SCRIPT_NAME`/`PATH_INFO` (percent-decoded as
 * PEP 3333's latin-1 strings, split at `options.scriptName`), `QUERY_STRING`, the headers as
 * `HTTP_*` (hop-by-hop dropped), `wsgi.input` reading the body on demand (streamed from
 * `request.body`, or whole through `request.arrayBuffer()` when `Content-Length` declares at
 * most 64 KiB), `wsgi.input_terminated`, `request.signal` as `environ['wsgits.signal']` (fired only when the
 * client went away early), `REMOTE_ADDR` where the runtime tells it (`options.remoteAddress`),
 * and the runtime's `env`/`ctx` as `environ['wsgits.fetch_env']` / `['wsgits.fetch_ctx']`.
 *
 * The `Response` settles as soon as the application's head is known; its body is a stream that
 * the application fills as fast as the consumer reads it. An application that answered before it
 * returned (synchronous, with a one-chunk body: a one-item array) gets its `Response` returned as
 * it is, not in a promise, as a Hono handler returns `c.text()`: await the result either way.
 * HEAD and 101/204/205/304 get a null body, and each `Set-Cookie` stays a header of its own. An application error before the head
 * gives a 500 (logged to `wsgi.errors`, no details sent); after it, the body stream errors so the
 * runtime cuts the response. Trailers cannot cross: fetch has none.
 *
 * Any object with the shape of a `Request` is taken (a string `url` and `method`, readable and
 * iterable `headers`, and `body`/`signal` when used): a `Request` of the `undici` package, a
 * polyfill's or another realm's works as the global one; anything else rejects with
 * `ERR_WSGI_INVALID_ARG_TYPE`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { toFetch } from '@wsgi/adapter-fetch'
 *
 * const legacy = toFetch(gatewayApp, { scriptName: '/legacy' })
 * const app = new Hono()
 * app.mount('/legacy', legacy, { replaceRequest: false })
 * export default app // Bun, Deno and Workers serve `app.fetch`
 * ```
 *
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `app` is not a function,
 *   `options.inputLimit` is not a non-negative integer or `options.remoteAddress` not a function.
 */
export function toFetch(app: WSGIApplication, options: ToFetchOptions = {}): GatewayFetchHandler {
  if (typeof app !== 'function') {
    throw invalidArgType(`The application must be a function (got ${describe(app)})`)
  }
  const scriptName = normalizeScriptName(options.scriptName)
  const errors = options.errors
  const inputLimit = options.inputLimit
  if (inputLimit !== undefined && !(Number.isSafeInteger(inputLimit) && inputLimit >= 0)) {
    throw invalidArgType(
      `options.inputLimit must be a non-negative integer (got ${describe(inputLimit)})`,
    )
  }
  const remoteAddress = remoteAddressOption(options.remoteAddress)
  return function gatewayFetch(
    request: Request,
    env?: unknown,
    ctx?: unknown,
  ): Response | Promise<Response> {
    if (!isRequestLike(request)) {
      return Promise.reject(
        invalidArgType(`The fetch handler must be given a Request (got ${describe(request)})`),
      )
    }
    const handler = new FetchHandler(request, {
      scriptName,
      errors,
      env,
      ctx,
      inputLimit,
      remoteAddress,
    })
    return respondNow(handler, app)
  }
}
