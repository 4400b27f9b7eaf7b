import { describe, expect, it } from 'vitest'

import { isIgnoredChange } from './reload.ts'

describe('isIgnoredChange(filename)', () => {
  it.each([
    ['app.mjs', false],
    ['routes/api.ts', false],
    ['node_modules/express/index.js', true],
    ['.git/index', true],
    ['src/.app.mjs.swp', true],
    ['app.mjs~', true],
  ])('%s: %s', (filename, ignored) => {
    expect(isIgnoredChange(filename)).toBe(ignored)
  })
})
