/**
 * The report: the terminal table, and BENCHMARKS.md (the run's details, the tables, the chart,
 * the rows below their goal with the explanation that covers each, and bench/analysis.md).
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { NOISE, RSS_GOAL } from '../plan.mjs'
import { formatCount, formatMiB, formatRatio, median } from './stats.mjs'

/** @typedef {import('../measure.mjs').Row} Row */
/** @typedef {import('../load.mjs').RateSample} RateSample */
/** @typedef {import('../load.mjs').TransferSample} TransferSample */
/** @typedef {import('../machine.mjs').RunInfo} RunInfo */

const ANALYSIS = fileURLToPath(new URL('../../analysis.md', import.meta.url))

const WORKLOAD_TITLES = /** @type {Record<string, string>} */ ({
  hello: 'hello world',
  echo: '64 KiB POST echo',
  upload: '1 GiB upload',
  download: '1 GiB download',
})

/**
 * The scenario column: the scenario, and the workload when it is not hello world.
 *
 * @param {Row} row
 * @returns {string}
 */
export function scenarioOf(row) {
  if (row.kind === 'transfer') return WORKLOAD_TITLES[row.workload] ?? row.workload
  if (row.kind === 'inproc')
    return `in-process call, ${WORKLOAD_TITLES[row.workload] ?? row.workload}`
  if (row.workload === 'echo') {
    return row.scenario === 'hello world'
      ? '64 KiB POST echo'
      : `64 KiB POST echo (${row.scenario})`
  }
  return row.scenario
}

/**
 * The key a row is known by in bench/analysis.md: `stack/workload`.
 *
 * @param {Row} row
 */
export const keyOf = (row) => `${row.stack}/${row.workload}`

/**
 * True when a measured row is under its goal (its median ratio, or its RSS growth).
 *
 * @param {Row} row
 * @returns {boolean}
 */
export function belowGoal(row) {
  if (row.status !== 'ok' || row.goal === undefined || row.ratios.length === 0) return false
  if (median(row.ratios) < row.goal) return true
  return row.kind === 'transfer' && rssGrowth(row) >= RSS_GOAL
}

/**
 * The largest RSS growth of a transfer row's contender (or baseline) over its rounds.
 *
 * @param {Row} row
 * @param {'a' | 'b'} [side]
 * @returns {number}
 */
function rssGrowth(row, side = 'a') {
  return Math.max(0, ...row[side].map((s) => /** @type {TransferSample} */ (s).rssGrowth))
}

/**
 * The verdict column.
 *
 * @param {Row} row
 * @returns {string}
 */
function verdict(row) {
  if (row.status === 'skipped') return `skipped: ${row.reason ?? ''}`
  if (row.status === 'failed') return `FAILED: ${(row.reason ?? '').split('\n')[0] ?? ''}`
  if (row.goal === undefined) return row.role === 'peer' ? 'peer' : 'no goal'
  return belowGoal(row) ? 'below goal' : 'meets goal'
}

/** @param {number} micros */
const perRequest = (micros) => (Number.isFinite(micros) ? `${micros.toFixed(1)}` : '—')

/**
 * The cells of a row, for whichever table it belongs to.
 *
 * @param {Row} row
 * @returns {string[]}
 */
