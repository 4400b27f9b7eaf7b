/**
 * The server side of a full reliability run, in a child process of its own (so that what the
 * client holds never counts): `node --expose-gc reliability/server.mjs <stack> <workload>`.
 *
 * - workload `soak`: the soak app (`lib/soak-apps.mjs`);
 * - workload `faults`: the fault apps (`lib/faults.mjs`), the server's view counted.
 *
 * It answers the parent over IPC: `sample` (memory after a full GC, handles by type, open
 * connections, listeners, unhandled rejections and MaxListeners warnings so far), `faults` (the
 * fault records of the ids given, checked), `log` (what was logged as an error), `exit`.
 *
 * @module
 */
import {
  countingGateway,
  faultApp,
  faultFetchHandler,
  faultListener,
  faultProblems,
  faultsSettle,
} from './lib/faults.mjs'
import { snapshot } from './lib/resources.mjs'
import { soakApp, soakFetch, soakListener } from './lib/soak-apps.mjs'
import { log, selectStacks } from './stacks.mjs'

const [stackId = '', workload = 'soak'] = process.argv.slice(2)
const [stack] = selectStacks([stackId])
if (stack === undefined) throw new Error(`no stack ${stackId}`)

let rejections = 0
let warnings = 0
process.on('unhandledRejection', (reason) => {
  rejections++
  log.write(`unhandled rejection: ${String(reason)}\n`)
})
process.on('warning', (warning) => {
  if (warning.name === 'MaxListenersExceededWarning') warnings++
})

/** @type {import('./lib/faults.mjs').FaultRecords} */
const records = new Map()
const running =
  workload === 'faults'
    ? await stack.serve(
        {
          app: faultApp(records),
          listener: faultListener(records),
          fetch: faultFetchHandler(records),
        },
        (outer) => (stack.far === 'app' ? outer : countingGateway(outer, records)),
      )
    : await stack.serve(
        { app: soakApp, listener: soakListener, fetch: soakFetch },
        (outer) => outer,
      )

const watch = { servers: [running.server], emitters: [running.server] }

process.on('message', async (/** @type {any} */ message) => {
  if (message.type === 'sample') {
    const snap = await snapshot(watch)
    process.send?.({ type: 'sample', snapshot: snap, rejections, warnings })
  } else if (message.type === 'faults') {
    const settleStart = Date.now()
    await faultsSettle(records, message.ids)
    const settleMs = Date.now() - settleStart
    const { problems, seen } = faultProblems(records, message.ids, { native: stack.far !== 'app' })
    for (const id of message.ids) records.delete(id)
    process.send?.({
      type: 'faults',
      problems: problems.slice(0, 20),
      problemCount: problems.length,
      seen,
      settleMs,
    })
  } else if (message.type === 'log') {
    const lines = log
      .getValue()
      .split('\n')
      .filter((line) => /Error\b|unhandled/.test(line) && !line.startsWith('    at '))
    process.send?.({ type: 'log', lines: lines.slice(0, 20), count: lines.length })
  } else if (message.type === 'exit') {
    await running.close()
    process.exit(0)
  }
})

process.send?.({ type: 'ready', port: running.port })
