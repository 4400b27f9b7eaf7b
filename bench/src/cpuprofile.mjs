/**
 * Summarise a V8 `.cpuprofile` (what `node --cpu-prof` writes): the frames with the most self
 * time, and the self time per package (node internals, express, @wsgi/core…).
 *
 * Usage: `node bench/src/cpuprofile.mjs <file.cpuprofile> [--top N] [--callers <function>]`
 * (`--callers` lists the call paths, inner to outer, under which a function spent its time).
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

/**
 * @typedef {object} ProfileNode
 * @property {number} id
 * @property {{ functionName: string, url: string, lineNumber: number, columnNumber: number }} callFrame
 * @property {number[]} [children]
 */

/**
 * @typedef {object} CpuProfile
 * @property {ProfileNode[]} nodes
 * @property {number} startTime
 * @property {number} endTime
 * @property {number[]} samples
 * @property {number[]} timeDeltas
 */

/**
 * Where a script belongs: `@wsgi/core`, `express`, `node:internal`, …
 *
 * @param {string} url
 * @returns {string}
 */
export function packageOf(url) {
  if (url === '') return '(native / vm)'
  if (url.startsWith('node:')) return 'node (internals)'
  const path = url.replace(/^file:\/\//, '')
  const wsgi = /\/packages\/([^/]+)\//.exec(path)
  if (wsgi !== null) return wsgi[1] === 'core' ? '@wsgi/core' : `@wsgi/${wsgi[1] ?? ''}`
  if (path.includes('/bench/src/')) return 'bench (apps, harness)'
  const modules = path.split('/node_modules/')
  const last = modules[modules.length - 1]
  if (modules.length > 1 && last !== undefined) {
    const parts = last.split('/')
    return parts[0]?.startsWith('@') === true ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? path)
  }
  return path
}

/**
 * A frame's display name: `function file:line`.
 *
 * @param {ProfileNode['callFrame']} frame
 * @returns {string}
 */
function frameName(frame) {
  const file = frame.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|packages)\//, '')
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName
  return file === '' ? name : `${name} ${file}:${frame.lineNumber + 1}`
}

/**
 * Self time per frame and per package.
 *
 * @param {CpuProfile} profile
 * @returns {{ total: number, frames: Array<[string, number, string]>, packages: Array<[string, number]>, inclusive: Array<[string, number]> }}
 */
export function summarise(profile) {
  /** @type {Map<number, ProfileNode>} */
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  /** @type {Map<number, number>} */
  const parent = new Map()
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id)
  /** @type {Map<number, number>} */
  const self = new Map()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    self.set(id, (self.get(id) ?? 0) + dt)
    total += dt
  })
  // Inclusive time of each of our own frames (@wsgi/*): a sample counts once per frame name.
  /** @type {Map<string, number>} */
  const inclusive = new Map()
  for (const [id, time] of self) {
    /** @type {Set<string>} */
    const names = new Set()
    for (let at = /** @type {number | undefined} */ (id); at !== undefined; at = parent.get(at)) {
      const node = byId.get(at)
      if (node !== undefined && packageOf(node.callFrame.url).startsWith('@wsgi/')) {
        names.add(frameName(node.callFrame))
      }
    }
    for (const name of names) inclusive.set(name, (inclusive.get(name) ?? 0) + time)
  }
  /** @type {Map<string, [number, string]>} */
  const frames = new Map()
  /** @type {Map<string, number>} */
  const packages = new Map()
  for (const [id, time] of self) {
    const node = byId.get(id)
    if (node === undefined) continue
    const name = frameName(node.callFrame)
    const pkg = packageOf(node.callFrame.url)
    const seen = frames.get(name)
    frames.set(name, [(seen?.[0] ?? 0) + time, pkg])
    packages.set(pkg, (packages.get(pkg) ?? 0) + time)
  }
  return {
    total,
    frames: [...frames]
      .map(([name, [time, pkg]]) => /** @type {[string, number, string]} */ ([name, time, pkg]))
      .sort((x, y) => y[1] - x[1]),
    packages: [...packages].sort((x, y) => y[1] - x[1]),
    inclusive: [...inclusive].sort((x, y) => y[1] - x[1]),
  }
}

