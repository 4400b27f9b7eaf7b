#!/usr/bin/env node
// The `wsgi-python` command (package.json `bin`). A committed file rather than the compiled one,
// so that `pnpm install` in a fresh clone can link it before anything is built; the command itself
// is src/cli/main.ts, compiled to dist/.
import { existsSync } from 'node:fs'

const entry = new URL('../dist/cli/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write(
    'wsgi-python: @wsgi/adapter-python is not built yet: run `pnpm build` first\n',
  )
  process.exit(1)
}
const { main } = await import(entry.href)
process.exitCode = await main(process.argv.slice(2))
