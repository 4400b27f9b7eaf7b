import { readFileSync } from 'node:fs'

import { describe, expect, it } from 'vitest'

import { ERROR_CODES } from '../src/errors.ts'
import { WARNING_CODES } from '../src/warnings.ts'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

// Codes are stable API and the README is where users look them up: every registered code must
// have its row, with the same "when" text as the registry.
describe('core README', () => {
  it.each(Object.entries(ERROR_CODES))('documents error code %s', (code, info) => {
    expect(readme).toContain(`| \`${code}\` | ${info.when.replace(/\|/g, '\\|')} |`)
  })

  it.each(Object.entries(WARNING_CODES))('documents warning code %s', (code, info) => {
    expect(readme).toContain(`| \`${code}\` | ${info.when.replace(/\|/g, '\\|')} |`)
  })
})
