/**
 * `bench:alloc` still runs and reports figures in a plausible range: it is a measuring tool the
 * analysis quotes, and nothing else in CI starts it.
 *
 * @module
 */
import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ALLOC = join(dirname(fileURLToPath(import.meta.url)), 'alloc.mjs')

/**
 * @param {string[]} args
 * @returns {Promise<string>}
 */
async function alloc(args) {
  const { stdout } = await run(process.execPath, ['--expose-gc', ALLOC, ...args], {
    env: { ...process.env, NODE_ENV: 'production' },
    timeout: 60_000,
  })
  return stdout
}

describe('bench:alloc', () => {
  it('reports the bytes and CPU per request of each stack', async () => {
    const out = await alloc(['node', '--requests', '2000', '--rounds', '1', '--warmup', '500'])
    const line = out.split('\n').find((text) => text.startsWith('node '))
    const match = /(\d+) bytes\s+([\d.]+) µs CPU/.exec(line ?? '')
    expect(match, out).not.toBeNull()
    // A hello-world request on raw node:http, with the client's share, allocates kilobytes: less
    // than 1 KB or more than 100 KB would mean the count is wrong.
    const bytes = Number(match?.[1])
    expect(bytes).toBeGreaterThan(1_000)
    expect(bytes).toBeLessThan(100_000)
    expect(Number(match?.[2])).toBeGreaterThan(0)
  }, 90_000)

  it('lists allocation sites with --sites, node:http among them', async () => {
    const out = await alloc(['node', '--sites', '--requests', '2000', '--warmup', '500'])
    expect(out).toMatch(/^node: top \d+ allocation sites, \d+ bytes per request$/m)
    expect(out).toMatch(/node:_http_server/)
  }, 90_000)
})
