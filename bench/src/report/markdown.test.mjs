/**
 * BENCHMARKS.md's account of the run's noise: the A/A rows (a baseline against a second process
 * of itself) are listed under "This run", and only those.
 *
 * @module
 */
import { describe, expect, it } from 'vitest'

import { NOISE } from '../plan.mjs'
import { renderMarkdown } from './markdown.mjs'

/** @typedef {import('../measure.mjs').Row} Row */

/**
 * A measured request-rate row.
 *
 * @param {string} stack
 * @param {string} label
 * @param {number[]} ratios
 * @param {string | undefined} note
 * @returns {Row}
 */
function row(stack, label, ratios, note) {
  const sample = {
    requests: 1000,
    seconds: 1,
    rps: 1000,
    cpu: 500_000,
    perCpuSecond: 2000,
    utilisation: 0.5,
  }
  return {
    group: 'koa',
    kind: 'rate',
    workload: 'hello',
    scenario: 'framework alone',
    stack,
    label,
    role: 'ours',
    note,
    baseline: 'koa',
    baselineLabel: 'Koa app on its own server',
    goal: undefined,
    status: 'ok',
    reason: undefined,
    ratios,
    a: ratios.map(() => sample),
    b: ratios.map(() => sample),
  }
}

/** @type {import('../machine.mjs').RunInfo} */
const info = {
  command: 'pnpm bench',
  date: '2026-12-07T00:00:00Z',
  node: 'v22.0.0',
  os: 'Linux',
  cpu: 'a CPU',
  cores: 2,
  memory: '1 GiB',
  commit: 'abc1234',
  elapsed: 1,
  loadBefore: [0, 0, 0],
  loadAfter: [0, 0, 0],
  settings: {
    rounds: 3,
    seconds: 3,
    inprocSeconds: 2,
    warmup: 1,
    connections: 50,
    bytes: 1024,
    smoke: false,
    logDir: '/tmp',
    log: () => undefined,
  },
  pinning: undefined,
}

describe('renderMarkdown: the noise of the run', () => {
  it('lists each A/A row with its median and spread, and no other row', () => {
    const text = renderMarkdown(
      [
        row('koa-again', 'Koa app, a second process', [0.94, 0.79, 1.06], NOISE),
        row('koa-to', 'toKoa(app) in Koa', [0.5, 0.6, 0.7], undefined),
      ],
      info,
      'chart.svg',
    )
    const lines = text.split('\n').filter((line) => line.startsWith('- Noise:'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('Koa app on its own server, hello world: 0.94 (0.79–1.06)')
    expect(lines[0]).not.toContain('0.60')
  })

  it('says nothing of noise when the run had no A/A row', () => {
    const text = renderMarkdown(
      [row('koa-to', 'toKoa(app) in Koa', [0.5, 0.6, 0.7], undefined)],
      info,
      'chart.svg',
    )
    expect(text).not.toContain('- Noise:')
  })
})
