/**
 * Carry what gateway middleware changed in the environ over to the Koa context, for the Koa
 * middleware downstream of `toKoaMiddleware`, and put it back afterwards (as koa-mount puts
 * `ctx.path` back).
 *
 * Carried: `REQUEST_METHOD` (`ctx.method`), `PATH_INFO` (`ctx.path`, as koa-mount sets it: the
 * path below the mount point), `QUERY_STRING` (`ctx.querystring`), `REMOTE_ADDR` (`ctx.ip`), and
 * the request headers (`HTTP_*`, `CONTENT_TYPE`, `CONTENT_LENGTH`). Every other key stays in the
 * environ, which downstream Koa middleware reads with `environOf(ctx)`.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http'

import type Koa from 'koa'

import type { WSGIEnvironment } from '@wsgi/core/types'
import { headerName } from '@wsgi/core/util'

import { quoteLatin1Path } from './url.ts'

/** The environ keys this module carries over, as the handler first made them. */
export interface RequestSnapshot {
  readonly method: unknown
  readonly scriptName: unknown
  readonly pathInfo: unknown
  readonly query: unknown
  readonly remoteAddr: unknown
  readonly headers: ReadonlyMap<string, unknown>
}

/** Remember the values of the carried keys, before any middleware ran. */
export function snapshotOf(environ: WSGIEnvironment): RequestSnapshot {
  const headers = new Map<string, unknown>()
  for (const key of Object.keys(environ)) {
    if (headerName(key) !== undefined) headers.set(key, environ[key])
  }
  return {
    method: environ.REQUEST_METHOD,
    scriptName: environ.SCRIPT_NAME,
    pathInfo: environ.PATH_INFO,
    query: environ.QUERY_STRING,
    remoteAddr: environ.REMOTE_ADDR,
    headers,
  }
}

/** The request headers with the environ's changes made, or undefined when nothing changed. */
function changedHeaders(
  current: IncomingHttpHeaders,
  environ: WSGIEnvironment,
  before: ReadonlyMap<string, unknown>,
): IncomingHttpHeaders | undefined {
  let next: IncomingHttpHeaders | undefined
  for (const key of before.keys()) {
    const name = headerName(key)
    if (name === undefined || environ[key] !== undefined) continue
    next ??= { ...current }
    Reflect.deleteProperty(next, name)
  }
  for (const key of Object.keys(environ)) {
    // The name first: reading every value would call the environ's lazy accessors
    // (`wsgits.signal` makes an AbortController per request when read).
    const name = headerName(key)
    if (name === undefined) continue
    const value = environ[key]
    if (typeof value !== 'string' || before.get(key) === value) continue
    next ??= { ...current }
    next[name] = value
  }
  return next
}

/**
 * Make `ctx` show what the environ says where gateway middleware changed it; the returned
 * function undoes it.
 */
export function applyEnviron(
  ctx: Koa.ParameterizedContext,
  environ: WSGIEnvironment,
  before: RequestSnapshot,
): () => void {
  const undo: (() => void)[] = []
  const method = environ.REQUEST_METHOD
  if (method !== before.method && typeof method === 'string') {
    const previous = ctx.method
    ctx.method = method
    undo.push(() => (ctx.method = previous))
  }
  const { SCRIPT_NAME: scriptName, PATH_INFO: pathInfo } = environ
  if (
    (pathInfo !== before.pathInfo || scriptName !== before.scriptName) &&
    typeof pathInfo === 'string'
  ) {
    const previous = ctx.path
    ctx.path = quoteLatin1Path(pathInfo) || '/'
    undo.push(() => (ctx.path = previous))
  }
  const query = environ.QUERY_STRING
  if (query !== before.query && typeof query === 'string') {
    const previous = ctx.querystring
    ctx.querystring = query
    undo.push(() => (ctx.querystring = previous))
  }
  const remoteAddr = environ.REMOTE_ADDR
  if (remoteAddr !== before.remoteAddr && typeof remoteAddr === 'string') {
    const previous = ctx.request.ip
    ctx.request.ip = remoteAddr
    undo.push(() => (ctx.request.ip = previous))
  }
  const req = ctx.req
  const headers = changedHeaders(req.headers, environ, before.headers)
  if (headers !== undefined) {
    const previous = req.headers
    req.headers = headers
    undo.push(() => (req.headers = previous))
  }
  return () => {
    for (let i = undo.length - 1; i >= 0; i--) undo[i]?.()
  }
}
