/**
 * The README's usage example is run as written: its Python file and its server (stripped of
 * types, run with plain node, so it uses the BUILT packages as a user would) are written to a
 * scratch folder inside the package, and the `curl` request under them must print the output
 * printed there.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import ts from 'typescript'
import { freePort } from '@wsgi/conformance'
import { expect, it, onTestFinished } from 'vitest'

const PACKAGE = fileURLToPath(new URL('..', import.meta.url))
const README = readFileSync(join(PACKAGE, 'README.md'), 'utf8')
const usage = README.slice(README.indexOf('## Usage'), README.indexOf('## API'))

function block(lang: string): string {
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(usage)
  if (match?.[1] === undefined) throw new Error(`no ${lang} block in the README's usage`)
  return match[1]
}

async function fetchWhenUp(url: string): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(url)
    } catch (error) {
      if (attempt > 200) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

it('runs the Flask-in-Express example of the README', async () => {
  const port = await freePort()
  const curl = /`curl '([^']+)'`/.exec(usage)?.[1] ?? ''
  const output = /`curl [^\n]*\n\n```\n([\s\S]*?)```/.exec(usage)?.[1] ?? ''
  const js = ts.transpileModule(block('ts').replaceAll('3000', String(port)), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText
  // Inside the package, so `express` and `@wsgi/adapter-python` (a self-reference) resolve.
  const dir = join(PACKAGE, 'test', `.readme-${port}`)
  mkdirSync(dir)
  writeFileSync(join(dir, 'hello.py'), block('python'))
  writeFileSync(join(dir, 'server.mjs'), js)
  const child = spawn(process.execPath, ['server.mjs'], { cwd: dir, stdio: 'pipe' })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  onTestFinished(() => {
    child.kill()
    rmSync(dir, { recursive: true, force: true })
  })
  const res = await fetchWhenUp(curl.replace('localhost:3000', `http://localhost:${port}`))
  expect((await res.text()).trimEnd(), stderr).toBe(output.trimEnd())
})
