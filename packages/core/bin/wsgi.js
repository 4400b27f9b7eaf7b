#!/usr/bin/env node
// The `wsgi` command (package.json `bin`). A committed file rather than the compiled one, so that
// `pnpm install` in a fresh clone can link it before anything is built; the command itself is
// src/bin/wsgi.ts, compiled to dist/.
import { existsSync } from 'node:fs'

const entry = new URL('../dist/bin/wsgi.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('wsgi: @wsgi/core is not built yet: run `pnpm build` (tsc -b) first\n')
  process.exit(1)
}
await import(entry.href)
