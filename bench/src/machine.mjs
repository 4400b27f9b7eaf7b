/**
 * What a run was made on and how: machine, Node version, date, command, commit.
 *
 * @module
 */
import { execFileSync } from 'node:child_process'
import { cpus, loadavg, release, totalmem, type } from 'node:os'

/**
 * @typedef {object} RunInfo
 * @property {string} command
 * @property {string} date ISO 8601, UTC
 * @property {string} node
 * @property {string} os
 * @property {string} cpu
 * @property {number} cores
 * @property {string} memory
 * @property {string} commit
 * @property {number} elapsed seconds the run took
 * @property {number[]} loadBefore the 1, 5 and 15 minute load averages when the run started
 * @property {number[]} loadAfter the same when it ended (other work on the machine shows here)
 * @property {import('./measure.mjs').Settings} settings
 * @property {{ server: string, client: string } | undefined} pinning
 */

/**
 * Run `git` read-only; `''` when it fails (no git, not a checkout).
 *
 * @param {string[]} args
 */
function git(args) {
  try {
    return execFileSync('git', args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    return ''
  }
}

/**
 * @param {{ command: string, elapsed: number, loadBefore: number[], settings: import('./measure.mjs').Settings, pinning: RunInfo['pinning'] }} run
 * @returns {RunInfo}
 */
export function machineInfo(run) {
  const head = git(['rev-parse', '--short', 'HEAD'])
  const dirty = head !== '' && git(['status', '--porcelain', '--untracked-files=no']) !== ''
  return {
    ...run,
    loadAfter: loadavg(),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    node: process.version,
    os: `${type()} ${release()} (${process.arch})`,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    // The machine's CPUs, not availableParallelism(): that one honours this process's pinning.
    cores: cpus().length,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    commit: head === '' ? 'unknown' : `${head}${dirty ? ' (with uncommitted changes)' : ''}`,
  }
}
