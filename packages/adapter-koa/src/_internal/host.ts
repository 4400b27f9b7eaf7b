/**
 * A Koa application as a Node listener for synthetic requests, with the mount point of the
 * gateway (`SCRIPT_NAME`) shown the way koa-mount shows it.
 *
 * The listener is `app.callback()` of a thin stand-in: an object whose prototype is the app, so
 * every setting, context extension (`app.context`), `app.keys` and error listener is the app's
 * own, with two own members: `createContext` (to set `ctx.originalUrl` and `ctx.mountPath`, and to
 * cut the connection on a late error) and, for `fromKoaMiddleware`, `middleware`. The app itself is not changed, except that it gets
 * Koa's default error listener if it has none (as `app.callback()` would give it).
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import type Koa from 'koa'

import type { NodeListener } from '@wsgi/core/node'

import { linkedEnviron } from './environ-link.ts'
import { pathOf } from './url.ts'

/** How the stand-in is made. */
export interface HostConfig {
  /** The listener got the full path in `req.url`: nothing to change on the context. */
  readonly fullPath: boolean
  /** Middleware to run instead of the app's own. */
  readonly middleware?: readonly Koa.Middleware[] | undefined
}

/** The URL-encoded mount path of a synthetic request (`''` when it has none). */
function mountPathOf(req: IncomingMessage & { originalUrl?: unknown }, pathInfo: unknown): string {
  const original = typeof req.originalUrl === 'string' ? pathOf(req.originalUrl) : ''
  if (original === '') return ''
  // A request for exactly the mount point has an empty PATH_INFO and `req.url` '/'.
  if (pathInfo === '') return original
  const relative = pathOf(req.url ?? '')
  return original.endsWith(relative) ? original.slice(0, original.length - relative.length) : ''
}

/**
 * koa-mount's view of the gateway mount: `ctx.originalUrl` is the full request target and
 * `ctx.mountPath` the (encoded) SCRIPT_NAME, while `ctx.path` is PATH_INFO.
 */
function showMount(ctx: Koa.ParameterizedContext, req: IncomingMessage): void {
  const originalUrl = (req as IncomingMessage & { originalUrl?: unknown }).originalUrl
  // Only synthetic requests (fromNodeListener's) carry an originalUrl.
  if (typeof originalUrl !== 'string') return
  ctx.originalUrl = originalUrl
  ctx.request.originalUrl = originalUrl
  const environ = linkedEnviron(req)
  const scriptName = environ?.SCRIPT_NAME
  if (typeof scriptName !== 'string' || scriptName === '') return
  const mountPath = mountPathOf(req, environ?.PATH_INFO)
  if (mountPath !== '') ctx['mountPath'] = mountPath
}

/**
 * The listener that runs `app` (or `config.middleware` on `app`'s settings) for synthetic
 * requests. Built at the first request, so middleware added after `fromKoa()` still counts.
 */
export function hostListener(app: Koa, config: HostConfig): NodeListener {
  let listener: KoaListener | undefined
  return (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    listener ??= createListener(app, config)
    return listener(req, res)
  }
}

/**
 * Cut the connection when an error comes after the head went out.
 *
 * Divergence from Koa 2's own server: Koa 2 pipes a stream body without ending the response when
 * the stream fails, so the client waits forever; Koa 3 destroys the response (its `pipeline`).
 * Both majors get Koa 3's behaviour here, as a gateway server must never leave a cut body looking
 * unfinished-but-alive (bridge-pitfalls B7).
 */
function cutAfterHead(ctx: Koa.ParameterizedContext): void {
  const onerror = ctx.onerror.bind(ctx)
  ctx.onerror = (error: Error | null): void => {
    // Koa calls it with null too (its on-finished callback), and then does nothing.
    if (error === null) return
    onerror(error)
    const res = ctx.res
    // With the error, so the gateway server takes it as the app's failure, not the client's.
    if (res.headersSent && !res.writableEnded) res.destroy(error)
  }
}

/** What `app.callback()` gives. */
type KoaListener = ReturnType<Koa['callback']>

function createListener(app: Koa, config: HostConfig): KoaListener {
  const host = Object.create(app) as Koa
  const fullPath = config.fullPath
  host.createContext = function createGatewayContext(
    this: Koa,
    req: IncomingMessage,
    res: ServerResponse,
  ): Koa.ParameterizedContext {
    const ctx = app.createContext.call(this, req, res)
    if (!fullPath) showMount(ctx, req)
    cutAfterHead(ctx)
    return ctx
  }
  if (config.middleware !== undefined) host.middleware = [...config.middleware]
  // callback() adds Koa's default error listener when there is none; adding it on the stand-in
  // would write into the app's listener table behind its back, so it is added here, openly.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- Koa's own callback() passes it unbound
  if (app.listenerCount('error') === 0) app.on('error', app.onerror)
  return host.callback()
}