function cells(row) {
  const goal = row.goal === undefined ? '—' : `≥ ${row.goal.toFixed(2)}`
  const head = [
    scenarioOf(row),
    `${row.label}${row.role === 'peer' ? ' (peer)' : ''}`,
    row.baselineLabel,
    goal,
  ]
  if (row.status !== 'ok' || row.ratios.length === 0) {
    return [...head, '—', '—', '—', '—', '—', verdict(row)]
  }
  if (row.kind === 'transfer') {
    const a = /** @type {TransferSample[]} */ (row.a)
    const b = /** @type {TransferSample[]} */ (row.b)
    return [
      ...head,
      formatRatio(row.ratios),
      median(a.map((s) => s.mbps)).toFixed(0),
      median(b.map((s) => s.mbps)).toFixed(0),
      `${(median(a.map((s) => s.cpu)) / 1e6).toFixed(2)} / ${(median(b.map((s) => s.cpu)) / 1e6).toFixed(2)}`,
      `${formatMiB(rssGrowth(row))} / ${formatMiB(rssGrowth(row, 'b'))}`,
      verdict(row),
    ]
  }
  const a = /** @type {RateSample[]} */ (row.a)
  const b = /** @type {RateSample[]} */ (row.b)
  return [
    ...head,
    formatRatio(row.ratios),
    formatCount(median(a.map((s) => s.rps))),
    formatCount(median(b.map((s) => s.rps))),
    `${perRequest(median(a.map((s) => s.cpu / s.requests)))} / ${perRequest(median(b.map((s) => s.cpu / s.requests)))}`,
    `${(median(a.map((s) => s.utilisation)) * 100).toFixed(0)}% / ${(median(b.map((s) => s.utilisation)) * 100).toFixed(0)}%`,
    verdict(row),
  ]
}

/** The column titles of each kind of table. */
const HEADERS = {
  rate: [
    'scenario',
    'A',
    'B (baseline)',
    'goal A/B',
    'A/B median (min–max)',
    'A req/s',
    'B req/s',
    'server CPU µs/req A / B',
    'server core busy A / B',
    '',
  ],
  inproc: [
    'scenario',
    'A',
    'B (baseline)',
    'goal A/B',
    'A/B median (min–max)',
    'A calls/s',
    'B calls/s',
    'CPU µs/call A / B',
    'core busy A / B',
    '',
  ],
  transfer: [
    'transfer',
    'A',
    'B (baseline)',
    'goal A/B',
    'A/B MB/s median (min–max)',
    'A MB/s',
    'B MB/s',
    'server CPU s A / B',
    'server RSS growth A / B (max)',
    '',
  ],
}

/** @type {Array<[Row['kind'], string]>} */
const SECTIONS = [
  ['rate', 'Request rates over sockets (A/B = requests per second of server CPU)'],
  ['inproc', 'In-process calls, no socket (A/B = calls per second of CPU)'],
  ['transfer', 'Streaming 1 GiB through one connection (A/B = MB/s)'],
]

/**
 * A Markdown table.
 *
 * @param {string[]} header
 * @param {string[][]} body
 * @returns {string}
 */
function table(header, body) {
  const escape = (/** @type {string} */ cell) => cell.replaceAll('|', '\\|')
  return [
    `| ${header.map(escape).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.map(escape).join(' | ')} |`),
  ].join('\n')
}

/**
 * The table printed at the end of `pnpm bench`: each section as aligned text.
 *
 * @param {Row[]} rows
 * @returns {string}
 */
