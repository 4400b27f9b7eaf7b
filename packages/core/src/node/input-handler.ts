/**
 * `NodeInputHandler`: the request half of {@link NodeHandler}, split from it by concern. It
 * holds the Node request and response and the options, builds the environ, gives `wsgi.input`
 * (`100 Continue` on first read, the input limit) and `wsgi.errors`, and after the response
 * drains the request body the app left unread, or closes the connection (`drainLimit`,
 * `drainTimeout`). It stands on core's Node-free `HostHandler` (the deferred head, the one-chunk
 * path); `NodeHandler` adds the response half: the transport hooks over `res`. Not exported from
 * `/node`: subclass `NodeHandler`.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'

import { isWSGIError } from '../errors.ts'
import { HostHandler } from '../handlers/host-handler.ts'
import type { Headers } from '../headers.ts'
import type { ErrorStream, HeaderList, InputStream, WSGIEnvironment } from '../types.ts'
import { TextErrorStream } from '../_internal/error-stream.ts'
import { InputReader } from '../_internal/input.ts'
import { expectsContinue, fillRequestEnviron } from './environ.ts'
import type { RequestEnvironOptions } from './environ.ts'
import { addExtensionEnviron } from './extension-environ.ts'
import type { NextFunction, NodeHandlerOptions } from './handler-options.ts'
import {
  ListHeaders,
  RequestBody,
  announcesBody,
  drainOrClose,
  dropUnset,
  lingerClose,
  newEnviron,
} from './handler-support.ts'
import { bodyPassedOn, noteInputRequest } from './request-body.ts'
import { parseDecimal } from './synthetic-socket.ts'

const DEFAULT_DRAIN_LIMIT = 1024 * 1024
const DEFAULT_DRAIN_TIMEOUT = 5000
let defaultErrors: ErrorStream | undefined

/**
 * The request half of {@link NodeHandler} (see the module notes); abstract, as the response half
 * (`sendHead`, `_write`, `endResponse`) is `NodeHandler`'s.
 */
