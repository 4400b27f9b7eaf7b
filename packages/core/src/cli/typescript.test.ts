import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { describe, expect, it, onTestFinished } from 'vitest'

import { findTsx, importEntry } from './typescript.ts'

const fixtures = fileURLToPath(new URL('../../test/fixtures/cli/', import.meta.url))

describe('findTsx(file, cwd)', () => {
  it("finds the tsx of the app's project (a devDependency of the workspace root)", () => {
    expect(findTsx(join(fixtures, 'app.ts'), fixtures)).toMatch(/[\\/]tsx[\\/]/)
  })
  // None outside any project: the end-to-end test (cli-serve.e2e) runs that in a process
  // without pnpm's NODE_PATH, which this test process has from its start.
})

describe('importEntry(absolute, label)', () => {
  it('imports a JavaScript module as it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsgi-entry-'))
    onTestFinished(() => {
      rmSync(dir, { recursive: true, force: true })
    })
    writeFileSync(join(dir, 'm.mjs'), 'export default 7\n')
    expect(await importEntry(join(dir, 'm.mjs'), 'm.mjs')).toMatchObject({ default: 7 })
  })
})
