/**
 * fetch handler → gateway application: run `app.fetch` of Hono, itty-router, a Remix or
 * SvelteKit request handler, or a Worker's `fetch` under any gateway server.
 *
 * If you are writing a bridge from another `Request`/`Response` world, this file and
 * `to-fetch.ts` show the whole mapping in both directions.
 *
 * @module
 */
import { WSGIError, describe, invalidArgType, isWSGIError } from '@wsgi/core/errors'
import type {
  ErrorStream,
  HeaderList,
  ResponseBody,
  StartResponse,
  Status,
  WSGIApplication,
  WSGIEnvironment,
} from '@wsgi/core/types'

import { environRequest } from './_internal/environ-request.ts'
import { defaultExecutionContext } from './_internal/execution-context.ts'
import { connectionListed, isHopByHopHeader } from './_internal/hop-by-hop.ts'
import { originalRequest } from './_internal/original-request.ts'
import { emptyBody, responseBody } from './_internal/response-body.ts'
import { wholeBody } from './_internal/response-source.ts'
import { bodyReader, headerPairs, isResponseLike, setCookies } from './_internal/response-shape.ts'
import type { ResponseLike } from './_internal/response-shape.ts'
import { overrideGlobalResponse, takeLight } from './_internal/light-response.ts'
import type { LightParts } from './_internal/light-response.ts'
import { isNullBodyStatus, reasonPhrase } from './_internal/status.ts'
import { utf8 } from './_internal/utf8.ts'
import { FETCH_CTX_KEY, FETCH_ENV_KEY, FETCH_REQUEST_KEY } from './types.ts'
import type { FetchRequestHandler } from './types.ts'

/** Options of {@link fromFetch}. */
export interface FromFetchOptions {
  /**
   * Leave `SCRIPT_NAME` (the mount prefix) out of the `Request` URL, for a handler that routes
   * from its own root (`/users`) while it is mounted under a prefix (`/api/users`).
   *
   * The default keeps the full URL, the one the client asked for; a handler mounted that way
   * must know its prefix (Hono's `basePath('/api')`).
   *
   * @defaultValue `false`
   */
  stripScriptName?: boolean
  /**
   * The `env` bindings handed to the handler when the environ carries none (it does when the
   * request came through `toFetch` on Workers or Hono).
   */
  env?: unknown
  /**
   * Bytes asked of `wsgi.input` per read of the request body.
   *
   * @defaultValue `65536`
   */
  blockSize?: number
  /**
   * Put a lighter `Response` in place of the global one, for the whole process, as
   * `@hono/node-server` does by default (its `overrideGlobalObjects`).
   *
   * On Node, `new Response('Hello')` costs more than a whole hello world through `node:http`.
   * The light one keeps a string or bytes body, the status and the headers as given, and
   * `fromFetch` sends them from there; any other member (`body`, `text()`, `clone()`…) builds
   * the runtime's `Response` first, and anything the light one cannot keep as given (a stream,
   * a `Blob`, a bad status or header) is the runtime's own from the start, so every check and
   * error is the runtime's. `instanceof Response` holds for both, and for a `Response` from
   * `fetch()`. Only on Node, and only where the global `Response` is still the runtime's;
   * elsewhere this does nothing. `wsgi serve` turns it on for a fetch app.
   *
   * @defaultValue `false`
   */
  overrideGlobalResponse?: boolean
}

// fetch refuses these methods outright (https://fetch.spec.whatwg.org/#forbidden-method).
const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK'])

type HandlerWithContext = (
  request: Request,
  env: unknown,
  ctx: unknown,
) => Response | Promise<Response>

/** The response headers as a PEP 3333 list: hop-by-hop dropped, each Set-Cookie on its own. */
function responseHeaders(response: Pick<ResponseLike, 'status' | 'headers'>): HeaderList {
  const headers = response.headers
  const connection = headers.get('connection')
  const listed = connectionListed(typeof connection === 'string' ? connection : undefined)
  const pairs = headerPairs(headers)
  // `getSetCookie()` (or node-fetch's `raw()`) is the only API that keeps cookies apart
  // (`get()` joins them with ", ", which breaks `Expires=Wed, 21 Oct …`); iteration is the
  // fallback where both are missing, since the fetch spec iterates each Set-Cookie separately.
  const cookies = setCookies(headers)
  // RFC 9110 section 8.6: no Content-Length in a 1xx or 204 response.
  const noLength = response.status < 200 || response.status === 204
  const list: HeaderList = []
  for (const pair of pairs) {
    const name = pair[0]
    if (name === 'set-cookie' && cookies !== undefined) continue
    if (noLength && name === 'content-length') continue
    if (isHopByHopHeader(name, listed)) continue
    list.push(pair)
  }
  if (cookies !== undefined) for (const cookie of cookies) list.push(['set-cookie', cookie])
  return list
}

