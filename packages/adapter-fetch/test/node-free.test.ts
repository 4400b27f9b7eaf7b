/**
 * The adapter must run wherever fetch does (Workers, Deno, Bun, browsers): bundling it for the
 * browser, with workspace packages resolved to their sources, must succeed with no `node:`
 * import anywhere in the graph, and its own sources must not touch `Buffer`.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : []
  })
}

describe('@wsgi/adapter-fetch is node-free', () => {
  it.each(['src/index.ts', 'src/hono.ts'])(
    'bundles %s for platform "browser" without a node: import',
    async (entry) => {
      const result = await build({
        entryPoints: [join(root, entry)],
        bundle: true,
        write: false,
        platform: 'browser',
        format: 'esm',
        conditions: ['@wsgi/source'],
        metafile: true,
        logLevel: 'silent',
      }).catch((error: unknown) => {
        const failure = error as { errors?: { text: string; location: { file: string } | null }[] }
        const messages = (failure.errors ?? []).map((e) => `${e.location?.file ?? '?'}: ${e.text}`)
        throw new Error(`esbuild failed:\n${messages.join('\n')}`)
      })
      expect(result.errors).toEqual([])
      const imports = Object.values(result.metafile.inputs).flatMap((input) =>
        input.imports.map((i) => i.path),
      )
      expect(imports.filter((path) => path.startsWith('node:'))).toEqual([])
      const inputs = Object.keys(result.metafile.inputs)
      expect(inputs.some((path) => path.includes('core/src/'))).toBe(true)
      expect(result.outputFiles[0]!.text).not.toMatch(/["']node:/)
    },
  )

  it('has no node: import and no Buffer in its non-test sources', () => {
    const offenders = sourceFiles(join(root, 'src')).filter((file) => {
      // Comments may name what is avoided; only code counts.
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '')
      return /from ['"]node:|import\(['"]node:|\bBuffer\b/.test(code)
    })
    expect(offenders).toEqual([])
  })
})
