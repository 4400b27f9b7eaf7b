// Loads every entry point of every installed @wsgi/* package with `import`, as an ESM project
// does: every subpath of each package's exports map must load and export something.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
let count = 0
for (const name of process.argv.slice(2)) {
  const pkg = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8'))
  for (const subpath of Object.keys(pkg.exports)) {
    if (subpath === './package.json') continue
    const specifier = name + subpath.slice(1)
    const ns = await import(specifier)
    // `types` holds only types and one constant; every other entry exports several values.
    if (Object.keys(ns).length === 0) throw new Error(`import('${specifier}') exports nothing`)
    count++
  }
}
console.log(`ok   import: ${count} entry points`)