export abstract class NodeInputHandler extends HostHandler {
  override headersClass: new (headers?: HeaderList) => Headers = ListHeaders
  override wsgiMultithread = false
  override wsgiMultiprocess = false
  /** The request. */
  readonly request: IncomingMessage
  /** The response. */
  readonly response: ServerResponse
  /** Express/Connect's `next`, when the listener was called as middleware; unused by default. */
  readonly next: NextFunction | undefined
  /** The options this handler was made with. */
  protected readonly options: NodeHandlerOptions
  #body: RequestBody | undefined = undefined
  #input: InputReader | undefined = undefined
  // The response says Connection: close because of an unread body (see closesForUnreadBody).
  #closing = false
  // The environ may hold keys besides the CGI ones (from osEnviron): see setupEnviron().
  #customBase = true

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    options: NodeHandlerOptions = {},
    next?: NextFunction,
  ) {
    super()
    this.request = req
    this.response = res
    this.next = next
    this.options = options
    this.httpVersion = req.httpVersion
    this.serverSoftware = options.serverSoftware
    if (options.multithread !== undefined) this.wsgiMultithread = options.multithread
    if (options.multiprocess !== undefined) this.wsgiMultiprocess = options.multiprocess
  }

  /**
   * As `BaseHandler#setupEnviron` (`osEnviron`, then `addCgiVars()`, then the `wsgi.*` keys), on
   * an object that starts with every key a request always has, in one order. V8 then keeps it a
   * fast object; built key by key (most keys are computed: HTTP_*), it would turn into a slow
   * dictionary on every request.
   */
  override setupEnviron(): void {
    const env = newEnviron()
    const os = this.osEnviron
    let custom = false
    for (const key in os) {
      env[key] = os[key]
      custom = true
    }
    this.#customBase = custom
    this.environ = env as WSGIEnvironment
    this.addCgiVars()
    this.addWSGIVars()
    dropUnset(env)
  }

  /** The environ's CGI variables from the request, then the `wsgits.*` keys. */
  override addCgiVars(): void {
    const env = this.environ as Record<string, unknown>
    fillRequestEnviron(env, this.request, this.options, this.#customBase)
    this.addExtensionVars()
  }

  /**
   * The CGI variables of the request (as core's `addRequestEnviron`), told what
   * {@link setupEnviron} knows of the environ's other keys, so none is searched for per header:
   * for a subclass whose `addCgiVars` does not call this class's (the Fastify adapter's, with a
   * mount of its own).
   */
  protected addRequestVars(options: RequestEnvironOptions | undefined): void {
    const env = this.environ as Record<string, unknown>
    fillRequestEnviron(env, this.request, options, this.#customBase)
  }

  /**
   * Add `wsgi.input_terminated` (the input ends by itself, chunked or not) and the `wsgits.*`
   * keys (signal, trailers, native objects). Override to add your own.
   */
  protected addExtensionVars(): void {
    const env = this.environ as Record<string, unknown>
    env['wsgi.input_terminated'] = true
    addExtensionEnviron(env, this.request, this.response)
  }

  /** `wsgi.input`: an `InputReader` over the request, sending `100 Continue` on first read. */
  override getStdin(): InputStream {
    if (this.#input !== undefined) return this.#input
    const body = new RequestBody(this.request)
    const limit = this.options.inputLimit
    const env = this.environ
    this.#body = body
    this.#input =
      env !== undefined && expectsContinue(env)
        ? new InputReader(body, {
            onFirstRead: () => {
              this.#sendContinue()
            },
            limit: limit ?? Infinity,
          })
        : limit === undefined
          ? new InputReader(body)
          : new InputReader(body, { limit })
    noteInputRequest(this.#input, this.request)
    return this.#input
  }

  /** `wsgi.errors`: the `errors` option, else `process.stderr`. */
  override getStderr(): ErrorStream {
    return this.options.errors ?? (defaultErrors ??= new TextErrorStream(process.stderr))
  }

  /** Also true when reading `wsgi.input` failed because the client went away. */
  protected override isClientDisconnect(error: unknown): boolean {
    if (super.isClientDisconnect(error)) return true
    return (
      isWSGIError(error) &&
      error.code === 'ERR_WSGI_INPUT_ERROR' &&
      (super.isClientDisconnect(error.cause) || this.response.destroyed)
    )
  }

  /**
   * Someone other than `wsgi.input` started reading the request (a listener on `fromNodeListener`'s
   * pass-through reads the server's own request): what the first read of `wsgi.input` does
   * happens here, `100 Continue` when the client waits for it, and the body counts as started
   * for {@link drainUnreadBody}.
   */
  protected bodyReadElsewhere(): void {
    const body = this.#body
    if (body !== undefined) body.started = true
    const env = this.environ
    if (env !== undefined && expectsContinue(env)) this.#sendContinue()
  }

  #sendContinue(): void {
    const res = this.response as ServerResponse & { _sent100?: boolean }
    // Node sends 100 by itself when the server has no 'checkContinue' listener; then _sent100
    // is set and nothing more is needed. After the final status it is too late to ask for a body.
    if (!res.headersSent && res._sent100 !== true && !res.destroyed) res.writeContinue()
  }

  /**
   * True (and the connection set to close the lingering way) when the request still announces
   * more unread body bytes than `drainLimit`: draining them would not pay, so the client is told
   * at once that the connection ends with this answer (send `Connection: close` when it says
   * so). Call it only for a response that goes out whole. A chunked body's size is unknown: it
   * is drained, and the connection closed without notice if it turns out larger. False when the
   * request went on down the host's chain (`passBodyOn`): its body is the host's.
   *
   * For a subclass that sends the response itself (the Fastify adapter); `NodeHandler` calls it
   * for its own whole responses.
   */
  protected closesForUnreadBody(): boolean {
    const req = this.request
    const env = this.environ
    if (req.complete || env === undefined || bodyPassedOn(this.#input)) return false
    const length = parseDecimal(env.CONTENT_LENGTH)
    if (length <= (this.options.drainLimit ?? DEFAULT_DRAIN_LIMIT)) return false
    const res = this.response as ServerResponse & { _sent100?: boolean }
    // A client still waiting for 100 Continue sends nothing more; Node closes the connection.
    if (expectsContinue(env) && res._sent100 !== true) return false
    const socket = req.socket as IncomingMessage['socket'] | null
    if (!(socket instanceof Socket)) return false
    this.#closing = true
    // Node ends a `Connection: close` response with socket.destroySoon(): a close with upload
    // bytes still arriving, which the kernel answers with a reset. Close it gently instead.
    socket.destroySoon = () => {
      this.#lingerClose(socket)
    }
    return true
  }

  #lingerClose(socket: Socket): void {
    lingerClose(this.request, socket, this.options.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT, () => {
      if (this.#input === undefined) return
      this.#input.discard().catch(() => {
        // The client went away: the socket is closing anyway.
      })
    })
  }

  /**
   * Make the connection reusable: drop an unread request body, up to `drainLimit` bytes within
   * `drainTimeout` ms, else close the connection (see the class notes). Call it once the app is
   * done with `wsgi.input` and its response complete, before the response's `'finish'` (Node
   * then switches an untouched body to being dropped, however long it takes).
   *
   * For a subclass that sends the response itself (the Fastify adapter); `NodeHandler` calls it
   * when it ends its own response. Nothing when the request went on down the host's chain
   * (`passBodyOn`): the host's body reader owns it, and ends it as its own.
   */
  protected drainUnreadBody(): void {
    const req = this.request
    const body = this.#body
    // The request went on down the host's chain, whose body reader owns it (see passBodyOn).
    if (bodyPassedOn(this.#input)) return
    if (!body?.started) {
      // Nobody read the body: Node drops what already arrived; only a body still on its way
      // needs us (Node would read all of it, however large).
      if (req.complete) return
      const env = this.environ
      // No body announced: the request is complete, though a response sent from inside the
      // 'request' event (a synchronous app) comes before Node marks it so.
      if (env === undefined || !announcesBody(env)) return
      const res = this.response as ServerResponse & { _sent100?: boolean }
      // A client still waiting for 100 Continue sends nothing more; Node closes the connection.
      if (expectsContinue(env) && res._sent100 !== true) return
    } else if (req.readableEnded) {
      return
    }
    // Node calls socket.destroySoon() after the response, which closes the connection gently.
    if (this.#closing) return
    void this.#drain()
  }

  async #drain(): Promise<void> {
    if (this.#input === undefined) this.getStdin()
    const input = this.#input
    if (input === undefined) return
    await drainOrClose(this.request, this.response, input, {
      limit: this.options.drainLimit ?? DEFAULT_DRAIN_LIMIT,
      timeout: this.options.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT,
      linger: (socket) => {
        this.#lingerClose(socket)
      },
    })
  }
}
