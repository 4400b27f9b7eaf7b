/**
 * Environ plumbing shared by both directions: where the mount prefix ends in the path
 * (`SCRIPT_NAME` / `PATH_INFO`), and the environ that `fromFastify` leaves on a request so that a
 * gateway app mounted inside the Fastify app (`toFastify`) continues it instead of starting over.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'

import { utf8ToLatin1 } from '@wsgi/core/util'
import type { InputStream, WSGIEnvironment } from '@wsgi/core/types'

/**
 * The environ of the gateway request a Fastify app is answering, and the SCRIPT_NAME above it.
 *
 * A class, not an object literal, on purpose: V8 may pretenure an object literal's allocation
 * site (allocate it straight in the old generation) once a burst of them survived, as at boot,
 * when the first requests wait for `fastify.ready()`. Such a link, dead but old, then keeps its
 * request's whole young graph (environ, `req`, `res`, Fastify's request and reply) alive through
 * every scavenge until the next mark-compact: about 3.5 KB promoted per request and a third more
 * CPU per request for `fromFastify`. Instances made with `new` are never pretenured.
 */
export class ParentEnviron {
  readonly environ: WSGIEnvironment
  /** What goes in front of the SCRIPT_NAME found inside Fastify (`''` when Fastify saw the full path). */
  readonly base: string
  /** A request body that replaced `request.raw` (set by a gateway middleware further out). */
  readonly input: InputStream | undefined

  constructor(environ: WSGIEnvironment, base: string, input?: InputStream) {
    this.environ = environ
    this.base = base
    this.input = input
  }
}

// Symbol.for: a copy of this package loaded twice (ESM and CJS) must still find the environ.
const kParent = Symbol.for('@wsgi/adapter-fastify.parentEnviron')

interface WithParent {
  [kParent]?: ParentEnviron
}

/** Leave `parent` on `req` for a gateway app further in. */
export function setParentEnviron(req: IncomingMessage, parent: ParentEnviron): void {
  ;(req as IncomingMessage & WithParent)[kParent] = parent
}

/** The environ `fromFastify` (or an outer gateway middleware) left on `req`, if any. */
export function parentEnvironOf(req: IncomingMessage): ParentEnviron | undefined {
  return (req as IncomingMessage & WithParent)[kParent]
}

/**
 * Copy from `parent` the keys `env` lacks: extensions and keys set by outer middleware
 * (`REMOTE_USER`, `wsgits.fetch_next`…). Headers, body and `wsgi.*` keys are always the inner
 * request's own.
 */
export function inheritEnviron(env: Record<string, unknown>, parent: WSGIEnvironment): void {
  for (const key of Object.keys(parent)) {
    if (key in env || key.startsWith('HTTP_') || key.startsWith('wsgi.')) continue
    if (key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH') continue
    env[key] = parent[key]
  }
}

/** A Fastify prefix, ready to split paths with. */
export interface Mount {
  /** The prefix as a latin-1 path without trailing `/` (`''` at the root). */
  readonly literal: string
  /** How many path segments it spans. */
  readonly segments: number
}

// Compiled prefixes: a plugin's prefix is the same for every request it serves, so it is
// converted once. Bounded, though an app has only a handful.
const MOUNTS = new Map<string, Mount>()
const MOUNTS_MAX = 256

/**
 * Compile a Fastify prefix (`'/legacy'`, `'/tenants/:id'`) into a {@link Mount}, once per
 * prefix.
 */
export function compileMount(prefix: string): Mount {
  const known = MOUNTS.get(prefix)
  if (known !== undefined) return known
  const mount = compileMountOnce(prefix)
  if (MOUNTS.size < MOUNTS_MAX) MOUNTS.set(prefix, mount)
  return mount
}

function compileMountOnce(prefix: string): Mount {
  let literal = utf8ToLatin1(prefix)
  while (literal.endsWith('/')) literal = literal.slice(0, -1)
  let segments = 0
  for (let i = 0; i < literal.length; i++) if (literal.charCodeAt(i) === 0x2f) segments++
  return Object.freeze({ literal, segments })
}

/**
 * Split a percent-decoded path at the end of the mount: `[SCRIPT_NAME, PATH_INFO]`.
 *
 * The prefix itself when the path starts with it; otherwise (a prefix with parameters such as
 * `/tenants/:id`, or a router that ignores case) as many segments of the path as the prefix has.
 */
export function splitMount(mount: Mount, path: string): [scriptName: string, pathInfo: string] {
  const { literal } = mount
  if (literal === '') return ['', path]
  if (
    path.startsWith(literal) &&
    (path.length === literal.length || path.charCodeAt(literal.length) === 0x2f)
  ) {
    return [literal, path.slice(literal.length)]
  }
  let seen = 0
  for (let i = 0; i < path.length; i++) {
    if (path.charCodeAt(i) !== 0x2f) continue
    if (seen === mount.segments) return [path.slice(0, i), path.slice(i)]
    seen++
  }
  return [path, '']
}
