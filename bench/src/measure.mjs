/**
 * Run one group: start its servers, check they answer correctly, warm each up, then measure the
 * baseline and every contender once per round, the order reversed every other round.
 *
 * @module
 */
import { join } from 'node:path'

import { measureInProcess, measureRate, measureTransfer, probe } from './load.mjs'
import { goalOf } from './plan.mjs'
import { Child, SERVER_FLAGS } from './spawn.mjs'
import { STACKS, unavailable } from './stacks/index.mjs'

/** @typedef {import('./plan.mjs').Group} Group */
/** @typedef {import('./plan.mjs').Contender} Contender */
/** @typedef {import('./load.mjs').RateSample} RateSample */
/** @typedef {import('./load.mjs').TransferSample} TransferSample */

/**
 * @typedef {object} Settings
 * @property {number} rounds
 * @property {number} seconds length of one measured rate round (autocannon takes at least ~1 s)
 * @property {number} inprocSeconds length of one measured in-process round
 * @property {number} warmup length of the warm-up run before the rounds
 * @property {number} connections autocannon connections (and in-process concurrency)
 * @property {number} bytes size of one transfer
 * @property {boolean} smoke a smoke run: request-rate groups load `hello` only (echo is still
 *   checked for correct answers), since autocannon takes a second whatever the duration
 * @property {string} logDir where the children's output goes
 * @property {(line: string) => void} log progress lines
 */

/**
 * One row of the results: a contender against its baseline on one workload.
 *
 * @typedef {object} Row
 * @property {string} group
 * @property {Group['kind']} kind
 * @property {string} workload
 * @property {string} scenario
 * @property {string} stack
 * @property {string} label
 * @property {'ours' | 'peer'} role
 * @property {string | undefined} note
 * @property {string} baseline
 * @property {string} baselineLabel
 * @property {number | undefined} goal
 * @property {'ok' | 'skipped' | 'failed'} status
 * @property {string | undefined} reason why skipped or failed
 * @property {number[]} ratios A/B per round
 * @property {Array<RateSample | TransferSample>} a
 * @property {Array<RateSample | TransferSample>} b
 */

/**
 * The A/B ratio of one round: requests (or in-process calls) per second of server CPU for rates
 * (the capacity; see the README), MB/s for transfers.
 *
 * @param {Group['kind']} kind
 * @param {RateSample | TransferSample} a
 * @param {RateSample | TransferSample} b
 * @returns {number}
 */
export function ratioOf(kind, a, b) {
  if (kind === 'transfer') {
    return /** @type {TransferSample} */ (a).mbps / /** @type {TransferSample} */ (b).mbps
  }
  return /** @type {RateSample} */ (a).perCpuSecond / /** @type {RateSample} */ (b).perCpuSecond
}

/**
 * Measure `child` once on `workload`.
 *
 * @param {Group['kind']} kind
 * @param {Child} child
 * @param {string} workload
 * @param {Settings} settings
 * @param {number} [seconds]
 * @returns {Promise<RateSample | TransferSample>}
 */
function measureOnce(kind, child, workload, settings, seconds = settings.seconds) {
  const options = { seconds, connections: settings.connections }
  if (kind === 'transfer') {
    return measureTransfer(child, /** @type {'upload' | 'download'} */ (workload), settings.bytes)
  }
  if (kind === 'inproc') {
    const inproc = { ...options, seconds: Math.min(seconds, settings.inprocSeconds) }
    return measureInProcess(child, /** @type {'hello' | 'echo'} */ (workload), inproc)
  }
  const closes = STACKS[child.stack]?.closes === true
  return measureRate(child, /** @type {'hello' | 'echo'} */ (workload), { ...options, closes })
}

/**
 * Run `group` and return its rows.
 *
 * @param {Group} group
 * @param {Settings} settings
 * @returns {Promise<Row[]>}
 */