/**
 * The body of a HEAD response: none, and a `Content-Length` only when the `Response` has one
 * (the GET's). An empty list would make the server add `Content-Length: 0` (it cannot tell a
 * HEAD from an empty GET); a single empty chunk from an iterator sends the head without one.
 */
function headBody(headers: HeaderList): ResponseBody {
  if (headers.some(([name]) => name === 'content-length')) return emptyBody()
  let sent = false
  return {
    [Symbol.asyncIterator]() {
      return this
    },
    next(): Promise<IteratorResult<Uint8Array>> {
      if (sent) return Promise.resolve({ done: true, value: undefined })
      sent = true
      return Promise.resolve({ done: false, value: new Uint8Array(0) })
    },
    close(): void {
      // Nothing to release: the source was cancelled already.
    },
  } as ResponseBody & AsyncIterator<Uint8Array>
}

/**
 * Answers a request that fetch cannot represent, without calling the handler: 501 for a method
 * fetch forbids, else 400; the reason goes to `wsgi.errors` with its code.
 */
function refuse(
  environ: WSGIEnvironment,
  startResponse: StartResponse,
  error: WSGIError,
): ResponseBody {
  const errors: ErrorStream = environ['wsgi.errors']
  errors.write(`fromFetch: cannot build a Request from the environ: ${String(error)}\n`)
  errors.flush()
  const forbidden = FORBIDDEN_METHODS.has(environ.REQUEST_METHOD.toUpperCase())
  const status: Status = forbidden ? '501 Not Implemented' : '400 Bad Request'
  const body = new TextEncoder().encode(status.slice(4))
  startResponse(status, [
    ['content-type', 'text/plain; charset=utf-8'],
    ['content-length', String(body.length)],
  ])
  return [body]
}

/**
 * Turns a fetch handler into a gateway application.
 *
 * Each request becomes a WHATWG `Request`: the URL is `wsgi.url_scheme://` + `HTTP_HOST` (else
 * `SERVER_NAME[:SERVER_PORT]`) + `SCRIPT_NAME` + `PATH_INFO` + `?QUERY_STRING`, percent-encoded
 * from PEP 3333's latin-1 strings (the server's raw `REQUEST_URI` is reused when it matches);
 * the headers are the `HTTP_*` keys plus `CONTENT_TYPE`/`CONTENT_LENGTH` without hop-by-hop
 * headers; the body streams from `wsgi.input` on demand; `environ['wsgits.signal']` becomes
 * `request.signal`. The handler is called as `handler(request, env, ctx)` with the bindings and
 * execution context of `environ['wsgits.fetch_env']` / `['wsgits.fetch_ctx']` (set by
 * {@link toFetch}), else `options.env` and a minimal context with `waitUntil()`.
 *
 * Under {@link toFetch} (a round trip), the handler gets the runtime's own `Request` from
 * `environ['wsgits.fetch_request']` while the environ still matches it.
 *
 * The `Response` may come from any fetch implementation (decided by its shape, not its class).
 * It goes to `startResponse` with its status (Node's reason phrase when `statusText` is empty)
 * and headers (hop-by-hop dropped, each `Set-Cookie` kept apart), and its body streams chunk by
 * chunk, the head going out at once even when the first chunk comes later; `close()` cancels it.
 * HEAD and 101/204/205/304 responses get no body, and their source stream is cancelled; a HEAD
 * answer keeps its `Content-Length` or has none.
 *
 * A handler that returns its `Response` at once (Hono's `app.fetch` for a `c.text()` route) makes
 * a synchronous application, whose one-chunk body the server sends without a promise; one that
 * returns a promise makes an application that returns a promise.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { makeServer } from '@wsgi/core/simple-server'
 * import { fromFetch } from '@wsgi/adapter-fetch'
 *
 * const hono = new Hono().get('/', (c) => c.text('Hello from Hono'))
 * makeServer('', 8000, fromFetch(hono.fetch)).serveForever()
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `handler` is not a function; the returned
 *   application fails with it (throws, or rejects for a handler that answered with a promise)
 *   when the handler gives something not shaped like a `Response`.
 *   Whatever the handler throws is thrown again (the server answers 500).
 */
