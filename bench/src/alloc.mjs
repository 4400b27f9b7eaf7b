/**
 * `pnpm bench:alloc -- <stack>… [--requests N] [--rounds R] [--sites]`: the bytes V8 allocates
 * per hello-world request on each stack, and the CPU each request takes, with the server and a
 * client in this one process.
 *
 * Why: socket rates on a shared machine move by tens of percent between runs, while what a
 * request allocates does not (the same build gives the same figure to within a few bytes), and
 * garbage is much of what a bridge costs beyond its own code. The client is a raw socket that
 * pipelines requests (no HTTP client library), so its share is small and the same for every
 * stack: compare stacks, or two checkouts of one stack, not absolute figures.
 *
 * - Bytes: from `v8.GCProfiler` (the heap before each collection minus after the one before),
 *   median of the rounds.
 * - CPU: `process.cpuUsage()` of the process (server and client), median of the rounds; stacks
 *   alternate round by round. A rough look only: stacks in one process share Node's internals,
 *   whose optimized code then sees every stack's objects (fromFetch came out at 2.3 times srvx's
 *   CPU here, and within 5 % of it in one-server socket profiles). For time, use the judge.
 * - `--sites`: the top allocation sites of the first stack instead, by V8's sampling heap
 *   profiler with the objects collected since counted too (bytes per request).
 *
 * Run it with `--expose-gc` for steadier rounds (each round then starts after a collection). A
 * stack may be `file:///…/module.mjs` exporting `start()`, as for `ab.mjs`.
 *
 * @module
 */
import { Session } from 'node:inspector/promises'
import net from 'node:net'
import { parseArgs } from 'node:util'
import v8 from 'node:v8'

import { median } from './report/stats.mjs'
import { MOUNT } from './workloads.mjs'
import { STACKS, startStack, unavailable } from './stacks/index.mjs'

/** @typedef {import('./stacks/index.mjs').Running} Running */

const BATCH = 32
const REQUEST = Buffer.from(
  `GET ${MOUNT}/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench-alloc\r\nAccept: */*\r\n\r\n`.repeat(
    BATCH,
  ),
)
const STATUS = 'HTTP/1.1 2'

/**
 * Send `n` hello-world requests over one connection, `BATCH` pipelined at a time.
 *
 * @param {number} port
 * @param {number} n
 * @returns {Promise<void>}
 */
function drive(port, n) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let left = n
    let pending = 0
    let tail = ''
    const send = () => {
      pending = BATCH
      socket.write(REQUEST)
    }
    socket.on('connect', send)
    socket.on('error', reject)
    socket.on('data', (data) => {
      // A status line split across two reads is found in the carried tail.
      const text = tail + data.toString('latin1')
      for (let i = text.indexOf(STATUS); i !== -1; i = text.indexOf(STATUS, i + 1)) {
        pending--
        left--
      }
      tail = text.slice(-STATUS.length)
      if (pending > 0) return
      if (left > 0) {
        send()
      } else {
        socket.destroy()
        resolve()
      }
    })
  })
}

/**
 * Bytes allocated between two points, from the heap sizes around each collection in between.
 *
 * @param {{ statistics: Array<{ beforeGC: { heapStatistics: { usedHeapSize: number } }, afterGC: { heapStatistics: { usedHeapSize: number } } }> }} profile
 * @param {number} startUsed
 * @param {number} endUsed
 * @returns {number}
 */
function allocatedBytes(profile, startUsed, endUsed) {
  let total = 0
  let previous = startUsed
  for (const gc of profile.statistics) {
    total += gc.beforeGC.heapStatistics.usedHeapSize - previous
    previous = gc.afterGC.heapStatistics.usedHeapSize
  }
  return total + endUsed - previous
}

/** @type {(() => void) | undefined} */
const collect = /** @type {{ gc?: () => void }} */ (globalThis).gc

/**
 * One round: `n` requests, with the bytes allocated and the CPU used, per request.
 *
 * @param {number} port
 * @param {number} n
 * @returns {Promise<{ bytes: number, cpu: number }>}
 */
