/**
 * The child process of one server: `node child.mjs <stack>`. Builds the stack from the built
 * packages, listens on 127.0.0.1, and answers the parent over IPC:
 *
 * - `cpu`: the CPU time used so far (user + system, µs) and the RSS;
 * - `rss-watch` / `rss-peak`: sample the RSS every 10 ms between the two, answer the peak (where
 *   the parent cannot read the peak from /proc itself);
 * - `profile-start` / `profile-stop`: V8's CPU profiler (what `--cpu-prof` runs) over the
 *   measured load only, written as a `.cpuprofile` file;
 * - `run` (in-process stacks): call the target in a loop for a while, answer the count;
 * - `exit`: stop the server and exit normally (so `--cpu-prof` writes its profile).
 *
 * @module
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { performance } from 'node:perf_hooks'

import { startStack } from './stacks/index.mjs'
import { rateRequest } from './workloads.mjs'

/** @typedef {import('./stacks/index.mjs').Running} Running */
/** @typedef {import('./stacks/index.mjs').InProcess} InProcess */

const id = process.argv[2] ?? ''

/**
 * @param {Record<string, unknown>} message
 */
function send(message) {
  process.send?.(message)
}

/** CPU time used by this process so far, in µs. */
function cpuMicros() {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

/**
 * Call `target` from `concurrency` loops until `durationMs` passed.
 *
 * @param {InProcess} target
 * @param {import('./apps/call.mjs').CallRequest} request
 * @param {number} durationMs
 * @param {number} concurrency
 * @param {number} expectSize
 */
async function runLoop(target, request, durationMs, concurrency, expectSize) {
  let ops = 0
  let errors = 0
  /** @type {string | undefined} */
  let firstError
  const end = performance.now() + durationMs
  const worker = async () => {
    while (performance.now() < end) {
      try {
        const result = await target.call(request)
        if (result.status !== 200 || result.size !== expectSize) {
          throw new Error(`got ${result.status} with ${result.size} bytes`)
        }
        ops++
      } catch (error) {
        errors++
        firstError ??= String(error)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { ops, errors, firstError }
}

async function main() {
  /** @type {Running | InProcess} */
  let running
  try {
    running = await startStack(id)
  } catch (error) {
    send({
      type: 'error',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    })
    process.exitCode = 1
    process.disconnect?.()
    return
  }

  /** @type {NodeJS.Timeout | undefined} */
  let sampler
  let peak = 0
  /** @type {Session | undefined} */
  let session

  process.on('message', (raw) => {
    const message = /** @type {Record<string, any>} */ (raw)
    const reply = (/** @type {Record<string, unknown>} */ body) => {
      send({ id: message['id'], ...body })
    }
    switch (message['type']) {
      case 'cpu':
        // A server of its own process (Python's) counts its CPU time, not this one's.
        reply({
          cpu: 'cpu' in running && running.cpu !== undefined ? running.cpu() : cpuMicros(),
          rss: process.memoryUsage.rss(),
        })
        return
      case 'rss-watch':
        peak = process.memoryUsage.rss()
        clearInterval(sampler)
        sampler = setInterval(() => {
          peak = Math.max(peak, process.memoryUsage.rss())
        }, 10)
        reply({ rss: peak })
        return
      case 'rss-peak':
        clearInterval(sampler)
        sampler = undefined
        peak = Math.max(peak, process.memoryUsage.rss())
        reply({ peak })
        return
      case 'profile-start':
        session = new Session()
        session.connect()
        session.post('Profiler.enable', () => {
          session?.post('Profiler.start', () => {
            reply({})
          })
        })
        return
      case 'profile-stop':
        if (session === undefined) {
          reply({ error: 'the profiler is not running' })
          return
        }
        session.post('Profiler.stop', (error, result) => {
          if (error) {
            reply({ error: String(error) })
            return
          }
          writeFileSync(message['file'], JSON.stringify(result.profile))
          session?.disconnect()
          session = undefined
          reply({ file: message['file'] })
        })
        return
      case 'run': {
        if (!('call' in running)) {
          reply({ error: `${id} is not an in-process stack` })
          return
        }
        const { expectSize, ...request } = rateRequest(message['workload'])
        const cpu0 = cpuMicros()
        runLoop(running, request, message['durationMs'], message['concurrency'], expectSize).then(
          (result) => {
            reply({ ...result, cpu: cpuMicros() - cpu0 })
          },
          (error) => {
            reply({ error: String(error) })
          },
        )
        return
      }
      case 'exit':
        clearInterval(sampler)
        // A server that does not close in time still exits (normally, so profiles are written).
        setTimeout(() => process.exit(0), 3000).unref()
        running.close().finally(() => {
          process.exit(0)
        })
        return
      default:
        reply({ error: `unknown message ${String(message['type'])}` })
    }
  })
  // The parent went away: nothing left to serve.
  process.on('disconnect', () => {
    process.exit(0)
  })
  send('port' in running ? { type: 'ready', port: running.port } : { type: 'ready' })
}

await main()
