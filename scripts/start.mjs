#!/usr/bin/env node
/**
 * `pnpm start`: build every package (`tsc -b`), then run the demo server (`wsgi serve`, extra
 * arguments passed on). It says what it is doing first: the first build takes a minute or more
 * and prints nothing, which looked like a hung command.
 *
 * @module
 */

import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const started = Date.now()
console.log('Building the packages (tsc -b; the first build takes a minute or two) ...')
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const build = spawnSync(process.execPath, [tsc, '-b'], { stdio: 'inherit' })
if (build.status !== 0) process.exit(build.status ?? 1)
console.log(`Built in ${Math.round((Date.now() - started) / 1000)} s. Starting: wsgi serve`)

// The command runs in this process, as if started as `wsgi serve …` (--workers forks it again).
const wsgi = fileURLToPath(new URL('../packages/core/dist/bin/wsgi.js', import.meta.url))
// (`pnpm start -- --port 9000` passes the `--` on; `wsgi` would take it as the end of options.)
const args = process.argv.slice(2)
if (args[0] === '--') args.shift()
process.argv = [process.argv[0] ?? process.execPath, wsgi, 'serve', ...args]
await import(wsgi)
