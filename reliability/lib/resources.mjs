/**
 * Counting what a process holds, to show that faults and load leave nothing behind: active
 * handles and requests by type (`process.getActiveResourcesInfo()`), open connections of the
 * servers, listeners on long-lived emitters, and (with `--expose-gc`) RSS and heap after a
 * full collection.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * @typedef {object} Snapshot
 * @property {Record<string, number>} resources active resources by type
 * @property {number} connections open connections of the servers given
 * @property {number} listeners listeners on the emitters given (and on `process`)
 * @property {number} rss bytes (after a GC when `global.gc` exists)
 * @property {number} heapUsed bytes (likewise)
 * @property {number} heapTotal bytes V8 has committed for its heap, used or not (likewise)
 * @property {number} external bytes held outside the heap: Buffers, ArrayBuffers (likewise)
 */

/**
 * @param {import('node:events').EventEmitter} emitter
 * @returns {number}
 */
function listenerTotal(emitter) {
  let total = 0
  for (const name of emitter.eventNames()) total += emitter.listenerCount(name)
  return total
}

/**
 * @param {import('node:net').Server} server
 * @returns {Promise<number>}
 */
function connectionsOf(server) {
  return new Promise((resolve) => {
    server.getConnections((error, count) => resolve(error ? 0 : count))
  })
}

/**
 * Take a snapshot.
 *
 * @param {{ servers?: import('node:net').Server[], emitters?: import('node:events').EventEmitter[] }} [watch]
 * @returns {Promise<Snapshot>}
 */
export async function snapshot(watch = {}) {
  const gc = /** @type {(() => void) | undefined} */ (globalThis.gc)
  if (gc !== undefined) {
    // Two passes: the first runs finalizers that free more.
    gc()
    await sleep(10)
    gc()
  }
  /** @type {Record<string, number>} */
  const resources = {}
  for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1
  let connections = 0
  for (const server of watch.servers ?? []) connections += await connectionsOf(server)
  let listeners = listenerTotal(process)
  for (const emitter of watch.emitters ?? []) listeners += listenerTotal(emitter)
  const memory = process.memoryUsage()
  return {
    resources,
    connections,
    listeners,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
  }
}

/**
 * How `after` holds more than `before` (resources by type, connections, listeners).
 *
 * @param {Snapshot} before
 * @param {Snapshot} after
 * @returns {string[]}
 */
export function growth(before, after) {
  /** @type {string[]} */
  const problems = []
  for (const [type, count] of Object.entries(after.resources)) {
    const was = before.resources[type] ?? 0
    if (count > was) problems.push(`${type}: ${was} -> ${count}`)
  }
  if (after.connections > before.connections) {
    problems.push(`connections: ${before.connections} -> ${after.connections}`)
  }
  if (after.listeners > before.listeners) {
    problems.push(`listeners: ${before.listeners} -> ${after.listeners}`)
  }
  return problems
}

/**
 * Snapshots until nothing has grown since `before`, or `timeoutMs` passed: sockets close and
 * timers fire a little after the last client left. Returns the last snapshot and what still
 * grew.
 *
 * @param {Snapshot} before
 * @param {{ servers?: import('node:net').Server[], emitters?: import('node:events').EventEmitter[] }} [watch]
 * @param {number} [timeoutMs]
 * @returns {Promise<{ after: Snapshot, problems: string[] }>}
 */
export async function settledGrowth(before, watch = {}, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const after = await snapshot(watch)
    const problems = growth(before, after)
    if (problems.length === 0 || Date.now() >= deadline) return { after, problems }
    await sleep(50)
  }
}

/**
 * Collect unhandled rejections and `MaxListenersExceededWarning`s while `work` runs (and a
 * moment after).
 *
 * @template T
 * @param {() => Promise<T>} work
 * @returns {Promise<{ value: T, rejections: unknown[], warnings: string[] }>}
 */
export async function watchProcess(work) {
  /** @type {unknown[]} */
  const rejections = []
  /** @type {string[]} */
  const warnings = []
  const onRejection = (/** @type {unknown} */ reason) => rejections.push(reason)
  const onWarning = (/** @type {Error} */ warning) => {
    if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning.message)
  }
  process.on('unhandledRejection', onRejection)
  process.on('warning', onWarning)
  try {
    const value = await work()
    await sleep(50)
    return { value, rejections, warnings }
  } finally {
    process.off('unhandledRejection', onRejection)
    process.off('warning', onWarning)
  }
}
