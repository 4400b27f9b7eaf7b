/**
 * The README's usage examples are run as written: each TypeScript block is stripped of its types,
 * started with plain node (so it uses the BUILT packages, as a user would), and asked the `curl`
 * request printed under it; the answer must be the output printed there.
 *
 * @module
 */
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import ts from 'typescript'
import { freePort } from '@wsgi/conformance'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'

const PACKAGE = fileURLToPath(new URL('..', import.meta.url))
const README = readFileSync(join(PACKAGE, 'README.md'), 'utf8')

interface Example {
  readonly title: string
  readonly code: string
  readonly curl: string
  readonly output: string
}

// A usage section: its `###` title, the ts block, the `curl …` line, the output block.
const EXAMPLE = /^### (.+)\n\n```ts\n([\s\S]*?)```\n\n`(curl [^`]+)`[^\n]*\n\n```\n([\s\S]*?)```/gm

function examples(): Example[] {
  const usage = README.slice(README.indexOf('## Usage'), README.indexOf('## API'))
  return [...usage.matchAll(EXAMPLE)].map((m) => ({
    title: m[1] ?? '',
    code: m[2] ?? '',
    curl: m[3] ?? '',
    output: m[4] ?? '',
  }))
}

/** The URL and headers of a `curl [-H 'Name: value']… localhost:8000/path` line. */
function parseCurl(curl: string, port: number): { url: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {}
  for (const m of curl.matchAll(/-H '([^:]+): ([^']*)'/g)) headers[m[1] ?? ''] = m[2] ?? ''
  const target = /localhost:8000(\S*)/.exec(curl)?.[1] ?? '/'
  return { url: `http://localhost:${port}${target}`, headers }
}

async function fetchWhenUp(url: string, headers: Record<string, string>): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(url, { headers })
    } catch (error) {
      if (attempt > 100) throw error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

beforeAll(() => {
  try {
    execFileSync('pnpm', ['exec', 'tsc', '-b', join(PACKAGE, 'tsconfig.build.json')], {
      cwd: PACKAGE,
      stdio: 'pipe',
    })
  } catch {
    // tsc -b exits non-zero for type errors anywhere in a reference but still emits.
  }
}, 120_000)

describe('README usage examples', () => {
  it('has one example per direction', () => {
    expect(examples().map((e) => e.title)).toEqual([
      'Gateway app → Koa (`toKoa`)',
      'Koa app → gateway (`fromKoa`)',
      'Gateway middleware → Koa (`toKoaMiddleware`)',
      'Koa middleware → gateway (`fromKoaMiddleware`)',
    ])
  })

  it.each(examples().map((e) => [e.title, e] as const))('runs %s', async (_title, example) => {
    const port = await freePort()
    const js = ts.transpileModule(example.code.replaceAll('8000', String(port)), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText
    // Inside the package, so `koa` and `@wsgi/adapter-koa` (a self-reference) resolve.
    const file = join(PACKAGE, 'test', `.readme-${port}.mjs`)
    writeFileSync(file, js)
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    onTestFinished(() => {
      child.kill()
      rmSync(file, { force: true })
    })
    const { url, headers } = parseCurl(example.curl, port)
    const res = await fetchWhenUp(url, headers)
    // An output block ends with a newline even when the body does not (JSON).
    expect((await res.text()).trimEnd(), stderr).toBe(
      example.output.replaceAll('8000', String(port)).trimEnd(),
    )
  })
})
