/**
 * The `wsgits.*` extension keys of a Node request's environ: the client-abort signal (made on
 * first read), the trailer function, and the native request and response. Split from
 * `environ.ts`, which computes the CGI variables.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import type { HeaderList } from '../types.ts'
/** Environ key of the client-abort signal. */
export const SIGNAL_KEY = 'wsgits.signal'
/** Environ key of the trailer function. */
export const ADD_TRAILERS_KEY = 'wsgits.add_trailers'
/** Environ key of the native `IncomingMessage`. */
export const NODE_REQUEST_KEY = 'wsgits.node_request'
/** Environ key of the native `ServerResponse`. */
export const NODE_RESPONSE_KEY = 'wsgits.node_response'

const kSignal = Symbol('wsgits.signal')

interface SignalHolder {
  [kSignal]?: AbortSignal
}

/**
 * An `AbortSignal` that fires when the client of `res` went away before the response ended, and
 * only then: the response closed while not ended, or the request failed (the client aborted an
 * upload). It never fires after a response that ended normally. One signal per response.
 *
 * Divergence from the native `req.signal` (Node 24+): that one fired on every completed POST in
 * some releases (nodejs/node#63532, #64390) and, once fixed, no longer fires when the client
 * leaves during the download (nodejs/node#64392), so it is not used.
 */
export function clientAbortSignal(req: IncomingMessage, res: ServerResponse): AbortSignal {
  const holder = res as ServerResponse & SignalHolder
  const existing = holder[kSignal]
  if (existing !== undefined) return existing
  const controller = new AbortController()
  const signal = controller.signal
  holder[kSignal] = signal
  if (res.writableEnded) return signal
  if (res.destroyed || req.errored !== null) {
    controller.abort()
    return signal
  }
  const onClose = (): void => {
    req.off('error', onError)
    if (!res.writableEnded) controller.abort()
  }
  const onError = (): void => {
    if (!res.writableEnded) controller.abort()
  }
  res.once('close', onClose)
  req.on('error', onError)
  return signal
}

// The accessors of `wsgits.signal`: one shared pair, so defining the key costs no closure. The
// signal is made on first read only (an AbortController per request would cost more than the
// rest of the environ).
function getSignal(this: Record<string, unknown>): AbortSignal {
  return clientAbortSignal(
    this[NODE_REQUEST_KEY] as IncomingMessage,
    this[NODE_RESPONSE_KEY] as ServerResponse,
  )
}

function setSignal(this: Record<string, unknown>, value: unknown): void {
  // Middleware may replace the signal (for example with AbortSignal.any([...])).
  Object.defineProperty(this, SIGNAL_KEY, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  })
}

/**
 * The native response of `env` when its `wsgits.signal` is still the unread lazy accessor that
 * {@link addExtensionEnviron} defined; undefined for any other environ (another server's, a copy,
 * one whose signal was read or replaced by middleware).
 *
 * For a bridge that only needs to know when the client went away (`fromNodeListener`): the
 * response's `'close'` while not `writableEnded` (see {@link clientLeft}) is exactly when the
 * signal would fire, and listening for it costs far less than making the signal.
 */
export function unreadSignalResponse(
  env: Readonly<Record<string, unknown>>,
): ServerResponse | undefined {
  const res = env[NODE_RESPONSE_KEY] as (ServerResponse & SignalHolder) | undefined
  if (res === undefined || res[kSignal] !== undefined) return undefined
  return Object.getOwnPropertyDescriptor(env, SIGNAL_KEY)?.get === getSignal ? res : undefined
}

/**
 * True when the client of `res` went away before the response ended: what makes
 * {@link clientAbortSignal} fire, read without making the signal.
 */
export function clientLeft(res: ServerResponse): boolean {
  if (res.writableEnded) return false
  return res.destroyed || res.req.errored !== null
}

const SIGNAL_DESCRIPTOR: PropertyDescriptor = {
  get: getSignal,
  set: setSignal,
  enumerable: true,
  configurable: true,
}

/**
 * Add the `wsgits.*` extension keys for a Node request to `env`:
 *
 * | key | value |
 * |---|---|
 * | `wsgits.signal` | {@link clientAbortSignal}, made on first read |
 * | `wsgits.add_trailers` | `(trailers: HeaderList) => void`: `res.addTrailers()`; trailers are sent only with a chunked response (HTTP/1.1, no `Content-Length`) |
 * | `wsgits.node_request` | the `IncomingMessage` |
 * | `wsgits.node_response` | the `ServerResponse` |
 */
export function addExtensionEnviron(
  env: Record<string, unknown>,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  env[NODE_REQUEST_KEY] = req
  env[NODE_RESPONSE_KEY] = res
  env[ADD_TRAILERS_KEY] = function addTrailers(trailers: HeaderList): void {
    res.addTrailers(trailers)
  }
  Object.defineProperty(env, SIGNAL_KEY, SIGNAL_DESCRIPTOR)
}
