/**
 * `node bench/src/ab.mjs <A> <B> [workload…] [--rounds N] [--seconds S]`: one A/B comparison of
 * any two stacks (ids of stacks/index.mjs, or `file:///…/module.mjs` exporting `start()`), with
 * the harness's rounds and ratios. For measuring an experiment before it lands in a bridge.
 *
 * @module
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

import { runGroup } from './measure.mjs'
import { renderTable } from './report/markdown.mjs'
import { pinSelf } from './spawn.mjs'

const { values, positionals } = parseArgs({
  // pnpm may pass on the `--` that separates its own options from the script's.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '50' },
    bytes: { type: 'string', default: String(256 * 1024 * 1024) },
  },
  allowPositionals: true,
})
const [a, b, ...rest] = positionals
if (a === undefined || b === undefined) {
  process.stderr.write('usage: node bench/src/ab.mjs <A> <B> [hello|echo|upload|download…]\n')
  process.exit(2)
}
const workloads = /** @type {Array<'hello' | 'echo' | 'upload' | 'download'>} */ (
  rest.length > 0 ? rest : ['hello']
)
const transfer = workloads.some((w) => w === 'upload' || w === 'download')
pinSelf()
const rows = await runGroup(
  {
    id: 'ab',
    kind: transfer ? 'transfer' : 'rate',
    baseline: b,
    workloads,
    contenders: [{ stack: a, role: 'ours', scenario: 'A/B', goal: undefined }],
  },
  {
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
    inprocSeconds: Number(values.seconds),
    warmup: Number(values.warmup),
    connections: Number(values.connections),
    bytes: Number(values.bytes),
    smoke: false,
    logDir: mkdtempSync(join(tmpdir(), 'wsgi-ab-')),
    log: (line) => {
      process.stderr.write(`${line}\n`)
    },
  },
)
process.stdout.write(`${renderTable(rows)}\n`)
for (const row of rows) {
  process.stdout.write(`${row.workload} ratios: ${row.ratios.map((r) => r.toFixed(3)).join(' ')}\n`)
  if (row.reason !== undefined) process.stdout.write(`${row.reason}\n`)
}
