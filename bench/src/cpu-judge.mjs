/**
 * `pnpm bench:judge -- [--a DIR] [--b DIR] [--stacks id,id…] [--workloads hello,echo]
 * [--pairs N] [--rounds N]`: the CPU judge. Compares the CPU time per request of the same
 * stacks in two checkouts (A and B: a build of an older commit against this one, or a checkout
 * against itself to see the judge's own spread), without sockets.
 *
 * Each measurement is a child process (cpu-judge-child.mjs) that builds one stack of one
 * checkout with that checkout's bench/src/stacks and built packages, drives the stack's real
 * `node:http` server (its `'request'` listener, parser, keep-alive) over an in-memory connection
 * (cpu-judge-wire.mjs), warms up, and measures `process.cpuUsage()` over several rounds; its
 * value is the median round. A and B alternate, A B then B A, for `--pairs` pairs; a side's value
 * is the median of its children, and the ratio B/A is given with the range of the pairs' ratios.
 *
 * Socket req/s on a shared 2-core machine moves ±30–50 % between runs; CPU time of an in-memory
 * run has no kernel, no load generator competing for the core, and no scheduling in the number.
 * It is not a socket in one way: a response written inside the `'request'` event costs about 2 µs
 * more here than one written a microtask later, where sockets show no difference (see
 * bench/README.md); changes that move a response between the two are measured with ab.mjs.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import { median } from './report/stats.mjs'
import { SERVER_FLAGS, pinning, serverEnv } from './spawn.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const CHILD = resolve(HERE, 'cpu-judge-child.mjs')
const TREE = resolve(HERE, '../..')

/** Every bridge row of BENCHMARKS.md's hello-world and echo groups. */
const BRIDGES = [
  'simple',
  'listener',
  'express-to',
  'express-from',
  'koa-to',
  'koa-from',
  'fastify-to',
  'fastify-from',
  'hono-to',
  'hono-tohono',
  'hono-from',
  'fetch-from',
]

const { values } = parseArgs({
  // pnpm may pass on the `--` that separates its own options from the script's.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    a: { type: 'string', default: TREE },
    b: { type: 'string', default: TREE },
    stacks: { type: 'string', default: BRIDGES.join(',') },
    workloads: { type: 'string', default: 'hello,echo' },
    pairs: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
    // Requests per round (and of the warm-up): about half a second of CPU each.
    hello: { type: 'string', default: '10000' },
    echo: { type: 'string', default: '2000' },
    // Warm-up, in rounds' worth of requests: V8 optimises the request path before the rounds.
    warmup: { type: 'string', default: '2' },
    depth: { type: 'string', default: '1' },
    // The CPU the children are pinned to (taskset), where pinning is on; `none`: not pinned.
    cpu: { type: 'string', default: pinning?.server ?? 'none' },
  },
})

/**
 * One child: the CPU µs per request of each of its rounds.
 *
 * @param {string} tree
 * @param {string} stack
 * @param {string} workload
 * @returns {Promise<number[]>}
 */
function measure(tree, stack, workload) {
  const requests = workload === 'echo' ? values.echo : values.hello
  const args = [
    '--expose-gc',
    // The bench servers' heap growth (see SERVER_FLAGS).
    ...SERVER_FLAGS,
    CHILD,
    tree,
    stack,
    workload,
    values.rounds,
    requests,
    String(Number(requests) * Number(values.warmup)),
    values.depth,
  ]
  // Pinned to one core (all its threads) where taskset exists: no migrations mid-round.
  const [command, argv] =
    values.cpu === 'none'
      ? [process.execPath, args]
      : ['taskset', ['-c', values.cpu, process.execPath, ...args]]
  return new Promise((done, fail) => {
    // The bench servers' environment: production mode and the fixed malloc thresholds.
    const child = spawn(command, argv, {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: serverEnv(),
    })
    /** @type {{ type: string, perRequest?: number[], message?: string } | undefined} */
    let answer
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
    }, 600_000)
    child.on('message', (message) => {
      answer = /** @type {typeof answer} */ (message)
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (answer?.type === 'result' && answer.perRequest !== undefined) {
        done(answer.perRequest)
      } else {
        const why = answer?.message ?? `exit ${code ?? signal}`
        fail(new Error(`${stack} ${workload} in ${tree}: ${why}`))
      }
    })
  })
}

/**
 * @param {number} x
 * @returns {string}
 */
const fixed = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1))

/**
 * Spread of a side's children: (max − min) / median, in %.
 *
 * @param {number[]} xs
 * @returns {string}
 */
const spread = (xs) => `${(((Math.max(...xs) - Math.min(...xs)) / median(xs)) * 100).toFixed(0)} %`

const pairs = Number(values.pairs)
process.stdout.write(
  `A: ${values.a}\nB: ${values.b}\n${pairs} pairs (A B, then B A), ${values.rounds} rounds each, ` +
    `${values.hello} hello / ${values.echo} echo requests a round after ${values.warmup} rounds' ` +
    `worth of warm-up, depth ${values.depth}; ` +
    'CPU µs per request (user + system), median of rounds, then of children; spread: ' +
    "(max − min) / median of a side's children; by min: the least round of all a side's " +
    'children (contention only adds CPU time, so the least round is the least disturbed)\n\n' +
    '| row | workload | A µs | B µs | B/A | B/A of the pairs (min–max) | spread A / B | B/A by min |\n' +
    '|---|---|---|---|---|---|---|---|\n',
)
let failed = 0
for (const stack of values.stacks.split(',')) {
  for (const workload of values.workloads.split(',')) {
    // Each child's median round, and every round of the side.
    /** @type {number[]} */
    const a = []
    /** @type {number[]} */
    const b = []
    /** @type {number[]} */
    const aRounds = []
    /** @type {number[]} */
    const bRounds = []
    const runA = async () => {
      const rounds = await measure(values.a, stack, workload)
      a.push(median(rounds))
      aRounds.push(...rounds)
    }
    const runB = async () => {
      const rounds = await measure(values.b, stack, workload)
      b.push(median(rounds))
      bRounds.push(...rounds)
    }
    try {
      for (let pair = 0; pair < pairs; pair++) {
        if (pair % 2 === 0) {
          await runA()
          await runB()
        } else {
          await runB()
          await runA()
        }
        const last = (/** @type {number[]} */ xs) => fixed(xs[xs.length - 1] ?? Number.NaN)
        process.stderr.write(`${stack} ${workload} pair ${pair + 1}: ${last(a)} / ${last(b)}\n`)
      }
    } catch (error) {
      failed++
      process.stdout.write(
        `| ${stack} | ${workload} | failed: ${String(error).replace(/\n/g, ' ')} |\n`,
      )
      continue
    }
    const ratios = a.map((x, i) => (b[i] ?? Number.NaN) / x)
    process.stdout.write(
      `| ${stack} | ${workload} | ${fixed(median(a))} | ${fixed(median(b))} | ` +
        `${(median(b) / median(a)).toFixed(2)} | ` +
        `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)} | ` +
        `${spread(a)} / ${spread(b)} | ` +
        `${(Math.min(...bRounds) / Math.min(...aRounds)).toFixed(2)} |\n`,
    )
  }
}
process.exitCode = failed > 0 ? 1 : 0
