/**
 * Where a gateway app sits inside a Koa app: the mount prefix (`SCRIPT_NAME`) and the rest of the
 * path (`PATH_INFO`), read from what koa-mount and @koa/router leave on the context.
 *
 * - **koa-mount** sets `ctx.mountPath` and strips the prefix from `ctx.path`, leaving
 *   `ctx.originalUrl` whole. The prefix is therefore the part of the original path in front of
 *   `ctx.path`. This also holds for nested mounts, where `ctx.mountPath` names only the innermost.
 * - **@koa/router** leaves `ctx.path` alone. The layer that matched is the last entry of
 *   `ctx.matched` whose `path` is `ctx.routerPath`. For a route ending in a wildcard
 *   (`/legacy/{*rest}`, `/legacy{/*rest}`, `/legacy/*rest`) the wildcard's capture is the rest of
 *   the path and everything before it the prefix. For a `router.use(path, …)` layer, what its
 *   (prefix-matching) pattern matched is the prefix. Any other route mounts nothing: the app sees
 *   the whole path, as an Express app does under `app.get(path, …)`.
 *
 * Both work on the percent-encoded paths Koa keeps; the caller decodes the two parts.
 *
 * @module
 */
import { pathOf } from './url.ts'

/** The fields of a @koa/router `Layer` read here (present in @koa/router 10 to 15). */
interface RouterLayer {
  readonly path?: unknown
  readonly regexp?: unknown
  readonly methods?: unknown
  readonly paramNames?: unknown
}

/** The context fields read here: Koa's own, koa-mount's and @koa/router's. */
export interface MountContext {
  readonly originalUrl: string
  readonly path: string
  readonly routerPath?: unknown
  readonly matched?: unknown
}

/** A percent-encoded split of the request path: `prefix + rest` is the path. */
export interface MountSplit {
  readonly prefix: string
  readonly rest: string
}

/** `prefix` without one trailing `/`, and the rest of `path` after it; undefined if not at a `/`. */
function cut(path: string, prefix: string): MountSplit | undefined {
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
  const rest = path.slice(trimmed.length)
  if (rest !== '' && rest.charCodeAt(0) !== 0x2f) return undefined
  return { prefix: trimmed, rest }
}

/** What koa-mount (or any mount that strips `ctx.path` and keeps `originalUrl`) cut off. */
function koaMountSplit(ctx: MountContext): MountSplit {
  const path = ctx.path
  const original = pathOf(ctx.originalUrl)
  if (original === '' || original === path) return { prefix: '', rest: path }
  if (original.endsWith(path) && path.charCodeAt(0) === 0x2f) {
    const split = cut(original, original.slice(0, original.length - path.length))
    if (split !== undefined) return { prefix: split.prefix, rest: path }
  }
  // koa-mount turns a request for exactly its prefix into ctx.path '/': PATH_INFO is then empty.
  if (path === '/')
    return { prefix: original.endsWith('/') ? original.slice(0, -1) : original, rest: '' }
  // The path was rewritten rather than mounted: no prefix is known.
  return { prefix: '', rest: path }
}

function isWildcard(key: unknown): boolean {
  return typeof key === 'object' && key !== null && (key as { type?: unknown }).type === 'wildcard'
}

/** What the @koa/router layer running now matched as a mount prefix of `path`, if anything. */
function routerSplit(ctx: MountContext, path: string): MountSplit | undefined {
  const { routerPath, matched } = ctx
  if (typeof routerPath !== 'string' || !Array.isArray(matched)) return undefined
  let layer: RouterLayer | undefined
  for (let i = matched.length - 1; i >= 0; i--) {
    const candidate = matched[i] as RouterLayer | undefined
    if (candidate?.path === routerPath) {
      layer = candidate
      break
    }
  }
  const regexp = layer?.regexp
  if (layer === undefined || !(regexp instanceof RegExp)) return undefined
  // The `d` flag gives the offsets of each capture, so the split is exact in the encoded path.
  const flags = regexp.flags.replace(/[gyd]/g, '') + 'd'
  const match = new RegExp(regexp.source, flags).exec(path)
  if (match?.index !== 0) return undefined
  const methods = layer.methods
  if (Array.isArray(methods) && methods.length === 0) return cut(path, match[0])
  const keys = Array.isArray(layer.paramNames) ? (layer.paramNames as unknown[]) : []
  let hasWildcard = false
  for (let i = 0; i < keys.length; i++) {
    if (!isWildcard(keys[i])) continue
    hasWildcard = true
    const span = match.indices?.[i + 1]
    if (span !== undefined) return cut(path, path.slice(0, span[0]))
  }
  // An optional wildcard that captured nothing: the whole match is the mount point.
  return hasWildcard ? cut(path, match[0]) : undefined
}

/**
 * The encoded mount prefix and the rest of the path for a gateway app running as Koa middleware
 * now: koa-mount's prefix, plus the prefix of a @koa/router wildcard route (or `use` path).
 */
export function mountSplit(ctx: MountContext): MountSplit {
  const mounted = koaMountSplit(ctx)
  const routed = routerSplit(ctx, ctx.path)
  if (routed === undefined || mounted.rest !== ctx.path) return mounted
  return { prefix: mounted.prefix + routed.prefix, rest: routed.rest }
}
