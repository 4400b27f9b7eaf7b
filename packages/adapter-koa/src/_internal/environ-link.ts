/**
 * The environ behind a synthetic Koa request, for a Koa app that runs as a gateway app
 * (`fromKoa`, `fromKoaMiddleware`).
 *
 * `fromKoa` records the environ of each request it serves; `environOf(ctx)` (`environ-of.ts`)
 * gives it to Koa middleware, and a gateway app mounted further in with `toKoa` starts from it, so keys that no
 * HTTP request can carry (`REMOTE_USER`, `SERVER_NAME`, extension keys set by outer gateway
 * middleware) reach the inner app.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'

import type { WSGIEnvironment } from '@wsgi/core/types'

// On the request itself, not in a WeakMap: V8's scavenger keeps the value of an entry in an
// old-space table alive, and the environ reaches its request again (`wsgits.node_request`), so
// every request's objects were promoted and freed only by a mark-compact (issue 16: GC at a
// quarter of `fromKoa`'s time).
const kEnviron = Symbol('wsgits.koaEnviron')

interface EnvironLinked {
  [kEnviron]?: WSGIEnvironment | undefined
}

/** Record that `req` was made from `environ` (or forget it, with `undefined`). */
export function linkEnviron(req: IncomingMessage, environ: WSGIEnvironment | undefined): void {
  ;(req as IncomingMessage & EnvironLinked)[kEnviron] = environ
}

/**
 * The environ `req` was made from (see `linkEnviron`), or `undefined`. The public form is
 * `environOf(ctx)` in `environ-of.ts`.
 */
export function linkedEnviron(req: IncomingMessage): WSGIEnvironment | undefined {
  return (req as IncomingMessage & EnvironLinked)[kEnviron]
}

/**
 * Keys of an outer environ that the Koa request carries itself, so the inner environ rebuilds
 * them from the request as Koa middleware may have changed it (headers, path, method, body).
 */
function isRebuilt(key: string): boolean {
  switch (key) {
    case 'REQUEST_METHOD':
    case 'SCRIPT_NAME':
    case 'PATH_INFO':
    case 'QUERY_STRING':
    case 'CONTENT_TYPE':
    case 'CONTENT_LENGTH':
    case 'SERVER_PROTOCOL':
    case 'REMOTE_ADDR':
    case 'REMOTE_PORT':
    case 'wsgits.signal':
    case 'wsgits.add_trailers':
    case 'wsgits.node_request':
    case 'wsgits.node_response':
    case 'wsgits.koa_context':
      return true
    default:
      return key.startsWith('HTTP_') || key.startsWith('wsgi.')
  }
}

/**
 * The keys of the environ behind `req` that an inner gateway app should inherit, or an empty
 * object when `req` came from a real server.
 */
export function inheritedEnviron(req: IncomingMessage): Record<string, unknown> {
  const outer = linkedEnviron(req) as Record<string, unknown> | undefined
  const base: Record<string, unknown> = {}
  if (outer === undefined) return base
  for (const key of Object.keys(outer)) {
    if (!isRebuilt(key)) base[key] = outer[key]
  }
  return base
}
