/**
 * Imports the entry module of `wsgi serve`, TypeScript included: Node 20 cannot run a `.ts` file
 * (`ERR_UNKNOWN_FILE_EXTENSION`), so when Node does not strip types itself, the `tsx` loader of
 * the user's project is registered first, as `node --import tsx` would. Without one, a single
 * line says what to install.
 *
 * @module
 */

import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

import { StartupError } from './wrap-app.ts'

const TYPESCRIPT = /\.[cm]?tsx?$/

/** True when this Node runs `.ts` files by itself (type stripping on, by default or by flag). */
export function nodeStripsTypes(): boolean {
  const feature = (process.features as { typescript?: unknown }).typescript
  if (feature === 'strip' || feature === 'transform') return true
  const flags = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)]
  return flags.some((flag) => /^--experimental-(?:strip|transform)-types$/.test(flag))
}

/**
 * Where `tsx` is installed for `file`: resolved from the file's folder, then from the working
 * directory (never from `@wsgi/core` itself, which does not depend on it). `undefined` when
 * neither has it.
 */
export function findTsx(file: string, cwd: string = process.cwd()): string | undefined {
  for (const base of [file, join(cwd, 'noop.js')]) {
    try {
      return createRequire(base).resolve('tsx')
    } catch {
      // Not installed there; try the next place.
    }
  }
  return undefined
}

let registered = false

/**
 * `import()` of `absolute`, after registering `tsx` when it is TypeScript that Node cannot run.
 *
 * @throws StartupError for a TypeScript file when Node cannot strip types and no `tsx` is
 *   installed: one line saying how to run it.
 */
export async function importEntry(absolute: string, label: string): Promise<unknown> {
  if (TYPESCRIPT.test(absolute) && !registered && !nodeStripsTypes()) {
    const tsx = findTsx(absolute)
    if (tsx === undefined) {
      throw new StartupError(
        `cannot load ${label}: Node ${process.version} does not run TypeScript by itself. ` +
          'Install tsx next to it (npm install --save-dev tsx), or use Node >= 22.6 with ' +
          'NODE_OPTIONS=--experimental-strip-types (>= 23.6 needs no flag)',
      )
    }
    // tsx's main entry registers its ESM and CommonJS hooks when imported (`node --import tsx`).
    await import(pathToFileURL(tsx).href)
    registered = true
  }
  return import(pathToFileURL(absolute).href)
}
