/**
 * The chart of BENCHMARKS.md: one horizontal bar per measured row, its median A/B ratio, a
 * whisker from the smallest to the largest round, and a red mark at the row's goal. Plain SVG
 * written by hand (no dependency).
 *
 * @module
 */
import { belowGoal } from './markdown.mjs'
import { spread } from './stats.mjs'

/** @typedef {import('../measure.mjs').Row} Row */

const WIDTH = 1040
const LABEL = 470
const LEFT = LABEL + 10
const RIGHT = WIDTH - 30
const ROW = 20
const TOP = 60

const COLOURS = {
  meets: '#2563eb',
  below: '#dc2626',
  info: '#93c5fd',
  peer: '#9ca3af',
}

/** Short scenario names, so that every label fits left of the bars. */
const SHORT = /** @type {Record<string, string>} */ ({
  'hello world': 'hello',
  mount: 'mount',
  'framework app as gateway app': 'framework app',
  'fetch app as gateway app': 'fetch app',
  'in-process call': 'in-process',
  'Express app in Fastify': 'Express in Fastify',
  'Express middleware in Koa': 'Express mw in Koa',
  'Koa middleware in Express': 'Koa mw in Express',
  'fetch handler on a server': 'fetch handler',
  'Python WSGI app (Flask)': 'Flask app',
})

/**
 * The label of a bar: `echo, mount · toExpress(app) in Express`, and `(peer)` after a peer's
 * (its grey bar says so too, but a label is what survives a grey-scale print).
 *
 * @param {Row} row
 * @returns {string}
 */
export function labelOf(row) {
  const scenario = SHORT[row.scenario] ?? row.scenario
  const label = `${row.label}${row.role === 'peer' ? ' (peer)' : ''}`
  if (row.kind === 'transfer') return `${row.workload} · ${label}`
  if (row.workload === 'echo') {
    return `${scenario === 'hello' ? 'echo' : `echo, ${scenario}`} · ${label}`
  }
  return `${scenario} · ${label}`
}

/**
 * @param {string} text
 * @returns {string}
 */
const escape = (text) =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')

/** @type {Array<[Row['kind'], string]>} */
const SECTIONS = [
  ['rate', 'Request rates over sockets: requests per server-CPU second, A/B'],
  ['inproc', 'In-process calls: calls per CPU second, ours / light-my-request'],
  ['transfer', '1 GiB on one connection: MB/s, A/B'],
]

/**
 * The chart as SVG text.
 *
 * @param {Row[]} rows
 * @returns {string}
 */
export function renderChart(rows) {
  const measured = rows.filter((r) => r.status === 'ok' && r.ratios.length > 0)
  const top = Math.max(1.2, ...measured.map((r) => Math.max(...r.ratios) * 1.05))
  const scaleMax = Math.min(2.5, Math.ceil(top * 4) / 4)
  const x = (/** @type {number} */ v) => LEFT + (Math.min(v, scaleMax) / scaleMax) * (RIGHT - LEFT)

  /** @type {string[]} */
  const body = []
  let y = TOP
  for (const [kind, title] of SECTIONS) {
    const mine = measured.filter((r) => r.kind === kind)
    if (mine.length === 0) continue
    y += 8
    body.push(`<text x="10" y="${y + 12}" class="section">${escape(title)}</text>`)
    y += ROW
    for (const row of mine) {
      const { min, median, max } = spread(row.ratios)
      const colour =
        row.role === 'peer'
          ? COLOURS.peer
          : row.goal === undefined
            ? COLOURS.info
            : belowGoal(row)
              ? COLOURS.below
              : COLOURS.meets
      const label = labelOf(row)
      const mid = y + ROW / 2
      body.push(
        `<text x="${LABEL}" y="${mid + 4}" text-anchor="end">${escape(label)}</text>`,
        `<rect x="${LEFT}" y="${mid - 6}" width="${(x(median) - LEFT).toFixed(1)}" height="12" fill="${colour}"/>`,
        `<line x1="${x(min).toFixed(1)}" x2="${x(max).toFixed(1)}" y1="${mid}" y2="${mid}" class="whisker"/>`,
        `<line x1="${x(min).toFixed(1)}" x2="${x(min).toFixed(1)}" y1="${mid - 4}" y2="${mid + 4}" class="whisker"/>`,
        `<line x1="${x(max).toFixed(1)}" x2="${x(max).toFixed(1)}" y1="${mid - 4}" y2="${mid + 4}" class="whisker"/>`,
        `<text x="${(x(max) + 4).toFixed(1)}" y="${mid + 4}" class="value">${median.toFixed(2)}</text>`,
      )
      if (row.goal !== undefined) {
        body.push(
          `<line x1="${x(row.goal).toFixed(1)}" x2="${x(row.goal).toFixed(1)}" y1="${mid - 9}" y2="${mid + 9}" class="goal"/>`,
        )
      }
      y += ROW
    }
  }
  const height = y + 40
  /** @type {string[]} */
  const grid = []
  for (let v = 0; v <= scaleMax + 1e-9; v += 0.25) {
    const gx = x(v).toFixed(1)
    grid.push(
      `<line x1="${gx}" x2="${gx}" y1="${TOP}" y2="${y}" class="${Math.abs(v - 1) < 1e-9 ? 'one' : 'grid'}"/>`,
      `<text x="${gx}" y="${y + 16}" text-anchor="middle" class="value">${v.toFixed(2)}</text>`,
    )
  }
  const legend = [
    ['meets its goal', COLOURS.meets],
    ['below its goal', COLOURS.below],
    ['ours, no goal', COLOURS.info],
    ['peer', COLOURS.peer],
  ]
    .map(
      ([text, colour], i) =>
        `<rect x="${LEFT + i * 110}" y="30" width="12" height="12" fill="${colour}"/>` +
        `<text x="${LEFT + i * 110 + 16}" y="40">${text}</text>`,
    )
    .join('')
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    '<style>.section{font-weight:bold;font-size:13px}.value{fill:#374151;font-size:11px}' +
      '.grid{stroke:#e5e7eb}.one{stroke:#111827;stroke-width:1.5}.whisker{stroke:#111827}' +
      '.goal{stroke:#dc2626;stroke-width:2.5}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="22" class="section">wsgi-ts: each bridge as a ratio of its native baseline (1.00 = as fast; higher is better)</text>`,
    legend,
    `<line x1="${LEFT + 4 * 110}" x2="${LEFT + 4 * 110}" y1="28" y2="44" class="goal"/>` +
      `<text x="${LEFT + 4 * 110 + 6}" y="40">goal</text>`,
    ...grid,
    ...body,
    `<text x="${LEFT}" y="${height - 8}" class="value">whiskers: min–max over the rounds; bars: median</text>`,
    '</svg>',
    '',
  ].join('\n')
}
