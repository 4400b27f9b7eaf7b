/**
 * The examples of docs/for-express-developers.md: each runs (real servers, real sockets, the
 * real `wsgi` command), and the page shows each file verbatim, so what CI runs is what the page
 * shows.
 *
 * @module
 */

import { readFileSync, readdirSync } from 'node:fs'

import { describe, expect, it } from 'vitest'

import { checks } from './check.js'

const read = (path) => readFileSync(new URL(path, import.meta.url), 'utf8')
const page = read('../docs/for-express-developers.md')
const files = readdirSync(new URL('.', import.meta.url)).filter(
  (name) =>
    name.endsWith('.js') &&
    !name.endsWith('.test.js') &&
    !['check.js', 'vitest.config.js'].includes(name),
)

describe('docs/for-express-developers.md', () => {
  it('has a check for every example file', () => {
    expect(Object.keys(checks).sort()).toEqual([...files].sort())
  })

  it.each(files)('shows examples/%s verbatim', (file) => {
    expect(page).toContain('```js\n' + read(file) + '```\n')
  })

  it('shows no example that is not a file here', () => {
    const blocks = [...page.matchAll(/```js\n\/\/ examples\/([\w.-]+)/g)].map((m) => m[1])
    expect(blocks.sort()).toEqual([...files].sort())
  })
})

describe('examples', () => {
  it.each(Object.keys(checks))('%s answers as the page says', async (file) => {
    await checks[file]()
  })
})
