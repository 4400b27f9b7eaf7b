#!/usr/bin/env node
/**
 * Keeps each public package's top-level `types` and `typesVersions` in step with its `exports`
 * map. TypeScript's `moduleResolution: node10` (the default with `module: commonjs`) ignores
 * `exports`, so without these a project on it gets TS2307 on every `@wsgi/*` import; deriving
 * them from `exports` means nobody maintains two maps by hand.
 *
 * `node scripts/types-versions.mjs` fails when a package.json is out of step;
 * `node scripts/types-versions.mjs --write` rewrites them.
 *
 * @module
 */

import { readFileSync, writeFileSync } from 'node:fs'

export const PUBLIC_PACKAGES = [
  'core',
  'adapter-express',
  'adapter-fastify',
  'adapter-koa',
  'adapter-fetch',
  'adapter-python',
]

/** The `types` and `typesVersions` fields that `exports` implies. */
export function typeFields(pkg) {
  const root = pkg.exports['.']
  const subpaths = {}
  for (const [key, target] of Object.entries(pkg.exports)) {
    if (key === '.' || typeof target !== 'object' || target.types === undefined) continue
    subpaths[key.slice(2)] = [target.types]
  }
  const fields = { types: root.types }
  if (Object.keys(subpaths).length > 0) fields.typesVersions = { '*': subpaths }
  return fields
}

// Insert the fields right after `exports`, keeping every other key where it is.
function withFields(pkg, fields) {
  const out = {}
  for (const [key, value] of Object.entries(pkg)) {
    if (key === 'types' || key === 'typesVersions') continue
    out[key] = value
    if (key === 'exports') Object.assign(out, fields)
  }
  return out
}

// JSON.stringify writes ⇄ as is; the files spell it \u21c4, and a rewrite should not churn them.
// (Prettier then collapses the short arrays: `pnpm format:write` after --write.)
const serialize = (pkg) => JSON.stringify(pkg, null, 2).replaceAll('\u21c4', '\\u21c4') + '\n'

if (import.meta.url === `file://${process.argv[1]}`) {
  const write = process.argv.includes('--write')
  let stale = 0
  for (const name of PUBLIC_PACKAGES) {
    const file = new URL(`../packages/${name}/package.json`, import.meta.url)
    const pkg = JSON.parse(readFileSync(file, 'utf8'))
    const fields = typeFields(pkg)
    // Compared as data, not text, so formatting is Prettier's business.
    const current = { types: pkg.types, typesVersions: pkg.typesVersions }
    if (
      JSON.stringify(current) ===
      JSON.stringify({ types: fields.types, typesVersions: fields.typesVersions })
    )
      continue
    if (write) writeFileSync(file, serialize(withFields(pkg, fields)))
    else {
      stale++
      console.error(
        `packages/${name}/package.json: types/typesVersions differ from exports (run node scripts/types-versions.mjs --write)`,
      )
    }
  }
  process.exit(stale === 0 ? 0 : 1)
}
