/**
 * Loads the application the `wsgi` command serves from an ES module or a CommonJS module, named by
 * a path relative to the working directory and an optional export name.
 *
 * @module
 */

import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

import { describe } from '../errors.ts'
import type { WSGIApplication } from '../types.ts'
import { UsageError } from './args.ts'

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
 * @throws UsageError when the export is missing or is not a function.
 */
export function pickExport(
  ns: Namespace,
  exportName: string | undefined,
  label: string,
): WSGIApplication {
  let value: unknown
  if (exportName === undefined) {
    value = ns['default']
    if (value === undefined) {
      throw new UsageError(
        `module '${label}' has no default export; name one as ${label}:<export> (it exports: ${exportNames(ns)})`,
      )
    }
    if (
      typeof value !== 'function' &&
      isObjectLike(value) &&
      typeof value['default'] === 'function'
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
  if (typeof value !== 'function') {
    throw new UsageError(
      `export '${exportName ?? 'default'}' of module '${label}' is not a function (got ${describe(value)})`,
    )
  }
  return value as WSGIApplication
}

/**
 * Imports `modulePath` (resolved against `cwd`) and returns the application it exports.
 *
 * `import()` loads both ES modules and CommonJS; for CommonJS the default export is
 * `module.exports`. Errors thrown while the module itself runs are passed on unchanged (they are
 * the application's, not the command line's).
 *
 * @throws UsageError when no file exists at the path, or when the export is missing or is not a
 *   function.
 */
export async function loadApp(
  modulePath: string,
  exportName: string | undefined,
  cwd: string = process.cwd(),
): Promise<WSGIApplication> {
  const absolute = resolve(cwd, modulePath)
  const stats = await stat(absolute).catch(() => undefined)
  if (!stats?.isFile()) {
    throw new UsageError(`cannot find module '${modulePath}' (no file at ${absolute})`)
  }
  const ns = (await import(pathToFileURL(absolute).href)) as Namespace
  return pickExport(ns, exportName, modulePath)
}
