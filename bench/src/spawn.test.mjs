/**
 * The harness's server processes: every one starts with the same malloc settings (see
 * `MALLOC_TUNABLES`), so no upload row measures glibc giving its heap back after each scavenge.
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { measureTransfer } from './load.mjs'
import { Child, MALLOC_TUNABLES, SERVER_FLAGS, serverEnv } from './spawn.mjs'

const logDir = mkdtempSync(join(tmpdir(), 'wsgi-bench-spawn-'))
afterAll(() => {
  rmSync(logDir, { recursive: true, force: true })
})

describe('serverEnv', () => {
  it('fixes both of glibc malloc thresholds, so neither moves with what the process frees', () => {
    const env = serverEnv({ PATH: '/bin' })
    expect(env['GLIBC_TUNABLES']).toBe(MALLOC_TUNABLES)
    expect(MALLOC_TUNABLES.split(':').sort()).toEqual([
      'glibc.malloc.mmap_threshold=33554432',
      'glibc.malloc.trim_threshold=67108864',
    ])
    expect(env['NODE_ENV']).toBe('production')
    expect(env['PATH']).toBe('/bin')
  })

  it("keeps the caller's own tunables, ours after them", () => {
    const env = serverEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' })
    expect(env['GLIBC_TUNABLES']).toBe(`glibc.malloc.arena_max=2:${MALLOC_TUNABLES}`)
  })
})

/**
 * Minor page faults of a process so far (`/proc/<pid>/stat`, the 10th field).
 *
 * @param {number} pid
 * @returns {number}
 */
function minorFaults(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
  // The fields after the command name (in parentheses, which may hold spaces): state is 3rd.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7])
}

describe('Child', () => {
  it('starts the server with them: an upload reuses the heap instead of faulting it back in', async () => {
    const child = new Child('node', { log: join(logDir, 'node.log') })
    try {
      await child.ready()
      // glibc parses the variable in place (2.36 leaves what precedes the first ':'), so what the
      // kernel holds is our value or its start.
      const environ = readFileSync(`/proc/${child.pid}/environ`, 'latin1').split('\0')
      const value = environ.find((entry) => entry.startsWith('GLIBC_TUNABLES='))?.slice(15) ?? ''
      expect(value).not.toBe('')
      expect(MALLOC_TUNABLES.startsWith(value)).toBe(true)
      // 64 MiB is 16 384 pages; with glibc's defaults a process whose body buffers sit at the
      // top of its heap trimmed and re-faulted up to 2/3 of them (measured: 0.9k-44k faults per
      // 256 MiB). With the fixed thresholds the heap of the warm-up is reused: a few hundred.
      await measureTransfer(child, 'upload', 64 * 1024 * 1024)
      const before = minorFaults(child.pid)
      await measureTransfer(child, 'upload', 64 * 1024 * 1024)
      expect(minorFaults(child.pid) - before).toBeLessThan(4096)
    } finally {
      await child.stop()
    }
  })

  it('runs a server with a fixed heap growing factor: an upload makes V8 re-mark no more', async () => {
    const log = join(logDir, 'express-from.log')
    const child = new Child('express-from', { log, nodeOptions: ['--trace-gc', ...SERVER_FLAGS] })
    try {
      await child.ready()
      await measureTransfer(child, 'upload', 64 * 1024 * 1024)
      const before = markCompacts(log)
      await measureTransfer(child, 'upload', 256 * 1024 * 1024)
      // This stack's live heap (8.3-8.7 MiB) is where Node 20's V8 marks again right after each
      // mark-compact during an upload: measured 4-8 of them per 256 MiB with its default factor.
      expect(markCompacts(log) - before).toBeLessThan(3)
    } finally {
      await child.stop()
    }
  })
})

/**
 * Mark-compacts a child's `--trace-gc` log shows so far.
 *
 * @param {string} log
 * @returns {number}
 */
function markCompacts(log) {
  return readFileSync(log, 'latin1').split('Mark-Compact').length - 1
}
