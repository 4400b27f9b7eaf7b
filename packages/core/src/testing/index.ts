/**
 * A test client for gateway applications: requests go straight to the application, in process,
 * with no socket. What Werkzeug's `Client` and Rack's `MockRequest` give their users, built on
 * the same `BaseHandler` as every server here (like CPython's `run_amock`, but asynchronous and
 * structured).
 *
 * Node-free: it runs wherever the application runs.
 *
 * @example
 * ```ts
 * import { TestClient } from '@wsgi/core/testing'
 *
 * const client = new TestClient(app)
 * const res = await client.post('/items', { json: { name: 'pen' } })
 * res.statusCode // 201
 * res.json() // { id: 1, name: 'pen' }
 * ```
 * @module
 */
import { WSGIError, describe, invalidArgType } from '../errors.ts'
import { Headers } from '../headers.ts'
import type { HeaderList, WSGIApplication, WSGIEnvironment } from '../types.ts'
import { validator } from '../validate.ts'
import { StringErrorStream } from '../_internal/error-stream.ts'
import { InputReader } from '../_internal/input.ts'
import { concatBytes } from '../_internal/bytes.ts'
import { CookieJar } from './cookies.ts'
import { ChannelSink, CollectingSink, TestHandler } from './handler.ts'
import type { ResponseSink } from './handler.ts'
import {
  cgiVariables,
  isRedirect,
  prepareRequest,
  redirectRequest,
  requestDefaults,
  requestURL,
} from './request.ts'
import type { PreparedRequest, RequestDefaults, TestRequestOptions } from './request.ts'
import { StreamingTestResponse, TestResponse } from './response.ts'
import type { ResponseHead } from './response.ts'

export { CookieJar } from './cookies.ts'
export type { Cookie, CookieFilter, SetCookieOptions } from './cookies.ts'
export type {
  BodyInit,
  FormInit,
  FormValue,
  MultipartFile,
  MultipartInit,
  MultipartValue,
} from './body.ts'
export type { HeadersInit, TestRequestOptions } from './request.ts'
export { StreamingTestResponse, TestResponse } from './response.ts'

/** Options of {@link TestClient}. */
export interface TestClientOptions {
  /**
   * Wrap the application in `validator()`, so every request checks both sides of PEP 3333.
   * Default `true`. The validator wraps the body, so `Content-Length` is not computed for a
   * one-chunk array body while it is on (as with CPython's validator).
   */
  readonly validate?: boolean | undefined
  /**
   * An error of the application (or of the validator) rejects the request's promise. Default
   * `true`. When `false`, an error before the response started is logged to `wsgi.errors`
   * (`response.errors`) and answered with a 500, as a server would. An error after the response
   * started always rejects: the response is incomplete.
   */
  readonly throwErrors?: boolean | undefined
  /** Follow redirects (301, 302, 303, 307, 308). Default `false`; per request too. */
  readonly followRedirects?: boolean | undefined
  /** Most redirects one request follows. Default 20 (as fetch). */
  readonly maxRedirects?: number | undefined
  /** Keep a cookie jar: store `Set-Cookie`, send `Cookie`. Default `true`. */
  readonly cookies?: boolean | undefined
  /**
   * Scheme, host and mount of every request whose path is not a full URL. Default
   * `'http://127.0.0.1'` (`setupTestingDefaults`' host); its path, percent-decoded, is
   * `SCRIPT_NAME` unless `scriptName` is given.
   */
  readonly baseURL?: string | undefined
  /** `SCRIPT_NAME` of every request (a native string, such as `'/app'`). */
  readonly scriptName?: string | undefined
  /** Environ keys for every request, set after the defaults (a request's `environ` wins). */
  readonly environ?: Readonly<Record<string, unknown>> | undefined
}

/** One request in flight. */
interface Exchange {
  readonly run: Promise<void>
  readonly head: (
    status: string,
    headers: HeaderList,
    history: readonly TestResponse[],
  ) => ResponseHead
  readonly controller: AbortController
}

// When the handler finished before any header went out (BaseHandler always sends them, so only a
// broken subclass could get here), the stream has nothing to show.
function noHead(): never {
  throw new WSGIError(
    'ERR_WSGI_NO_START_RESPONSE',
    'The application returned without calling startResponse()',
  )
}