/**
 * The summary as text.
 *
 * @param {CpuProfile} profile
 * @param {number} top
 * @returns {string}
 */
export function formatSummary(profile, top) {
  const { total, frames, packages, inclusive } = summarise(profile)
  // Percentages of the busy time: the idle time says how hard the load pushed, not where the
  // CPU went.
  const idle = frames.find(([name]) => name === '(idle)')?.[1] ?? 0
  const busy = total - idle
  const pct = (/** @type {number} */ t) => `${((t / busy) * 100).toFixed(1).padStart(5)}%`
  const lines = [
    `sampled ${(total / 1000).toFixed(0)} ms, busy ${(busy / 1000).toFixed(0)} ms (${((busy / total) * 100).toFixed(0)}%); percentages are of the busy time`,
    '',
    'self time by package:',
  ]
  for (const [pkg, time] of packages.slice(0, 15)) {
    const own = pkg === '(native / vm)' ? time - idle : time
    lines.push(`  ${pct(own)}  ${pkg}${pkg === '(native / vm)' ? ' (without idle)' : ''}`)
  }
  lines.push('', `top ${top} frames by self time:`)
  for (const [name, time] of frames.filter(([n]) => n !== '(idle)').slice(0, top)) {
    lines.push(`  ${pct(time)}  ${name}`)
  }
  lines.push('', `top ${top} of our frames (@wsgi/*) by inclusive time:`)
  for (const [name, time] of inclusive.slice(0, top)) lines.push(`  ${pct(time)}  ${name}`)
  return lines.join('\n')
}

/**
 * The call paths (up to `depth` frames) that lead to frames named `name`, by self time there.
 *
 * @param {CpuProfile} profile
 * @param {string} name a function name, as in the summary (without the file)
 * @param {number} depth
 * @returns {string}
 */
export function callersOf(profile, name, depth = 6) {
  /** @type {Map<number, ProfileNode>} */
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  /** @type {Map<number, number>} */
  const parent = new Map()
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id)
  /** @type {Map<number, number>} */
  const self = new Map()
  let busy = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    self.set(id, (self.get(id) ?? 0) + dt)
    if (byId.get(id)?.callFrame.functionName !== '(idle)') busy += dt
  })
  /** @type {Map<string, number>} */
  const paths = new Map()
  for (const [id, time] of self) {
    // Time under a frame named `name` anywhere on the stack, attributed to the path above it.
    /** @type {string[]} */
    const stack = []
    for (let at = /** @type {number | undefined} */ (id); at !== undefined; at = parent.get(at)) {
      const node = byId.get(at)
      if (node !== undefined) stack.push(frameName(node.callFrame))
    }
    const index = stack.findIndex((frame) => frame.split(' ')[0] === name)
    if (index < 0) continue
    const path = stack.slice(index, index + depth).join(' < ')
    paths.set(path, (paths.get(path) ?? 0) + time)
  }
  return [...paths]
    .sort((x, y) => y[1] - x[1])
    .slice(0, 15)
    .map(([path, time]) => `${((time / busy) * 100).toFixed(1).padStart(5)}%  ${path}`)
    .join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    options: { top: { type: 'string', default: '30' }, callers: { type: 'string' } },
    allowPositionals: true,
  })
  const file = positionals[0]
  if (file === undefined) {
    process.stderr.write('usage: node bench/src/cpuprofile.mjs <file.cpuprofile> [--top N]\n')
    process.exit(2)
  }
  /** @type {CpuProfile} */
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  process.stdout.write(
    values.callers === undefined
      ? `${formatSummary(profile, Number(values.top))}\n`
      : `${callersOf(profile, values.callers)}\n`,
  )
}
