/**
 * Vitest global setup: build this package (and what it references) once before any test file,
 * for the tests that run the BUILT package as a user would (README, `wsgi serve`, the bin);
 * three files building it at once would race on the same output files.
 *
 * @module
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export default function setup(): void {
  const pkg = fileURLToPath(new URL('..', import.meta.url))
  try {
    execFileSync('pnpm', ['exec', 'tsc', '-b', join(pkg, 'tsconfig.build.json')], {
      cwd: pkg,
      stdio: 'pipe',
    })
  } catch {
    // tsc -b exits non-zero for type errors anywhere in a reference but still emits.
  }
}
