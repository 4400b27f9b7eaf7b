/**
 * Carry a gateway middleware's header changes (`HTTP_*`, CONTENT_TYPE, CONTENT_LENGTH in the
 * environ it handed on) back onto the Node request Fastify goes on to read.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'

import type { WSGIEnvironment } from '@wsgi/core/types'
import { headerName } from '@wsgi/core/util'

/** Header keys of an environ (`HTTP_*`, CONTENT_TYPE, CONTENT_LENGTH) and their values. */
export function headerKeys(environ: Readonly<Record<string, unknown>>): Map<string, string> {
  const keys = new Map<string, string>()
  for (const key of Object.keys(environ)) {
    const value = environ[key]
    if (typeof value !== 'string') continue
    if (headerName(key) !== undefined) keys.set(key, value)
  }
  return keys
}

/**
 * Set (or, for `undefined`, remove) request headers in both `req.headers` (what Fastify reads)
 * and `req.rawHeaders` (what an environ is built from).
 */
function setRequestHeaders(
  req: IncomingMessage,
  changed: ReadonlyMap<string, string | undefined>,
): void {
  const headers = req.headers
  const raw: string[] = []
  const old = req.rawHeaders
  for (let i = 0; i + 1 < old.length; i += 2) {
    const name = old[i]
    const value = old[i + 1]
    if (name === undefined || value === undefined) continue
    if (!changed.has(name.toLowerCase())) raw.push(name, value)
  }
  for (const [name, value] of changed) {
    if (value === undefined) {
      Reflect.deleteProperty(headers, name)
    } else {
      headers[name] = value
      raw.push(name, value)
    }
  }
  req.rawHeaders = raw
}

/**
 * Put on `req` every header key that differs between `before` (the environ's header keys as
 * built) and `environ` (what the middleware handed on): changed and added ones set, removed ones
 * deleted.
 */
export function applyHeaderChanges(
  req: IncomingMessage,
  before: ReadonlyMap<string, string>,
  environ: WSGIEnvironment,
): void {
  const after = headerKeys(environ)
  const changed = new Map<string, string | undefined>()
  for (const [key, value] of after) {
    const name = headerName(key)
    if (name !== undefined && before.get(key) !== value) changed.set(name, value)
  }
  for (const key of before.keys()) {
    const name = headerName(key)
    if (name !== undefined && !after.has(key)) changed.set(name, undefined)
  }
  if (changed.size > 0) setRequestHeaders(req, changed)
}
