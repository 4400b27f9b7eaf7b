/**
 * Every TypeScript example of `docs/spec.md` is type-checked against the sources and run.
 *
 * The spec is the only copy of each example: this test extracts every ```ts block (each must
 * follow an `<!-- example: name -->` marker), points its `@wsgi/core` imports at the source
 * files the package exports, writes it to a temporary `.mts` module, type-checks all of them
 * with the repository's compiler options, and imports each one. An example checks its own
 * results with `node:assert`, so a failed assertion fails its test. The block of section 3 ("the
 * interface at a glance") must also declare types identical to those of `src/types.ts`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'

const CORE = fileURLToPath(new URL('..', import.meta.url))
const REPO = resolve(CORE, '../..')
const SPEC = join(REPO, 'docs', 'spec.md')
const MARKER = /^<!-- example: ([a-z0-9-]+) -->$/
// Subpaths added with the spec; until package.json lists them they resolve to their source file.
const NEW_SUBPATHS = new Set(['./testing', './proxy-fix', './static-files'])

interface Example {
  readonly name: string
  readonly code: string
  readonly line: number
}

/** The ```ts blocks of the spec, and what is wrong with their markers. */
function extract(markdown: string): { examples: Example[]; problems: string[] } {
  const lines = markdown.split('\n')
  const examples: Example[] = []
  const problems: string[] = []
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(?:ts|typescript)\s*$/.test(lines[i] ?? '')) continue
    const start = i
    let end = start + 1
    while (end < lines.length && lines[end] !== '```') end++
    let before = start - 1
    while (before >= 0 && (lines[before] ?? '').trim() === '') before--
    const name = MARKER.exec(lines[before] ?? '')?.[1]
    if (name === undefined) {
      problems.push(`line ${start + 1}: a ts block without an <!-- example: name --> marker`)
    } else if (examples.some((e) => e.name === name)) {
      problems.push(`line ${start + 1}: the example name "${name}" is used twice`)
    } else {
      examples.push({ name, code: lines.slice(start + 1, end).join('\n'), line: start + 1 })
    }
    i = end
  }
  return { examples, problems }
}

const pkg = JSON.parse(readFileSync(join(CORE, 'package.json'), 'utf8')) as {
  exports: Record<string, { '@wsgi/source'?: string } | string>
}

/** The source file behind `@wsgi/core` or `@wsgi/core/<subpath>`. */
function sourceOf(specifier: string): string {
  const subpath = specifier === '@wsgi/core' ? '.' : `./${specifier.slice('@wsgi/core/'.length)}`
  const entry = pkg.exports[subpath]
  const source = typeof entry === 'object' ? entry['@wsgi/source'] : undefined
  if (source !== undefined) return join(CORE, source)
  const fallback = join(CORE, 'src', `${subpath.slice(2)}.ts`)
  if (NEW_SUBPATHS.has(subpath) && existsSync(fallback)) return fallback
  throw new Error(`docs/spec.md imports ${specifier}, which @wsgi/core does not export`)
}

function localise(code: string): string {
  return code.replace(/from '(@wsgi\/core(?:\/[a-z-]+)?)'/g, (_m, specifier: string) => {
    return `from '${sourceOf(specifier)}'`
  })
}

const { examples, problems } = extract(readFileSync(SPEC, 'utf8'))
const dir = mkdtempSync(join(tmpdir(), 'wsgits-spec-'))
const files = new Map<string, string>()
for (const example of examples) {
  const file = join(dir, `${example.name}.mts`)
  writeFileSync(file, localise(example.code))
  files.set(example.name, file)
}

/** A module that fails to compile unless the spec's interface types equal those of types.ts. */
function interfaceCheck(): string | undefined {
  const example = examples.find((e) => e.name === 'interface')
  if (example === undefined) return undefined
  const names = [...example.code.matchAll(/^export (?:type|interface) (\w+)/gm)].map((m) => m[1])
  const file = join(dir, 'interface-check.mts')
  writeFileSync(
    file,
    [
      `import type * as Spec from './interface.mts'`,
      `import type * as Core from '${join(CORE, 'src', 'types.ts')}'`,
      'type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false',
      ...names.map(
        (n) => `export const same${n ?? ''}: Equal<Spec.${n ?? ''}, Core.${n ?? ''}> = true`,
      ),
      '',
    ].join('\n'),
  )
  return file
}

/** The compiler options of the repository, for modules that are checked but not emitted. */
function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(join(REPO, 'tsconfig.base.json'), (p) => ts.sys.readFile(p))
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO)
  return {
    ...parsed.options,
    // Build-only settings, off: these modules are checked, never emitted.
    composite: false,
    declaration: false,
    declarationMap: false,
    isolatedDeclarations: false,
    rewriteRelativeImportExtensions: false,
    noEmit: true,
    allowImportingTsExtensions: true,
    types: ['node'],
    typeRoots: [join(REPO, 'node_modules', '@types')],
  }
}

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('docs/spec.md examples', () => {
  it('marks every TypeScript block as a named example', () => {
    expect(problems).toEqual([])
    expect(examples.length).toBeGreaterThanOrEqual(10)
    expect(examples.map((e) => e.name)).toContain('interface')
  })

  it('type-checks every example against the sources', () => {
    const check = interfaceCheck()
    const roots = [...files.values(), ...(check === undefined ? [] : [check])]
    const program = ts.createProgram(roots, compilerOptions())
    // Only the examples' own errors: the sources are checked by `tsc -b`.
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || d.file.fileName.startsWith(dir))
      .map((d) => {
        const where =
          d.file !== undefined && d.start !== undefined
            ? `${d.file.fileName.slice(dir.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}`
            : ''
        const text =
          d.file?.text.split('\n')[
            d.start === undefined ? 0 : d.file.getLineAndCharacterOfPosition(d.start).line
          ]
        return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')} [${text?.trim() ?? ''}]`
      })
    expect(diagnostics).toEqual([])
  }, 120_000)

  it.each(examples.map((e) => [e.name, e.line] as const))(
    'runs the example "%s" (spec line %i)',
    async (name) => {
      const file = files.get(name)
      if (file === undefined) throw new Error(`no file for ${name}`)
      await expect(import(pathToFileURL(file).href)).resolves.toBeDefined()
    },
  )
})