/**
 * Calls a gateway application in process and gives back structured responses.
 *
 * Each request gets the environ a real server would build: the keys of `setupTestingDefaults`
 * (`SERVER_NAME` `'127.0.0.1'`, `SERVER_PORT` `'80'`, `SERVER_PROTOCOL` `'HTTP/1.0'`,
 * `HTTP_HOST`, the `wsgi.*` flags all false), plus `REMOTE_ADDR` `'127.0.0.1'`, `QUERY_STRING`
 * (always present), `CONTENT_TYPE` and `CONTENT_LENGTH` when there is a body, one `HTTP_*` key
 * per request header, `wsgi.input` over the body (`wsgi.input_terminated` is true),
 * `wsgi.errors` (captured: `response.errors`), `wsgi.file_wrapper`, `wsgits.signal` (fires when
 * a streamed response is closed before its end) and `wsgits.add_trailers` (`response.trailers`).
 *
 * The path of a request is relative to the mount: it becomes `PATH_INFO`, percent-decoded as
 * PEP 3333 wants it (`/caf%C3%A9` and `/café` both give `'/caf\xc3\xa9'`). A full URL
 * (`https://example.com/app/x`) sets the scheme and host too, and its path is cut at the mount.
 *
 * As a server does, the handler sends no body for `HEAD` and for 1xx, 204, 205 and 304 responses,
 * calls the body's `close()` exactly once, and adds `Content-Length` to a one-chunk array body.
 *
 * @example
 * ```ts
 * const client = new TestClient(app, { followRedirects: true })
 * await client.post('/login', { form: { user: 'ann', password: 'secret' } })
 * const res = await client.get('/account') // sends the session cookie the login set
 * res.history.length // redirects followed on the way
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` from the constructor for an application that is
 *   not a function or bad options.
 */
export class TestClient {
  /** The cookies kept across requests (empty and unused when `cookies` is `false`). */
  readonly cookies: CookieJar = new CookieJar()
  readonly #app: WSGIApplication
  readonly #defaults: RequestDefaults
  readonly #throwErrors: boolean
  readonly #followRedirects: boolean
  readonly #maxRedirects: number
  readonly #useCookies: boolean
  readonly #environ: Readonly<Record<string, unknown>>

  constructor(app: WSGIApplication, options: TestClientOptions = {}) {
    if (typeof app !== 'function') {
      throw invalidArgType(`app must be a function (got ${describe(app)})`)
    }
    const maxRedirects = options.maxRedirects ?? 20
    if (!Number.isInteger(maxRedirects) || maxRedirects < 0) {
      throw invalidArgType(`maxRedirects must be an integer >= 0 (got ${describe(maxRedirects)})`)
    }
    this.#app = options.validate === false ? app : validator(app)
    this.#defaults = requestDefaults(options.baseURL, options.scriptName)
    this.#throwErrors = options.throwErrors ?? true
    this.#followRedirects = options.followRedirects ?? false
    this.#maxRedirects = maxRedirects
    this.#useCookies = options.cookies ?? true
    this.#environ = options.environ ?? {}
  }

  /** A `GET` request. */
  get(path: string, options?: TestRequestOptions): Promise<TestResponse> {
    return this.request('GET', path, options)
  }

  /** A `HEAD` request: the headers of a `GET`, no body. */
  head(path: string, options?: TestRequestOptions): Promise<TestResponse> {
    return this.request('HEAD', path, options)
  }

  /** A `POST` request. */
  post(path: string, options?: TestRequestOptions): Promise<TestResponse> {
    return this.request('POST', path, options)
  }

  /** A `PUT` request. */
  put(path: string, options?: TestRequestOptions): Promise<TestResponse> {
    return this.request('PUT', path, options)
  }

  /** A `PATCH` request. */
  patch(path: string, options?: TestRequestOptions): Promise<TestResponse> {
    return this.request('PATCH', path, options)
  }

  /** A `DELETE` request. */
  delete(path: string, options?: TestRequestOptions): Promise<TestResponse> {
    return this.request('DELETE', path, options)
  }

  /** An `OPTIONS` request. */
  options(path: string, options?: TestRequestOptions): Promise<TestResponse> {
    return this.request('OPTIONS', path, options)
  }