export function fromFetch(
  handler: FetchRequestHandler,
  options: FromFetchOptions = {},
): WSGIApplication {
  if (typeof handler !== 'function') {
    throw invalidArgType(`The fetch handler must be a function (got ${describe(handler)})`)
  }
  // FetchRequestHandler types its extra parameters `never` so every handler fits; the call
  // site is where they get their values (whatever the host put in the environ).
  const call = handler as unknown as HandlerWithContext
  const stripScriptName = options.stripScriptName === true
  const blockSize = options.blockSize
  if (options.overrideGlobalResponse === true) overrideGlobalResponse()

  return function fetchApplication(environ, startResponse) {
    // Through a toFetch further out (a round trip), the runtime's own Request when it still fits.
    let request =
      FETCH_REQUEST_KEY in environ ? originalRequest(environ, stripScriptName) : undefined
    try {
      request ??= environRequest(environ, { stripScriptName, blockSize })
    } catch (error) {
      if (isWSGIError(error) && error.code === 'ERR_WSGI_BAD_REQUEST') {
        return refuse(environ, startResponse, error)
      }
      if (!(error instanceof TypeError)) throw error
      return refuse(
        environ,
        startResponse,
        new WSGIError('ERR_WSGI_BAD_REQUEST', error.message, { cause: error }),
      )
    }
    const env = FETCH_ENV_KEY in environ ? environ[FETCH_ENV_KEY] : options.env
    const ctx = environ[FETCH_CTX_KEY] ?? defaultExecutionContext(environ['wsgi.errors'])

    const response: unknown = call(request, env, ctx)
    // A handler that answered at once (Hono's `app.fetch` for a `c.text()` route) gets a
    // synchronous application: the server then sends it without a promise of its own.
    if (typeof (response as { then?: unknown } | null)?.then === 'function') {
      return Promise.resolve(response).then((settled: unknown) =>
        answer(settled, environ, startResponse),
      )
    }
    return answer(response, environ, startResponse)
  }
}

/** The handler's `Response` as the application's answer: `startResponse`, then the body. */
function answer(
  response: unknown,
  environ: WSGIEnvironment,
  startResponse: StartResponse,
): ResponseBody | Promise<ResponseBody> {
  // A light Response (`overrideGlobalResponse`) gives its parts as they were made.
  const light = takeLight(response)
  if (light !== undefined) return answerLight(light, environ, startResponse)
  // Before the shape check: a network error is a Response, but one with status 0.
  if ((response as { type?: unknown } | null)?.type === 'error') {
    throw new TypeError('The fetch handler returned a network error (Response.error())')
  }
  if (!isResponseLike(response)) {
    throw invalidArgType(`The fetch handler must return a Response (got ${describe(response)})`)
  }

  const headers = responseHeaders(response)
  startResponse(statusLine(response), headers)

  const none = bodiless(environ, response.status, headers)
  if (none !== undefined) {
    // Without this, a HEAD on an endless source (SSE) would keep it producing forever.
    bodyReader(response)
      ?.cancel()
      .catch(() => undefined)
    return none
  }
  // A string or bytes body, as a one-item list (what the stream would have given).
  const whole = wholeBody(response)
  if (whole !== undefined) return whole.length === 0 ? emptyBody() : [whole]
  const body = bodyReader(response)
  if (body === undefined) return emptyBody()
  return responseBody(body, environ['wsgi.errors'])
}

/** The answer from a light `Response`'s parts: what {@link answer} makes of the runtime's. */
function answerLight(
  light: LightParts,
  environ: WSGIEnvironment,
  startResponse: StartResponse,
): ResponseBody {
  const headers = responseHeaders(light)
  startResponse(statusLine(light), headers)
  const none = bodiless(environ, light.status, headers)
  if (none !== undefined) return none
  const body = light.body
  if (body === null || body.length === 0) return emptyBody()
  return [typeof body === 'string' ? utf8(body) : body]
}

/**
 * The answer of a HEAD request or a null-body status: no body, and for HEAD the GET's
 * `Content-Length` or none (see {@link headBody}); undefined when the response sends its body.
 */
function bodiless(
  environ: WSGIEnvironment,
  status: number,
  headers: HeaderList,
): ResponseBody | undefined {
  if (isNullBodyStatus(status)) return emptyBody()
  return environ.REQUEST_METHOD.toUpperCase() === 'HEAD' ? headBody(headers) : undefined
}

/** The status line: an empty statusText gets Node's phrase, as on the framework's own server. */
function statusLine(response: Pick<ResponseLike, 'status' | 'statusText'>): Status {
  const text = response.statusText
  const reason = typeof text === 'string' && text !== '' ? text : reasonPhrase(response.status)
  return `${String(response.status)} ${reason}` as Status
}
