/**
 * The root README's headline example: `test/fixtures/readme/headline.ts` is the README's code
 * block verbatim, and its application passes `validator()` (wsgiref.validate) over a real socket,
 * with a body and without one.
 *
 * @module
 */

import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { describe, expect, it, onTestFinished } from 'vitest'

import type { WSGIServer } from '../src/simple-server/index.ts'

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
const example = new URL('fixtures/readme/headline.ts', import.meta.url)
const source = readFileSync(example, 'utf8')

/** The ```ts block of the README section `heading`. */
function codeBlock(heading: string): string {
  const section = readme.indexOf(`## ${heading}`)
  expect(section).toBeGreaterThanOrEqual(0)
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(section))
  return match?.[1] ?? ''
}

/** `text` with `from` replaced by `to`, where `from` occurs exactly once. */
function replaceOnce(text: string, from: string, to: string): string {
  expect(text.split(from)).toHaveLength(2)
  return text.replace(from, to)
}

describe("the root README's headline example", () => {
  it('is the example file, verbatim', () => {
    expect(codeBlock('A gateway app in ten lines')).toBe(source)
  })

  it('passes the validator over a real socket', async () => {
    // The example as written, except where it listens (a free port, not 8000), with its app
    // under validator(), and the server handed back instead of served forever.
    let runnable = replaceOnce(
      source,
      "makeServer('', 8000, app)",
      "makeServer('127.0.0.1', 0, validator(app), { accessLog: false })",
    )
    runnable = replaceOnce(runnable, 'await httpd.serveForever()', 'export { httpd }')
    runnable = `import { validator } from '@wsgi/core/validate'\n${runnable}`
    const file = new URL(`fixtures/readme/.headline-${process.pid}.ts`, import.meta.url)
    writeFileSync(file, runnable)
    onTestFinished(() => {
      rmSync(file, { force: true })
    })
    const { httpd } = (await import(fileURLToPath(file))) as { httpd: WSGIServer }
    void httpd.serveForever()
    onTestFinished(() => httpd.shutdown())
    const base = `http://127.0.0.1:${httpd.serverPort}`

    const post = await fetch(`${base}/upload`, { method: 'POST', body: 'twelve bytes' })
    expect(post.status).toBe(200)
    expect(await post.text()).toBe('POST /upload: 12 bytes\n')
    const get = await fetch(`${base}/`)
    expect(get.status).toBe(200)
    expect(await get.text()).toBe('GET /: 0 bytes\n')
  })
})