  /**
   * Send a request and read the whole response.
   *
   * @param method - any HTTP method token (`'GET'`, `'PROPFIND'`…)
   * @param path - `'/path?query'` relative to the mount, or a full `http(s)://` URL
   * @throws the application's error (with `throwErrors`, the default).
   * @throws WSGIError `ERR_WSGI_TOO_MANY_REDIRECTS` when following more than `maxRedirects`.
   * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` for a bad method, path or options.
   */
  async request(
    method: string,
    path: string,
    options: TestRequestOptions = {},
  ): Promise<TestResponse> {
    let request = prepareRequest(method, path, options, this.#defaults)
    const follow = options.followRedirects ?? this.#followRedirects
    const history: TestResponse[] = []
    for (;;) {
      const sink = new CollectingSink()
      const exchange = this.#start(request, sink)
      await exchange.run
      const head = exchange.head(sink.status, sink.headers, history.slice())
      const response = new TestResponse(head, concatBytes(sink.chunks))
      const next = follow
        ? this.#redirect(request, response.statusCode, response.headers, history.length)
        : undefined
      if (next === undefined) return response
      history.push(response)
      request = next
    }
  }

  /**
   * Send a request and resolve as soon as the status and headers are known; the body is then
   * read chunk by chunk from the {@link StreamingTestResponse}, with backpressure (the
   * application produces the next chunk only when the previous one was read).
   *
   * Followed redirects are read whole before the next request.
   *
   * @throws the application's error when it fails before the headers (with `throwErrors`).
   * @throws WSGIError `ERR_WSGI_TOO_MANY_REDIRECTS` when following more than `maxRedirects`.
   */
  async stream(
    method: string,
    path: string,
    options: TestRequestOptions = {},
  ): Promise<StreamingTestResponse> {
    let request = prepareRequest(method, path, options, this.#defaults)
    const follow = options.followRedirects ?? this.#followRedirects
    const history: TestResponse[] = []
    for (;;) {
      const channel = new ChannelSink()
      const exchange = this.#start(request, channel)
      let settled = false
      const done = exchange.run.then(
        () => {
          settled = true
          channel.end()
        },
        (error: unknown) => {
          settled = true
          channel.end(error)
        },
      )
      // The run can fail before any header: then its error is the answer.
      const [status, headers] = await Promise.race([channel.head$, exchange.run.then(noHead)])
      const head = exchange.head(status, headers, history.slice())
      const response = new StreamingTestResponse(head, {
        channel,
        settled: done,
        isSettled: () => settled,
        abort: () => {
          exchange.controller.abort()
        },
      })
      const next = follow
        ? this.#redirect(request, response.statusCode, response.headers, history.length)
        : undefined
      if (next === undefined) return response
      history.push(new TestResponse(head, await response.bytes()))
      request = next
    }
  }

  /**
   * The next request of a followed redirect, or undefined when there is none to follow.
   *
   * @throws WSGIError `ERR_WSGI_TOO_MANY_REDIRECTS` when `followed` reached `maxRedirects`.
   */
  #redirect(
    request: PreparedRequest,
    statusCode: number,
    headers: Headers,
    followed: number,
  ): PreparedRequest | undefined {
    const location = headers.get('Location')
    if (!isRedirect(statusCode) || location === undefined) return undefined
    const next = redirectRequest(request, statusCode, location)
    if (next !== undefined && followed >= this.#maxRedirects) {
      throw new WSGIError(
        'ERR_WSGI_TOO_MANY_REDIRECTS',
        `Exceeded ${this.#maxRedirects} redirects (last Location: ${location})`,
      )
    }
    return next
  }

  /** Start one request: build its environ, run the handler, store cookies once the head is out. */
  #start(request: PreparedRequest, sink: ResponseSink): Exchange {
    const url = requestURL(request)
    const cookie = this.#useCookies ? this.cookies.cookieHeader(url) : undefined
    const errors = new StringErrorStream()
    const controller = new AbortController()
    const trailers: HeaderList = []
    const body = request.body?.source
    const handler = new TestHandler({
      cgi: cgiVariables(request, cookie),
      extras: {
        'wsgits.signal': controller.signal,
        'wsgits.add_trailers': (list: HeaderList): void => {
          trailers.push(...new Headers(list).items())
        },
        ...this.#environ,
        ...request.environ,
      },
      stdin: new InputReader(body === undefined ? [] : body instanceof Uint8Array ? [body] : body),
      stderr: errors,
      scheme: request.scheme,
      sink,
      throwErrors: this.#throwErrors,
    })
    const head = (
      status: string,
      headers: HeaderList,
      history: readonly TestResponse[],
    ): ResponseHead => {
      if (this.#useCookies) {
        this.cookies.storeResponseCookies(new Headers(headers).getAll('Set-Cookie'), url)
      }
      return {
        status,
        headers,
        environ: handler.requestEnviron as WSGIEnvironment,
        url: url.href,
        errors,
        trailers,
        history,
      }
    }
    return { run: handler.run(this.#app), head, controller }
  }
}
