/**
 * The options of {@link NodeHandler} and the types around it, apart from the class.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import type { ErrorStream } from '../types.ts'
import type { NodeHandler } from './handler.ts'

/** What Express and Connect pass as the third argument of a middleware. */
export type NextFunction = (error?: unknown) => void

/** Options of {@link NodeHandler} (and of {@link toNodeListener}). */
export interface NodeHandlerOptions {
  /** `SCRIPT_NAME`: the mount point of the app, cut off the front of `PATH_INFO`. Default `''`. */
  readonly scriptName?: string | undefined
  /** `SERVER_NAME`. Default: from the `Host` header, else the socket's local address. */
  readonly serverName?: string | undefined
  /** The `Server` response header and `SERVER_SOFTWARE`. Default: none. */
  readonly serverSoftware?: string | undefined
  /** `wsgi.errors`, where application errors are logged. Default: `process.stderr`. */
  readonly errors?: ErrorStream | undefined
  /**
   * `wsgi.multithread`. Default `false`: Node never runs two calls of the app in parallel. Calls
   * do interleave at each `await`, so per-request state must not live in module globals across
   * an `await` (true of any Node code).
   */
  readonly multithread?: boolean | undefined
  /** `wsgi.multiprocess`. Default `false`; set it when running under `node:cluster`. */
  readonly multiprocess?: boolean | undefined
  /** Most request body bytes `wsgi.input` delivers; more fails with `ERR_WSGI_BODY_TOO_LARGE`. */
  readonly inputLimit?: number | undefined
  /**
   * After the response, request body bytes the app left unread are read and dropped, up to this
   * many, so the connection can serve the next request; beyond it the connection is closed
   * (gently: see `drainTimeout`). A response sent whole while more than this is still announced
   * (`Content-Length`) says `Connection: close`. Default 1 MiB (1048576).
   */
  readonly drainLimit?: number | undefined
  /**
   * Most milliseconds the unread request body is drained (or, once the connection is closing,
   * still read and dropped so that the client gets the answer rather than a reset) after the
   * response; then the connection is closed. A client that stops sending mid-body holds the
   * connection no longer than this. Default 5000.
   */
  readonly drainTimeout?: number | undefined
  /**
   * Called instead of logging and answering 500 when the app fails before its response started;
   * it then owns the response. The Express adapter passes `next` here to reach Express's error
   * handlers. Errors after the response started always cut the connection.
   */
  readonly onError?:
    | ((error: unknown, req: IncomingMessage, res: ServerResponse, next?: NextFunction) => void)
    | undefined
}

/** A class that can stand in for {@link NodeHandler} (`toNodeListener`'s `handlerClass`). */
export type NodeHandlerClass = new (
  req: IncomingMessage,
  res: ServerResponse,
  options?: NodeHandlerOptions,
  next?: NextFunction,
) => NodeHandler
