/**
 * Turns what a module exports into the gateway application `wsgi serve` runs: a gateway app as
 * is, anything else through the matching `from*` bridge, with one line saying which.
 *
 * The adapters are not dependencies of `@wsgi/core` (they depend on it): each is imported when
 * needed, resolved first from the application's own folder (the user's project, where it is
 * installed next to the framework), then from the working directory, then from core itself.
 *
 * @module
 */

import { createRequire } from 'node:module'
import { basename, delimiter, dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

import { fromNodeListener } from '../node/from-node-listener.ts'
import type { NodeListener } from '../node/from-node-listener.ts'
import type { WSGIApplication } from '../types.ts'
import { UsageError } from './args.ts'
import type { AppKind } from './app-kind.ts'
import { detectKind, isFetchObject, refusal } from './app-kind.ts'

/** The application cannot be served as it is; the CLI prints the message and exits with 1. */
export class StartupError extends Error {
  override get name(): string {
    return 'StartupError'
  }
}

/** The gateway application to serve, and the line that says how it was made. */
export interface WrappedApp {
  readonly app: WSGIApplication
  /** `serving app.js as an Express app through fromExpress` */
  readonly line: string
}

/** How `wsgi serve` asks the bridges to run. */
export interface BridgeOptions {
  /**
   * A fetch app gets `fromFetch`'s `overrideGlobalResponse` (the light global `Response`, as on
   * `@hono/node-server`).
   *
   * @defaultValue `true`
   */
  readonly lightResponse?: boolean | undefined
}

interface Bridge {
  readonly pkg: string
  readonly fn: string
  readonly what: string
}

const BRIDGES: Readonly<Record<Exclude<AppKind, 'gateway' | 'node'>, Bridge>> = {
  express: { pkg: '@wsgi/adapter-express', fn: 'fromExpress', what: 'an Express app' },
  koa: { pkg: '@wsgi/adapter-koa', fn: 'fromKoa', what: 'a Koa app' },
  fastify: { pkg: '@wsgi/adapter-fastify', fn: 'fromFastify', what: 'a Fastify instance' },
  fetch: { pkg: '@wsgi/adapter-fetch', fn: 'fromFetch', what: 'a fetch handler' },
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND'
}

/**
 * Imports an adapter package from where the user's project has it: the folder of `appFile`, the
 * working directory, or wherever core itself can see it.
 *
 * @throws StartupError naming the package to install when none of them has it.
 */
export async function importAdapter(
  pkg: string,
  appFile: string,
  what = 'this app',
): Promise<Record<string, unknown>> {
  const bases = [appFile, join(process.cwd(), 'noop.js')]
  for (const base of bases) {
    let resolved: string
    try {
      resolved = createRequire(base).resolve(pkg)
    } catch (error) {
      if (isNotFound(error)) continue
      throw error
    }
    return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>
  }
  try {
    return (await import(pkg)) as Record<string, unknown>
  } catch (error) {
    // Only the adapter itself missing is the user's to fix by installing it; anything failing
    // inside it is passed on as it is.
    const missing = isNotFound(error) && (error as Error).message.includes(`'${pkg}'`)
    if (!missing) throw error
    const places = [...new Set(bases.map((base) => dirname(base)))].join(' and ')
    throw new StartupError(
      `serving ${what} needs ${pkg}, which is not installed (looked in ${places}): ` +
        `npm install ${pkg}`,
      { cause: error },
    )
  }
}

function fetchHandler(value: unknown): unknown {
  if (!isFetchObject(value)) return value
  const target = value as { fetch: (...args: unknown[]) => unknown }
  // A method of the object (Hono binds its own; a Workers-style `{ fetch }` may use `this`).
  return (request: unknown, env: unknown, ctx: unknown) => target.fetch(request, env, ctx)
}

function looksLikeHono(value: unknown): boolean {
  const app = value as { routes?: unknown; route?: unknown } | null
  return isFetchObject(value) && Array.isArray(app?.routes) && typeof app.route === 'function'
}

/**
 * The gateway application for `value`, an export of `appFile` (`label` is how the user named
 * it), as `kind` says or, without it, as {@link detectKind} finds.
 *
 * @throws UsageError when `value` is no kind of application, or not of the kind forced.
 * @throws StartupError when the adapter its kind needs is not installed.
 */
export async function wrapApp(
  value: unknown,
  options: BridgeOptions & {
    readonly kind: AppKind | undefined
    readonly label: string
    readonly appFile: string
  },
): Promise<WrappedApp> {
  const { label, appFile } = options
  const kind = options.kind ?? detectKind(value)
  if (kind === undefined) {
    throw new UsageError(`cannot serve ${label}: ${refusal(value)}`)
  }
  if ((kind === 'gateway' || kind === 'node') && typeof value !== 'function') {
    throw new UsageError(`cannot serve ${label} as --kind ${kind}: ${refusal(value)}`)
  }
  if (kind === 'gateway') {
    return { app: value as WSGIApplication, line: `serving ${label} as a gateway app` }
  }
  if (kind === 'node') {
    return {
      app: fromNodeListener(value as NodeListener),
      line: `serving ${label} as a Node (req, res) listener through fromNodeListener`,
    }
  }
  const bridge = BRIDGES[kind]
  const adapter = await importAdapter(bridge.pkg, appFile, `${label}, ${bridge.what},`)
  const from = adapter[bridge.fn]
  if (typeof from !== 'function') {
    throw new StartupError(`${bridge.pkg} has no ${bridge.fn}: upgrade it`)
  }
  const what = kind === 'fetch' && looksLikeHono(value) ? 'a Hono app' : bridge.what
  let app: WSGIApplication
  try {
    app =
      kind === 'fetch'
        ? (from as (value: unknown, options: object) => WSGIApplication)(fetchHandler(value), {
            overrideGlobalResponse: options.lightResponse !== false,
          })
        : (from as (value: unknown) => WSGIApplication)(value)
  } catch (error) {
    // The bridge refused it (ERR_WSGI_INVALID_ARG_TYPE): a --kind that does not fit.
    throw new UsageError(`cannot serve ${label} as ${bridge.what}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  return { app, line: `serving ${label} as ${what} through ${bridge.fn}` }
}

/**
 * The gateway application for a Python WSGI app (`wsgi serve app.py:app`, or `--python` with
 * gunicorn's `pkg.mod:app`), through `@wsgi/adapter-python`'s `fromPython`: a path ending in
 * `.py` puts its folder on `sys.path` and names the module after the file, a dotted name is
 * imported from `cwd`. The callable defaults to `application`, as in gunicorn. The folders of
 * `PYTHONPATH` follow on `sys.path` (where the app's pure-Python dependencies are, for example
 * `/usr/lib/python3/dist-packages`), as Python itself reads them.
 *
 * @throws StartupError when `@wsgi/adapter-python` is not installed.
 */
export async function wrapPython(
  module: string,
  exportName: string | undefined,
  cwd: string,
): Promise<WrappedApp> {
  const file = module.endsWith('.py') ? resolve(cwd, module) : undefined
  const name = file === undefined ? module : basename(file, '.py')
  const spec = `${name}:${exportName ?? 'application'}`
  const label = `${module}:${exportName ?? 'application'}`
  const adapter = await importAdapter(
    '@wsgi/adapter-python',
    join(cwd, 'noop.js'),
    `${label}, a Python WSGI app,`,
  )
  const from = adapter['fromPython']
  if (typeof from !== 'function') {
    throw new StartupError('@wsgi/adapter-python has no fromPython: upgrade it')
  }
  const extra = (process.env['PYTHONPATH'] ?? '').split(delimiter).filter((dir) => dir !== '')
  const paths = [file === undefined ? cwd : dirname(file), ...extra]
  const app = (from as (spec: string, options: object) => WSGIApplication)(spec, { paths })
  return { app, line: `serving ${label} as a Python WSGI app through fromPython (Pyodide)` }
}
