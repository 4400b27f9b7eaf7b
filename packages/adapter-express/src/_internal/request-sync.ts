/**
 * Keeping an environ and an Express request in step when middleware on one side changes the
 * request (method, path, query, headers) before the other side runs.
 *
 * @module
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'

import type { WSGIEnvironment } from '@wsgi/core/types'
import { environKey, headerName, unquoteLatin1 } from '@wsgi/core/util'

import { pathOf, quotePath } from './url.ts'

/** What a request looked like at one moment, to find out later what middleware changed. */
export interface RequestSnapshot {
  readonly method: string | undefined
  readonly url: string | undefined
  readonly headers: Readonly<IncomingHttpHeaders>
}

/** Take a {@link RequestSnapshot} of `req` (the header object is copied, not its values). */
export function snapshotRequest(req: IncomingMessage): RequestSnapshot {
  return { method: req.method, url: req.url, headers: { ...req.headers } }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}

/**
 * `base` with what middleware changed on `req` since `before`: `REQUEST_METHOD` from
 * `req.method`; `PATH_INFO`/`QUERY_STRING` from `req.url` (relative to the mount, so
 * `SCRIPT_NAME` stays); one environ key per request header added, changed or removed in
 * `req.headers`. Everything else of `base` is kept as it is (extension keys included).
 */
export function environWithChanges(
  base: WSGIEnvironment,
  req: IncomingMessage,
  before: RequestSnapshot,
): WSGIEnvironment {
  const env = copyEnviron(base)
  if (req.method !== undefined && req.method !== before.method) env.REQUEST_METHOD = req.method
  const url = req.url
  if (url !== undefined && url !== before.url) {
    const question = url.indexOf('?')
    env.PATH_INFO = unquoteLatin1(pathOf(url))
    env.QUERY_STRING = question < 0 ? '' : url.slice(question + 1)
  }
  const now = req.headers
  for (const name of new Set([...Object.keys(before.headers), ...Object.keys(now)])) {
    const value = headerValue(now[name])
    if (value === headerValue(before.headers[name])) continue
    const key = environKey(name)
    if (value === undefined) Reflect.deleteProperty(env, key)
    else env[key] = value
  }
  return env
}

/**
 * A shallow copy of an environ that keeps accessors as accessors: a spread would call them (the
 * lazy `wsgits.signal` would make its AbortController for every request).
 */
export function copyEnviron(environ: WSGIEnvironment): WSGIEnvironment {
  // Key by key, data properties by plain assignment: `Object.defineProperties` with every
  // descriptor took about 35 µs for a 40-key environ (and left a dictionary-mode object), this
  // about 5 µs.
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(environ)) {
    const descriptor = Object.getOwnPropertyDescriptor(environ, key)
    if (descriptor === undefined) continue
    if (descriptor.get === undefined && descriptor.set === undefined) copy[key] = descriptor.value
    else Object.defineProperty(copy, key, descriptor)
  }
  return copy as WSGIEnvironment
}

/** The request-describing keys of an environ, to find out later what middleware changed. */
export type EnvironSnapshot = Readonly<Record<string, unknown>>

/** Copy the keys of `environ` that describe the request (method, path, query, headers). */
export function snapshotEnviron(environ: WSGIEnvironment): EnvironSnapshot {
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(environ)) {
    if (
      key === 'REQUEST_METHOD' ||
      key === 'PATH_INFO' ||
      key === 'QUERY_STRING' ||
      headerName(key) !== undefined
    ) {
      copy[key] = environ[key]
    }
  }
  return copy
}

/**
 * Carry what gateway middleware changed in the environ since `before` over to `req`, so the
 * Express handlers after it see it: `req.method`, `req.url` (from `PATH_INFO` and
 * `QUERY_STRING`), and `req.headers`. `SCRIPT_NAME` changes are not carried (Express's router
 * owns `req.baseUrl`), nor is a replaced `wsgi.input`.
 */
export function applyEnvironChanges(
  req: IncomingMessage,
  before: EnvironSnapshot,
  after: WSGIEnvironment,
): void {
  if (after.REQUEST_METHOD !== before['REQUEST_METHOD']) req.method = after.REQUEST_METHOD
  if (after.PATH_INFO !== before['PATH_INFO'] || after.QUERY_STRING !== before['QUERY_STRING']) {
    const path = quotePath(after.PATH_INFO ?? '')
    const query = after.QUERY_STRING ?? ''
    req.url = (path === '' ? '/' : path) + (query === '' ? '' : `?${query}`)
  }
  const keys = new Set(Object.keys(before))
  for (const key of Object.keys(after)) if (headerName(key) !== undefined) keys.add(key)
  for (const key of keys) {
    const name = headerName(key)
    if (name === undefined || after[key] === before[key]) continue
    const value = after[key]
    if (typeof value === 'string') req.headers[name] = value
    else Reflect.deleteProperty(req.headers, name)
  }
}