async function round(port, n) {
  collect?.()
  const profiler = new v8.GCProfiler()
  const startUsed = v8.getHeapStatistics().used_heap_size
  profiler.start()
  const start = process.cpuUsage()
  await drive(port, n)
  const cpu = process.cpuUsage(start)
  const endUsed = v8.getHeapStatistics().used_heap_size
  const profile = /** @type {Parameters<typeof allocatedBytes>[0]} */ (profiler.stop())
  return {
    bytes: allocatedBytes(profile, startUsed, endUsed) / n,
    cpu: (cpu.user + cpu.system) / n,
  }
}

/** @typedef {{ selfSize: number, callFrame: { functionName: string, url: string, lineNumber: number }, children: HeapNode[] }} HeapNode */

/**
 * The top allocation sites of `n` requests, in bytes per request.
 *
 * @param {number} port
 * @param {number} n
 * @param {number} top
 * @returns {Promise<Array<[site: string, bytes: number]>>}
 */
async function sites(port, n, top) {
  const session = new Session()
  session.connect()
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  })
  await drive(port, n)
  const { profile } = /** @type {{ profile: { head: HeapNode } }} */ (
    await session.post('HeapProfiler.stopSampling')
  )
  session.disconnect()
  /** @type {Map<string, number>} */
  const bySite = new Map()
  /** @param {HeapNode} node */
  const walk = (node) => {
    const frame = node.callFrame
    const file = frame.url.replace(/.*node_modules\//, '').replace(/.*\/packages\//, '')
    const site = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`
    if (node.selfSize > 0) bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize)
    for (const child of node.children) walk(child)
  }
  walk(profile.head)
  return [...bySite]
    .map(([site, bytes]) => /** @type {[string, number]} */ ([site, bytes / n]))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
}

const { values, positionals } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    requests: { type: 'string', default: '30000' },
    rounds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '20000' },
    sites: { type: 'boolean', default: false },
    top: { type: 'string', default: '30' },
  },
  allowPositionals: true,
})
if (positionals.length === 0) {
  process.stderr.write(
    `usage: pnpm bench:alloc -- <stack>… [--requests N] [--rounds R] [--sites]\nstacks: ${Object.keys(STACKS).join(' ')}\n`,
  )
  process.exit(2)
}
for (const id of positionals) {
  const why = await unavailable(id)
  if (why !== undefined) {
    process.stderr.write(`${id}: ${why}\n`)
    process.exit(1)
  }
}
const requests = Number(values.requests)
/** @type {Map<string, Running>} */
const servers = new Map()
for (const id of positionals) {
  servers.set(id, /** @type {Running} */ (await startStack(id)))
}
for (const server of servers.values()) await drive(server.port, Number(values.warmup))

if (values.sites) {
  const [id, server] = [...servers][0] ?? []
  if (id !== undefined && server !== undefined) {
    const top = await sites(server.port, requests, Number(values.top))
    const total = top.reduce((sum, [, bytes]) => sum + bytes, 0)
    process.stdout.write(
      `${id}: top ${top.length} allocation sites, ${total.toFixed(0)} bytes per request\n`,
    )
    for (const [site, bytes] of top)
      process.stdout.write(`${bytes.toFixed(0).padStart(7)}  ${site}\n`)
  }
} else {
  /** @type {Map<string, { bytes: number[], cpu: number[] }>} */
  const results = new Map(positionals.map((id) => [id, { bytes: [], cpu: [] }]))
  const rounds = Number(values.rounds)
  for (let r = 0; r < rounds; r++) {
    // Alternate the order, so that no stack always runs first.
    for (const id of r % 2 === 0 ? positionals : [...positionals].reverse()) {
      const server = servers.get(id)
      const result = results.get(id)
      if (server === undefined || result === undefined) continue
      const { bytes, cpu } = await round(server.port, requests)
      result.bytes.push(bytes)
      result.cpu.push(cpu)
    }
  }
  const width = Math.max(...positionals.map((id) => id.length))
  process.stdout.write(
    `per request (server and client), median of ${rounds} rounds of ${requests}\n`,
  )
  for (const [id, { bytes, cpu }] of results) {
    const each = cpu.map((c) => c.toFixed(1)).join(' ')
    process.stdout.write(
      `${id.padEnd(width)}  ${median(bytes).toFixed(0).padStart(6)} bytes  ${median(cpu).toFixed(1).padStart(6)} µs CPU (${each})\n`,
    )
  }
}
for (const server of servers.values()) await server.close()
process.exit(0)