export async function runGroup(group, settings) {
  /** @type {Row[]} */
  const rows = []
  /** @type {Map<string, string>} why a stack is out */
  const out = new Map()
  for (const stack of [group.baseline, ...group.contenders.map((c) => c.stack)]) {
    const why = await unavailable(stack)
    if (why !== undefined && !out.has(stack)) {
      out.set(stack, why)
      settings.log(`  ${stack}: ${why}`)
    }
  }
  const baselineLabel = STACKS[group.baseline]?.label ?? group.baseline
  for (const workload of group.workloads) {
    for (const contender of group.contenders) {
      rows.push({
        group: group.id,
        kind: group.kind,
        workload,
        scenario: contender.scenario,
        stack: contender.stack,
        label: STACKS[contender.stack]?.label ?? contender.stack,
        role: contender.role,
        note: contender.note,
        baseline: group.baseline,
        baselineLabel,
        goal: goalOf(contender, workload),
        status: 'ok',
        reason: undefined,
        ratios: [],
        a: [],
        b: [],
      })
    }
  }
  /**
   * @param {string} stack
   * @param {'skipped' | 'failed'} status
   * @param {string} reason
   * @param {string} [workload] only this workload's rows
   */
  const mark = (stack, status, reason, workload) => {
    for (const row of rows) {
      const hit = stack === group.baseline || row.stack === stack
      if (hit && row.status === 'ok' && (workload === undefined || row.workload === workload)) {
        row.status = status
        row.reason = stack === group.baseline ? `baseline ${stack}: ${reason}` : reason
      }
    }
  }
  for (const [stack, why] of out) mark(stack, 'skipped', why)
  if (out.has(group.baseline)) return rows

  const stacks = [
    group.baseline,
    ...group.contenders.map((c) => c.stack).filter((s) => !out.has(s)),
  ]
  /** @type {Map<string, Child>} */
  const children = new Map()
  try {
    // Start them all; a server that fails to start or to answer correctly is left out.
    await Promise.all(
      stacks.map(async (stack) => {
        const child = new Child(stack, {
          log: join(settings.logDir, `${stack.replace(/\W+/g, '-')}.log`),
          nodeOptions: SERVER_FLAGS,
        })
        children.set(stack, child)
        try {
          await child.ready(STACKS[stack]?.readyMs)
          if ((STACKS[stack]?.kind ?? 'http') === 'http') {
            const problem = await probe(child, group.workloads)
            if (problem !== undefined) throw new Error(`answers wrongly: ${problem}`)
          }
        } catch (error) {
          mark(stack, 'failed', error instanceof Error ? error.message : String(error))
          children.delete(stack)
          await child.stop()
        }
      }),
    )
    if (!children.has(group.baseline)) return rows

    for (const workload of group.workloads) {
      if (settings.smoke && group.kind === 'rate' && workload !== 'hello') {
        mark(group.baseline, 'skipped', 'smoke run: answers checked, not loaded', workload)
        continue
      }
      const live = () =>
        stacks.filter((s) => children.has(s) && !failedOn(rows, s, workload, group))
      // Warm-up: the JIT, the connection pools and the allocator settle before anything counts
      // (a transfer warms up with a sixteenth of its size).
      if (settings.warmup > 0) {
        const warm = { ...settings, bytes: Math.ceil(settings.bytes / 16) }
        for (const stack of live()) {
          const child = /** @type {Child} */ (children.get(stack))
          try {
            await measureOnce(group.kind, child, workload, warm, settings.warmup)
          } catch (error) {
            mark(stack, 'failed', String(error instanceof Error ? error.message : error), workload)
          }
        }
      }
      for (let round = 0; round < settings.rounds; round++) {
        const order = live()
        if (round % 2 === 1) order.reverse()
        /** @type {Map<string, RateSample | TransferSample>} */
        const samples = new Map()
        /** @param {string} stack */
        const measure = async (stack) => {
          const child = /** @type {Child} */ (children.get(stack))
          try {
            samples.set(stack, await measureOnce(group.kind, child, workload, settings))
          } catch (error) {
            mark(stack, 'failed', String(error instanceof Error ? error.message : error), workload)
          }
        }
        // A smoke run only proves the harness works: its servers are loaded all at once.
        if (settings.smoke) await Promise.all(order.map(measure))
        else for (const stack of order) await measure(stack)
        const base = samples.get(group.baseline)
        if (base === undefined) break
        for (const row of rows) {
          const sample = samples.get(row.stack)
          if (row.workload !== workload || row.status !== 'ok' || sample === undefined) continue
          row.a.push(sample)
          row.b.push(base)
          row.ratios.push(ratioOf(group.kind, sample, base))
        }
        settings.log(`  ${group.id} ${workload} round ${round + 1}/${settings.rounds}`)
      }
    }
  } finally {
    await Promise.all([...children.values()].map((child) => child.stop()))
  }
  return rows
}

/**
 * True when `stack` already failed on `workload` (its baseline failing fails them all).
 *
 * @param {Row[]} rows
 * @param {string} stack
 * @param {string} workload
 * @param {Group} group
 * @returns {boolean}
 */
function failedOn(rows, stack, workload, group) {
  if (stack === group.baseline) return false
  return rows.some((r) => r.stack === stack && r.workload === workload && r.status !== 'ok')
}