export function renderTable(rows) {
  const out = []
  for (const [kind, title] of SECTIONS) {
    const mine = rows.filter((r) => r.kind === kind)
    if (mine.length === 0) continue
    const grid = [HEADERS[kind], ...mine.map(cells)]
    const widths = grid[0]?.map((_, i) => Math.max(...grid.map((r) => (r[i] ?? '').length))) ?? []
    out.push(`\n${title}\n`)
    for (const r of grid)
      out.push(
        r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
  }
  return out.join('\n')
}

/**
 * The sections of bench/analysis.md and the rows each explains, read from a
 * `<!-- rows: stack/workload … -->` line under its heading.
 *
 * @returns {{ text: string, covers: Map<string, string> }}
 */
function readAnalysis() {
  /** @type {Map<string, string>} */
  const covers = new Map()
  if (!existsSync(ANALYSIS)) return { text: '', covers }
  const text = readFileSync(ANALYSIS, 'utf8')
  let heading = ''
  for (const line of text.split('\n')) {
    const h = /^#{2,4} (.+)$/.exec(line)
    if (h !== null) heading = h[1]?.trim() ?? ''
    const m = /^<!-- rows: (.+) -->$/.exec(line.trim())
    if (m !== null) for (const key of (m[1] ?? '').split(/\s+/)) covers.set(key, heading)
  }
  return { text, covers }
}

/**
 * A GitHub heading anchor.
 *
 * @param {string} heading
 */
const anchor = (heading) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replaceAll(' ', '-')

/**
 * The run's noise: each A/A row (a baseline against a second process of itself), which reads
 * 1.00 on a quiet machine.
 *
 * @param {Row[]} rows
 * @returns {string[]}
 */
function noiseLines(rows) {
  const measured = rows.filter((r) => r.note === NOISE && r.status === 'ok' && r.ratios.length > 0)
  if (measured.length === 0) return []
  const each = measured.map(
    (r) =>
      `${r.baselineLabel}, ${WORKLOAD_TITLES[r.workload] ?? r.workload}: ${formatRatio(r.ratios)}`,
  )
  return [
    `- Noise: each baseline marked A/A against a second process of itself (1.00 on a quiet machine): ${each.join('; ')}. ` +
      'A row that far from its goal is not told apart from it by this run.',
  ]
}

/**
 * BENCHMARKS.md.
 *
 * @param {Row[]} rows
 * @param {RunInfo} info
 * @param {string} chartPath the chart, relative to BENCHMARKS.md
 * @returns {string}
 */
export function renderMarkdown(rows, info, chartPath) {
  const s = info.settings
  const { text: analysis, covers } = readAnalysis()
  const below = rows.filter(belowGoal)
  const lines = [
    '# Benchmarks',
    '',
    '<!-- Generated by `pnpm bench` (bench/src/run.mjs); edit bench/analysis.md instead. -->',
    '',
    'Every bridge against its native baseline, side by side, each server a child process on',
    '127.0.0.1. How it works and how to read it: [bench/README.md](bench/README.md).',
    '',
    '## This run',
    '',
    `- Command: \`${info.command}\``,
    `- Date: ${info.date}; took ${Math.round(info.elapsed)} s`,
    `- Machine: ${info.cpu}, ${info.cores} CPUs, ${info.memory} RAM, ${info.os}`,
    `- Node.js: ${info.node}; commit ${info.commit}`,
    `- Load average (1, 5, 15 min) before: ${info.loadBefore.map((l) => l.toFixed(2)).join(', ')}; ` +
      `after: ${info.loadAfter.map((l) => l.toFixed(2)).join(', ')} (the run itself adds about 2)`,
    `- Load: autocannon, ${s.connections} connections, pipelining 1; ${s.rounds} rounds of ${s.seconds} s per server ` +
      `after a ${s.warmup} s warm-up, the order reversed every other round; transfers of ${formatMiB(s.bytes)} on one connection`,
    info.pinning === undefined
      ? '- CPU pinning: none (needs Linux, `taskset` and two CPUs): servers and load share the CPUs'
      : `- CPU pinning: every server on CPU ${info.pinning.server} (one process), the load generator on CPU ${info.pinning.client}`,
    ...noiseLines(rows),
    '',
    `![A/B ratios: median, min–max whiskers, goal marks](${chartPath})`,
    '',
  ]
  for (const [kind, title] of SECTIONS) {
    const mine = rows.filter((r) => r.kind === kind)
    if (mine.length === 0) continue
    lines.push(`## ${title}`, '', table(HEADERS[kind], mine.map(cells)), '')
  }
  lines.push('## Below goal', '')
  if (below.length === 0) {
    lines.push('Every measured row meets its goal in this run.', '')
  } else {
    for (const row of below) {
      const heading = covers.get(keyOf(row))
      const where =
        heading === undefined
          ? '**no profile-backed explanation yet**'
          : `explained in [${heading}](#${anchor(heading)})`
      lines.push(`- ${scenarioOf(row)}, ${row.label}: ${formatRatio(row.ratios)} — ${where}`)
    }
    lines.push('')
  }
  const skipped = rows.filter((r) => r.status !== 'ok')
  if (skipped.length > 0) {
    lines.push('## Not measured', '')
    const seen = new Set()
    for (const row of skipped) {
      const line = `- ${row.label}: ${(row.reason ?? row.status).split('\n')[0] ?? ''}`
      if (!seen.has(line)) lines.push(line)
      seen.add(line)
    }
    lines.push('')
  }
  if (analysis !== '') lines.push(analysis.trim(), '')
  return lines.join('\n')
}
