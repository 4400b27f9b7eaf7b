/**
 * `pnpm bench`: every bridge against its native baseline, side by side. Prints the table and
 * writes BENCHMARKS.md, the chart of the ratios (bench/ratios.svg) and every sample
 * (bench/results.json). `pnpm bench:smoke` runs every server briefly to prove the harness works
 * (writes to a temporary folder, exits non-zero on any failure).
 *
 * Options: `--smoke`, `--only core,express,…`, `--rounds N`, `--seconds S`, `--warmup S`,
 * `--connections C`, `--bytes N`, `--out DIR` (where BENCHMARKS.md goes; default the repo root),
 * `--render FILE` (no measuring: BENCHMARKS.md and the chart again from a results.json, after
 * bench/analysis.md changed).
 *
 * @module
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import { machineInfo } from './machine.mjs'
import { runGroup } from './measure.mjs'
import { GROUPS } from './plan.mjs'
import { renderChart } from './report/chart.mjs'
import { renderMarkdown, renderTable } from './report/markdown.mjs'
import { pinSelf, pinning } from './spawn.mjs'

/** @typedef {import('./measure.mjs').Row} Row */
/** @typedef {import('./machine.mjs').RunInfo} RunInfo */

const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const ROOT = resolve(BENCH, '..')

const { values } = parseArgs({
  // pnpm may pass on the `--` that separates its own options from the script's.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    bytes: { type: 'string' },
    out: { type: 'string' },
    render: { type: 'string' },
  },
})

const smoke = values.smoke === true
/** @param {string | undefined} text @param {number} fallback */
const num = (text, fallback) => (text === undefined ? fallback : Number(text))
// Paths given on the command line are relative to where `pnpm` was run (pnpm runs the script in
// bench/ and says where it was started in INIT_CWD).
/** @param {string} path */
const fromCwd = (path) => resolve(process.env['INIT_CWD'] ?? process.cwd(), path)
/** @param {string} line */
const log = (line) => {
  process.stderr.write(`${line}\n`)
}

/**
 * Write BENCHMARKS.md and the chart into `dir` (the chart into bench/ when `dir` is the root).
 *
 * @param {Row[]} rows
 * @param {RunInfo} info
 * @param {string} dir
 */
function writeReport(rows, info, dir) {
  mkdirSync(dir, { recursive: true })
  const chartPath = join(dir === ROOT ? BENCH : dir, 'ratios.svg')
  writeFileSync(chartPath, renderChart(rows))
  const markdownPath = join(dir, 'BENCHMARKS.md')
  writeFileSync(markdownPath, renderMarkdown(rows, info, relative(dir, chartPath)))
  log(`wrote ${markdownPath} and ${chartPath}`)
}

if (values.render !== undefined) {
  /** @type {{ info: RunInfo, rows: Row[] }} */
  const saved = JSON.parse(readFileSync(fromCwd(values.render), 'utf8'))
  process.stdout.write(`${renderTable(saved.rows)}\n`)
  writeReport(saved.rows, saved.info, values.out !== undefined ? fromCwd(values.out) : ROOT)
  process.exit(0)
}

const logDir = mkdtempSync(join(tmpdir(), 'wsgi-bench-'))
/** @type {import('./measure.mjs').Settings} */
const settings = {
  rounds: num(values.rounds, smoke ? 1 : 3),
  seconds: num(values.seconds, smoke ? 1 : 3),
  inprocSeconds: num(values.seconds, smoke ? 0.3 : 2),
  warmup: num(values.warmup, smoke ? 0 : 1),
  connections: num(values.connections, 50),
  bytes: num(values.bytes, smoke ? 8 * 1024 * 1024 : 1024 * 1024 * 1024),
  smoke,
  logDir,
  log,
}
const outDir = values.out !== undefined ? fromCwd(values.out) : smoke ? logDir : ROOT
const only = values.only?.split(',').map((s) => s.trim())
const groups = GROUPS.filter((g) => only === undefined || only.includes(g.id))

pinSelf()
const loadBefore = loadavg()
const started = performance.now()
const args = process.argv.slice(2).filter((arg) => arg !== '--')
const command = smoke
  ? 'pnpm bench:smoke'
  : `pnpm bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`
log(
  `${command}: ${groups.length} groups, ${settings.rounds} rounds of ${settings.seconds} s, ` +
    `${settings.connections} connections, transfers of ${settings.bytes} bytes` +
    (pinning === undefined
      ? ', no CPU pinning'
      : `, servers on CPU ${pinning.server}, load on CPU ${pinning.client}`),
)
if (!smoke && loadBefore[0] !== undefined && loadBefore[0] > 1) {
  log(`note: the load average is ${loadBefore[0].toFixed(2)}: other work on the machine adds noise`)
}

/** @type {Row[]} */
const rows = []
for (const group of groups) {
  const t0 = performance.now()
  log(`${group.id}:`)
  rows.push(...(await runGroup(group, settings)))
  log(`  ${group.id} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}
const elapsed = (performance.now() - started) / 1000
log(`measured in ${elapsed.toFixed(0)} s`)

const info = machineInfo({ command, elapsed, loadBefore, settings, pinning })
process.stdout.write(`${renderTable(rows)}\n`)
writeReport(rows, info, outDir)
// Every sample of the run: BENCHMARKS.md can be rendered again from it (--render).
const resultsPath = join(outDir === ROOT ? BENCH : outDir, 'results.json')
writeFileSync(resultsPath, `${JSON.stringify({ info, rows }, null, 1)}\n`)
log(`wrote ${resultsPath}`)

const failed = rows.filter((r) => r.status === 'failed')
for (const row of failed) log(`FAILED ${row.stack} ${row.workload}: ${row.reason ?? ''}`)
if (smoke) {
  const ran = rows.filter((r) => r.status === 'ok' && r.ratios.length > 0).length
  log(`smoke: ${ran} rows measured, ${failed.length} failed`)
  if (ran === 0) process.exitCode = 1
}
if (failed.length > 0) {
  process.exitCode = 1
  log(`the servers' output is in ${logDir}`)
} else {
  rmSync(logDir, { recursive: true, force: true })
}
