/**
 * Loads the application the `wsgi` command serves from an ES module or a CommonJS module, named by
 * a path relative to the working directory and an optional export name.
 *
 * @module
 */

import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'

import { UsageError } from './args.ts'
import { detectKind } from './app-kind.ts'
import type { AppKind } from './app-kind.ts'
import { importEntry } from './typescript.ts'
import { wrapApp } from './wrap-app.ts'
import type { BridgeOptions, WrappedApp } from './wrap-app.ts'

type Namespace = Record<string, unknown>

function isObjectLike(value: unknown): value is Namespace {
  return (typeof value === 'object' && value !== null) || typeof value === 'function'
}

function exportNames(ns: Namespace): string {
  const names = Object.keys(ns).filter((name) => name !== 'module.exports')
  return names.length > 0 ? names.join(', ') : 'nothing'
}

/**
 * Picks the application out of a module namespace.
 *
 * Without `exportName`: the default export. For CommonJS that is `module.exports`; when it is an
 * object whose `default` is a function (CommonJS compiled from ESM by TypeScript or Babel), that
 * function. With `exportName`: the named export, or for CommonJS the property of
 * `module.exports` (Node detects only some CommonJS exports statically, so both are looked at);
 * dots walk into nested objects.
 *
 * @throws UsageError when the export is missing.
 */
export function pickExport(ns: Namespace, exportName: string | undefined, label: string): unknown {
  let value: unknown
  if (exportName === undefined) {
    value = ns['default']
    if (value === undefined) {
      throw new UsageError(
        `module '${label}' has no default export; name one as ${label}:<export> (it exports: ${exportNames(ns)})`,
      )
    }
    // (Not for an object with a fetch(): a Hono app or Workers-style { fetch } is the app.)
    if (
      typeof value !== 'function' &&
      isObjectLike(value) &&
      typeof value['default'] === 'function' &&
      typeof value['fetch'] !== 'function'
    ) {
      value = value['default']
    }
  } else {
    const [first = '', ...rest] = exportName.split('.')
    const cjs = ns['default']
    if (Object.hasOwn(ns, first)) value = ns[first]
    else if (isObjectLike(cjs) && first in cjs) value = cjs[first]
    else {
      throw new UsageError(
        `module '${label}' has no export '${first}' (it exports: ${exportNames(ns)})`,
      )
    }
    for (const key of rest) {
      if (!isObjectLike(value) || !(key in value)) {
        throw new UsageError(`module '${label}' has no export '${exportName}'`)
      }
      value = value[key]
    }
  }
  return value
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return isObjectLike(value) && typeof value['then'] === 'function'
}

const EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts']
// gunicorn's `package.module`: identifiers joined by dots.
const DOTTED = /^[A-Za-z_$][\w$-]*(?:\.[A-Za-z_$][\w$-]*)*$/

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() === true
}

/**
 * The file `modulePath` names, against `cwd`: the path itself when a file is there; else, for
 * gunicorn's dotted form (`pkg.mod`), `pkg/mod` with the first extension that exists (`.js`,
 * `.mjs`, `.cjs`, `.ts`, `.mts`, `.cts`), then `pkg/mod/index` with one.
 *
 * @throws UsageError when there is no such file.
 */
export async function resolveModulePath(modulePath: string, cwd: string): Promise<string> {
  const absolute = resolve(cwd, modulePath)
  if (await isFile(absolute)) return absolute
  if (DOTTED.test(modulePath)) {
    const base = join(cwd, ...modulePath.split('.'))
    for (const candidate of [
      ...EXTENSIONS.map((ext) => base + ext),
      ...EXTENSIONS.map((ext) => join(base, `index${ext}`)),
    ]) {
      if (await isFile(candidate)) return candidate
    }
  }
  throw new UsageError(`cannot find module '${modulePath}' (no file at ${absolute})`)
}

/**
 * Imports `modulePath` (resolved against `cwd`, see {@link resolveModulePath}) and returns the
 * gateway application made of its export, with the line that says how (see `wrapApp`).
 *
 * `import()` loads both ES modules and CommonJS; for CommonJS the default export is
 * `module.exports`. TypeScript files go through `tsx` when Node cannot strip types itself.
 * Errors thrown while the module itself runs are passed on unchanged (they are the
 * application's, not the command line's).
 *
 * `bridging` says how the bridges run (`--no-light-response`).
 *
 * @throws UsageError when no file exists at the path, the export is missing, or it is no kind
 *   of application.
 * @throws StartupError when the adapter its kind needs, or a TypeScript loader, is missing.
 */
export async function loadApp(
  modulePath: string,
  exportName: string | undefined,
  cwd: string = process.cwd(),
  kind?: AppKind,
  bridging: BridgeOptions = {},
): Promise<WrappedApp> {
  const absolute = await resolveModulePath(modulePath, cwd)
  const ns = (await importEntry(absolute, modulePath)) as Namespace
  let value = pickExport(ns, exportName, modulePath)
  // `export default buildApp()` of an async factory. Not a Fastify instance: it is thenable too
  // (awaiting boots it), and is recognised as it is.
  if (detectKind(value) === undefined && isThenable(value)) value = await value
  const label = exportName === undefined ? modulePath : `${modulePath}:${exportName}`
  return wrapApp(value, { ...bridging, kind, label, appFile: absolute })
}
