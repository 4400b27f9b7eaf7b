/**
 * The full reliability run, one command for every bridge:
 *
 * ```sh
 * pnpm exec tsc -b && node --expose-gc reliability/run.mjs            # full; rewrites RELIABILITY.md
 * pnpm exec tsc -b && node --expose-gc reliability/run.mjs --short    # a quick version (CI)
 * node --expose-gc reliability/run.mjs --only=koa-to,fetch-from --seconds=10
 * ```
 *
 * Four phases, each over every stack of `stacks.mjs`, the servers running the built `dist`:
 *
 * 0. **input**: the catalogues of malformed and borderline requests and of misbehaving apps
 *    (`lib/malformed.mjs`, `lib/bad-apps.mjs`), in process.
 * 1. **faults**: the server in a child process; the parent makes `--faults` requests (10,000)
 *    whose client leaves at a random point of an upload, a download or a wait. Checked: each body
 *    closed once, each abort signal fired once, the native side saw its client leave, no
 *    unhandled rejection or MaxListeners warning, nothing logged as an error, and the handles,
 *    connections and listeners of the child back where they were; RSS and heap are reported.
 * 2. **soak**: the server in a child process; `--connections` (100) keep-alive connections make a
 *    mix of GETs, echoed POSTs and streamed responses for `--seconds` (60), every answer checked.
 *    RSS, heap and handles are sampled (after a full GC) before and after.
 * 3. **fuzz**: fast-check round trips (`--fuzz-runs`, 3,000) through every stack, in process.
 *
 * Exits 1 when any check fails. Without `--short` (or with `--write`) it writes RELIABILITY.md.
 *
 * @module
 */
import { execFileSync, fork } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'

import fc from 'fast-check'

import { BAD_APPS, badAppsApp, checkBadApps } from './lib/bad-apps.mjs'
import { checkEarlyAnswer, earlyAnswerApp } from './lib/early-answer.mjs'
import { runFaults } from './lib/faults.mjs'
import {
  fuzzFetchHandler,
  fuzzGatewayApp,
  fuzzListener,
  fuzzRegistry,
  roundTrip,
} from './lib/fuzz.mjs'
import {
  ACCEPTED,
  REJECTED,
  checkAccepted,
  checkRejected,
  echoApp,
  echoFetch,
  echoListener,
} from './lib/malformed.mjs'
import { exchange } from './lib/raw-http.mjs'
import { runLoad } from './lib/soak-apps.mjs'
import { gatewayFetch, gatewayListener, log, selectStacks } from './stacks.mjs'

const MiB = 1024 * 1024

/** @param {string} name @param {string | undefined} fallback */
function flag(name, fallback) {
  const prefix = `--${name}=`
  const found = process.argv.find((a) => a.startsWith(prefix))
  return found === undefined ? fallback : found.slice(prefix.length)
}
const short = process.argv.includes('--short')
const options = {
  faults: Number(flag('faults', short ? '300' : '10000')),
  seconds: Number(flag('seconds', short ? '3' : '60')),
  connections: Number(flag('connections', short ? '20' : '100')),
  fuzzRuns: Number(flag('fuzz-runs', short ? '50' : '3000')),
  only: (flag('only', '') ?? '').split(',').filter((s) => s !== ''),
  phases: (flag('phases', 'input,faults,soak,fuzz') ?? '').split(','),
  write: !short || process.argv.includes('--write'),
}
// What counts as "no growth beyond noise" once the load is gone and a full GC ran.
const LIMITS = { heap: 8 * MiB, rss: 48 * MiB }

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc (the children sample memory after a full GC)')
  process.exit(2)
}

const stacks = selectStacks(options.only)

/**
 * A stack's server in a child process.
 *
 * @param {string} id
 * @param {'soak' | 'faults'} workload
 */
async function startChild(id, workload) {
  const child = fork(fileURLToPath(new URL('./server.mjs', import.meta.url)), [id, workload], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  /** @type {Array<(message: any) => void>} */
  const waiting = []
  child.on('message', (message) => waiting.shift()?.(message))
  /** @returns {Promise<any>} */
  const next = () => new Promise((resolve) => waiting.push(resolve))
  const ready = await next()
  return {
    port: /** @type {number} */ (ready.port),
    /** @param {object} message */
    ask: (message) => {
      const answer = next()
      child.send(message)
      return answer
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.send({ type: 'exit' })
      await exited
    },
  }
}

/**
 * @typedef {{ snapshot: import('./lib/resources.mjs').Snapshot, rejections: number, warnings: number }} Sample
 */

/**
 * Samples until nothing held grew since `before`, or 10 s passed.
 *
 * @param {{ ask(message: object): Promise<any> }} child
 * @param {Sample} before
 * @returns {Promise<Sample>}
 */
async function settledSample(child, before) {
  const deadline = Date.now() + 10_000
  for (;;) {
    /** @type {Sample} */
    const after = await child.ask({ type: 'sample' })
    if (heldGrowth(before, after).length === 0 || Date.now() > deadline) return after
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** @param {Sample} before @param {Sample} after @returns {string[]} */
function heldGrowth(before, after) {
  const problems = []
  for (const [type, count] of Object.entries(after.snapshot.resources)) {
    const was = before.snapshot.resources[type] ?? 0
    if (count > was) problems.push(`${type} ${was} -> ${count}`)
  }
  if (after.snapshot.connections > before.snapshot.connections) {
    problems.push(`connections ${before.snapshot.connections} -> ${after.snapshot.connections}`)
  }
  if (after.snapshot.listeners > before.snapshot.listeners) {
    problems.push(`listeners ${before.snapshot.listeners} -> ${after.snapshot.listeners}`)
  }
  return problems
}

/** @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/**
 * RSS growth over a run, from samples taken (after a full GC) between its parts: the median of
 * the last three less the median of the first three. A single sample is no measure: with the
 * load gone, the RSS of an idle Node process still moves by ±25 MiB from one sample to the next
 * (V8's young generation grows to its ceiling under load and gives pages back when it pleases;
 * malloc keeps freed native buffers). A leak is a trend across the run, and the medians show it
 * while the swings cancel.
 *
 * @param {number[]} rss one sample before the run, then one after each part
 */
function rssTrend(rss) {
  const ends = Math.min(3, Math.floor(rss.length / 2))
  return median(rss.slice(-ends)) - median(rss.slice(0, ends))
}

/**
 * @param {Sample} before
 * @param {Sample} after
 * @param {number[]} rss the RSS samples of the run (see `rssTrend`)
 * @returns {string[]}
 */
function memoryGrowth(before, after, rss) {
  const problems = []
  const heap = after.snapshot.heapUsed - before.snapshot.heapUsed
  const trend = rssTrend(rss)
  if (heap > LIMITS.heap) problems.push(`heap +${(heap / MiB).toFixed(1)} MiB`)
  if (trend > LIMITS.rss) problems.push(`RSS +${(trend / MiB).toFixed(1)} MiB`)
  if (after.rejections > before.rejections)
    problems.push(`${after.rejections - before.rejections} unhandled rejections`)
  if (after.warnings > before.warnings)
    problems.push(`${after.warnings - before.warnings} MaxListeners warnings`)
  return problems
}

/** @param {number[]} rss */
const rssCell = (rss) =>
  `${mib(rss[0] ?? 0)} → ${mib(rss.at(-1) ?? 0)} (${mib(Math.min(...rss))}–${mib(Math.max(...rss))}; trend ${rssTrend(rss) >= 0 ? '+' : ''}${mib(rssTrend(rss))})`

/** @param {number} bytes */
const mib = (bytes) => (bytes / MiB).toFixed(1)
/** @param {Sample} s */
const handles = (s) => Object.values(s.snapshot.resources).reduce((a, b) => a + b, 0)

/** @type {Array<Record<string, string | number>>} */
const inputRows = []
/** @type {Array<Record<string, string | number>>} */
const faultRows = []
/** @type {Array<Record<string, string | number>>} */
const soakRows = []
/** @type {Array<Record<string, string | number>>} */
const fuzzRows = []
/** @type {string[]} */
const failures = []

async function inputPhase() {
  for (const stack of stacks) {
    let calls = 0
    const echo = await stack.serve(
      {
        app: (environ, startResponse) => {
          calls++
          return echoApp(environ, startResponse)
        },
        listener: (req, res) => {
          calls++
          return echoListener(req, res)
        },
        fetch: (request) => {
          calls++
          return echoFetch(request)
        },
      },
      (outer) => outer,
    )
    const rejected = await checkRejected(echo.port, () => calls)
    const accepted = await checkAccepted(
      (request, expected) => exchange(echo.port, request, { expected, timeoutMs: 3000 }),
      stack.host,
    )
    await echo.close()
    /** @type {import('./lib/bad-apps.mjs').Probe[]} */
    const probes = []
    const app = badAppsApp(probes)
    const bad = await stack.serve(
      { app, listener: gatewayListener(app), fetch: gatewayFetch(app) },
      (outer) => outer,
    )
    const misbehaving = await checkBadApps(bad.port, probes, {
      errorLog: () => log.getValue(),
      afterCodes: true,
    })
    await bad.close()
    const early = await stack.serve(
      {
        app: earlyAnswerApp,
        listener: gatewayListener(earlyAnswerApp),
        fetch: gatewayFetch(earlyAnswerApp),
      },
      (outer) => outer,
    )
    const earlyProblems = await checkEarlyAnswer(early.port)
    await early.close()
    const problems = [
      ...[...rejected].map(([name, problem]) => `${name}: ${problem}`),
      ...[...accepted].map(([name, list]) => `${name}: ${list.join(', ')}`),
      ...[...misbehaving].map(([name, list]) => `${name}: ${list.join(', ')}`),
      ...earlyProblems.map((problem) => `early 413: ${problem}`),
    ]
    const ok = problems.length === 0
    if (!ok) failures.push(`input ${stack.id}: ${problems.join('; ')}`)
    inputRows.push({
      stack: stack.id,
      'refused requests': `${REJECTED.length - rejected.size}/${REJECTED.length}`,
      'borderline requests': `${ACCEPTED.length - accepted.size}/${ACCEPTED.length}`,
      'bad apps': `${BAD_APPS.length - misbehaving.size}/${BAD_APPS.length}`,
      'early 413': earlyProblems.length === 0 ? 'read whole' : 'lost',
      result: ok ? 'pass' : `FAIL: ${problems.join('; ')}`,
    })
    console.log(
      `input   ${stack.id.padEnd(13)} ${ok ? 'pass' : 'FAIL'}  ${JSON.stringify(inputRows.at(-1))}`,
    )
  }
}

async function faultPhase() {
  for (const stack of stacks) {
    const child = await startChild(stack.id, 'faults')
    // A warm-up long enough that V8's young generation has grown to its ceiling and the lazily
    // made singletons exist (300 were not: RSS still rose by 50 MiB on the 9-hop chain after
    // them, and by nothing more over the next 12,000): what grows after it is growth.
    const warmUp = Number(flag('warm-up', '1000'))
    await runFaults(child.port, { count: warmUp, idPrefix: 'warm', concurrency: 16 })
    await child.ask({ type: 'faults', ids: [] })
    /** @type {Sample} */
    const before = await child.ask({ type: 'sample' })
    const rss = [before.snapshot.rss]
    const started = Date.now()
    let seen = 0
    let settleMs = 0
    /** @type {string[]} */
    const problems = []
    // In ten parts, so that the child can drop the records it checked and RSS is sampled along
    // the run.
    const part = Math.ceil(options.faults / 10)
    for (let done = 0; done < options.faults; done += part) {
      const ids = await runFaults(child.port, {
        count: Math.min(part, options.faults - done),
        concurrency: 16,
        idPrefix: `f${done}-`,
      })
      // The child checks the records once the server saw every client leave (not after a fixed
      // pause: on a busy machine the last uploads of a part were checked before it had).
      const report = await child.ask({ type: 'faults', ids })
      seen += report.seen
      settleMs = Math.max(settleMs, report.settleMs)
      if (report.problemCount > 0)
        problems.push(
          `${report.problemCount} record problems, e.g. ${report.problems.slice(0, 3).join('; ')}`,
        )
      rss.push((await child.ask({ type: 'sample' })).snapshot.rss)
    }
    const seconds = (Date.now() - started) / 1000
    const after = await settledSample(child, before)
    const logged = await child.ask({ type: 'log' })
    await child.stop()
    problems.push(...heldGrowth(before, after), ...memoryGrowth(before, after, rss))
    if (logged.count > 0)
      problems.push(`${logged.count} errors logged, e.g. ${logged.lines.slice(0, 2).join(' | ')}`)
    const ok = problems.length === 0
    if (!ok) failures.push(`faults ${stack.id}: ${problems.join('; ')}`)
    faultRows.push({
      stack: stack.id,
      requests: options.faults,
      seen,
      seconds: seconds.toFixed(1),
      handles: `${handles(before)} → ${handles(after)}`,
      connections: `${before.snapshot.connections} → ${after.snapshot.connections}`,
      listeners: `${before.snapshot.listeners} → ${after.snapshot.listeners}`,
      rss: rssCell(rss),
      heap: `${mib(before.snapshot.heapUsed)} → ${mib(after.snapshot.heapUsed)}`,
      external: `${mib(before.snapshot.external)} → ${mib(after.snapshot.external)}`,
      result: ok ? 'pass' : `FAIL: ${problems.join('; ')}`,
    })
    console.log(
      `faults  ${stack.id.padEnd(13)} ${ok ? 'pass' : 'FAIL'}  ${JSON.stringify(faultRows.at(-1))}` +
        ` (every client's leaving seen within ${String(settleMs)} ms of its run)`,
    )
  }
}

async function soakPhase() {
  for (const stack of stacks) {
    const child = await startChild(stack.id, 'soak')
    const warmUp = Math.min(5, Math.max(1, options.seconds / 6))
    await runLoad(child.port, { connections: options.connections, seconds: warmUp })
    await new Promise((resolve) => setTimeout(resolve, 200))
    /** @type {Sample} */
    const before = await child.ask({ type: 'sample' })
    // Six parts with a sample (after a full GC) between them: the RSS trend of the run.
    const rss = [before.snapshot.rss]
    const load = {
      requests: 0,
      seconds: 0,
      wrong: 0,
      failed: 0,
      samples: /** @type {string[]} */ ([]),
    }
    for (let i = 0; i < 6; i++) {
      const part = await runLoad(child.port, {
        connections: options.connections,
        seconds: options.seconds / 6,
      })
      load.requests += part.requests
      load.seconds += part.seconds
      load.wrong += part.wrong
      load.failed += part.failed
      load.samples.push(...part.samples.slice(0, 3 - load.samples.length))
      rss.push((await child.ask({ type: 'sample' })).snapshot.rss)
    }
    const after = await settledSample(child, before)
    const logged = await child.ask({ type: 'log' })
    await child.stop()
    const problems = [...heldGrowth(before, after), ...memoryGrowth(before, after, rss)]
    if (load.wrong > 0 || load.failed > 0)
      problems.push(`${load.wrong} wrong, ${load.failed} failed: ${load.samples.join(' | ')}`)
    if (logged.count > 0)
      problems.push(`${logged.count} errors logged, e.g. ${logged.lines.slice(0, 2).join(' | ')}`)
    const ok = problems.length === 0
    if (!ok) failures.push(`soak ${stack.id}: ${problems.join('; ')}`)
    soakRows.push({
      stack: stack.id,
      requests: load.requests,
      'req/s': Math.round(load.requests / load.seconds),
      wrong: load.wrong + load.failed,
      handles: `${handles(before)} → ${handles(after)}`,
      rss: rssCell(rss),
      heap: `${mib(before.snapshot.heapUsed)} → ${mib(after.snapshot.heapUsed)}`,
      external: `${mib(before.snapshot.external)} → ${mib(after.snapshot.external)}`,
      result: ok ? 'pass' : `FAIL: ${problems.join('; ')}`,
    })
    console.log(
      `soak    ${stack.id.padEnd(13)} ${ok ? 'pass' : 'FAIL'}  ${JSON.stringify(soakRows.at(-1))}`,
    )
  }
}

async function fuzzPhase() {
  for (const stack of stacks) {
    const registry = fuzzRegistry()
    const running = await stack.serve(
      {
        app: fuzzGatewayApp(registry),
        listener: fuzzListener(registry),
        fetch: fuzzFetchHandler(registry),
      },
      (outer) => outer,
    )
    const started = Date.now()
    const result = await fc.check(
      roundTrip(() => running.port, registry, {
        asciiResponseHeaders: stack.asciiHeadersBecause !== undefined,
        utf8Paths: stack.utf8PathsBecause !== undefined,
      }),
      { numRuns: options.fuzzRuns },
    )
    await running.close()
    const ok = !result.failed
    const detail = ok
      ? ''
      : `${String(result.errorInstance).split('\n')[0] ?? ''} for ${JSON.stringify(result.counterexample)}`
    if (!ok) failures.push(`fuzz ${stack.id}: ${detail}`)
    fuzzRows.push({
      stack: stack.id,
      runs: result.numRuns,
      seconds: ((Date.now() - started) / 1000).toFixed(1),
      limits:
        [
          stack.utf8PathsBecause && 'UTF-8 paths',
          stack.asciiHeadersBecause && 'ASCII response headers',
        ]
          .filter(Boolean)
          .join(', ') || '—',
      result: ok ? 'pass' : `FAIL: ${detail}`,
    })
    console.log(
      `fuzz    ${stack.id.padEnd(13)} ${ok ? 'pass' : 'FAIL'}  ${JSON.stringify(fuzzRows.at(-1))}`,
    )
  }
}

/** @param {Array<Record<string, string | number>>} rows */
function table(rows) {
  const first = rows[0]
  if (first === undefined) return '(not run)\n'
  const keys = Object.keys(first)
  const esc = (/** @type {unknown} */ v) => String(v).replaceAll('|', '\\|')
  return (
    [
      `| ${keys.join(' | ')} |`,
      `|${keys.map(() => '---').join('|')}|`,
      ...rows.map((r) => `| ${keys.map((k) => esc(r[k])).join(' | ')} |`),
    ].join('\n') + '\n'
  )
}

const started = new Date()
if (options.phases.includes('input')) await inputPhase()
if (options.phases.includes('faults')) await faultPhase()
if (options.phases.includes('soak')) await soakPhase()
if (options.phases.includes('fuzz')) await fuzzPhase()
const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(1)

/** The commit the run measured, and whether the tree had changes beside it. */
function revision() {
  try {
    const git = (/** @type {string[]} */ ...args) =>
      execFileSync('git', args, { cwd: fileURLToPath(new URL('..', import.meta.url)) })
        .toString()
        .trim()
    const dirty = git('status', '--porcelain', '--untracked-files=no') !== ''
    return `\`${git('rev-parse', '--short', 'HEAD')}\`${dirty ? ' with uncommitted changes' : ''}`
  } catch {
    return 'unknown (not a git checkout)'
  }
}

if (options.write) {
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  const command = `node --expose-gc reliability/run.mjs ${process.argv.slice(2).join(' ')}`.trim()
  const text = `# Reliability

The figures of a full reliability run: every server and bridge under faults, load and fuzzing.
How it works, and how to run it, is in [reliability/README.md](reliability/README.md); the short
versions of the same suites run in \`pnpm test\` (\`packages/*/test/reliability*\`) and in
\`pnpm reliability:short\` (which CI runs).

- **Command**: \`pnpm reliability\` (\`pnpm exec tsc -b && ${command}\`)
- **Date**: ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${minutes} minutes
- **Commit**: ${revision()}
- **Machine**: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 1024 ** 3)} GiB RAM, ${process.platform} ${process.arch}
- **Node**: ${process.version}
- **Result**: ${failures.length === 0 ? 'every check passed' : `${failures.length} failures (below)`}

Stacks (ids of \`reliability/stacks.mjs\`):

${stacks.map((s) => `- \`${s.id}\`: ${s.label}`).join('\n')}

## Bad input and misbehaving applications

The catalogues of \`reliability/lib/malformed.mjs\` and \`reliability/lib/bad-apps.mjs\`, over raw
sockets (they are deterministic; the package suites run them too). *refused requests*: each
request Node's parser refuses gets its 4xx and a closed connection, and no application runs.
*borderline requests*: absolute-form targets, dot segments, \`_\` in header names, a \`Host\`
that is no host, pipelined requests… reach the far side as sent, or are refused (never
resolved or smuggled). *bad apps*: a 500 without details, a cut, or the whole response (an
unusual status PEP 3333 allows, such as a final 101 or a 600, is sent as is where the host can
send it: a final 1xx closes the connection); never a connection out of step; \`close()\` once; the error's code in the log.
*early 413*: an app that refuses a 4 MiB upload before reading a byte of it; the uploading
client reads the whole answer, never a connection reset in its place (the bridges drain up to
\`drainLimit\`, then close the lingering way).

${table(inputRows)}
## Faults

${options.faults.toLocaleString('en-US')} requests per stack whose client leaves at a random point: mid-upload (after 1 B to
2 MiB of a 4 MiB body), mid-download (after 0 to 256 KiB of an endless stream) and while the
app waits. *seen* counts those the server received before the client left. Passing means: every
body closed exactly once, every abort signal fired exactly once, the native side of \`from*\`
bridges saw its client leave, no unhandled rejection, no MaxListeners warning, nothing logged as
an error, and handles, connections and listeners back to where they started; heap growth under
${LIMITS.heap / MiB} MiB (after a full GC) and an RSS trend under ${LIMITS.rss / MiB} MiB. *before* is sampled after a warm-up of
1,000 requests, then RSS after each tenth of the run. Memory in MiB: heap before → after; RSS
first → last sample (lowest–highest; trend = median of the last three samples − median of the
first three). Why a trend and not last − first: an idle Node process's RSS after a full GC moves
by ±25 MiB from one sample to the next (V8's young generation grows to its ceiling under load and
returns pages when it pleases; malloc keeps freed native buffers), while a leak rises steadily.
Measured on the 9-hop chain: RSS 135–159 MiB over 12 samples of 1,000 aborted requests each, no
rise; heap 17.6–19.0 MiB. The records of each tenth are checked once the server saw every one of
its clients leave (up to 10 s), not after a fixed pause: on a busy machine the last uploads of a
tenth were checked before the server had read up to the cut, and reported as an abort signal
that never fired.

Two upload faults of core's Node bridge are checked by its tests, not yet per stack here
(\`packages/core/src/node/handler.drain.test.ts\`, raw sockets and curl): a client that trickles a
body it never finishes to an app that answered without reading it (the connection is closed
after \`drainTimeout\`, 5 s by default, not Node's 300 s request timeout), and a large upload
answered 413 without reading it (\`Connection: close\`, then the connection is closed the
lingering way: the client reads the 413 instead of a reset).

${table(faultRows)}
## Soak

${options.seconds} s per stack at ${options.connections} keep-alive connections: 60 % \`GET /hello\`, 25 % \`POST /echo\`
(1 B to 64 KiB, echoed and compared), 15 % \`GET /stream\` (1 to 16 chunks). *wrong* counts
answers with a wrong status or wrong bytes and failed requests. Sampled after a warm-up (a sixth
of the run, at most 5 s) and after each sixth of the load (full GC each time); the same limits
and the same RSS trend as above.
The client and the server share a 2-core machine, so req/s are no benchmark (see BENCHMARKS.md).

${table(soakRows)}
## Fuzz

fast-check round trips, ${options.fuzzRuns.toLocaleString('en-US')} per stack: random methods, paths with %XX escapes (bytes that are
not UTF-8 included) and Unicode, repeated headers, bodies in random chunks; random statuses,
repeated headers, several \`Set-Cookie\` and chunked bodies back. The far side must see exactly
what was sent, the client exactly what was answered. *limits* names what a host forces: Fastify's
router refuses paths whose bytes are not UTF-8, and \`@hono/node-server\` flushes heads with
Node's \`flushHeaders()\`, which writes latin-1 header values as UTF-8.

${table(fuzzRows)}${failures.length === 0 ? '' : `\n## Failures\n\n${failures.map((f) => `- ${f}`).join('\n')}\n`}`
  writeFileSync(new URL('../RELIABILITY.md', import.meta.url), text)
  console.log('wrote RELIABILITY.md')
}

if (failures.length > 0) {
  console.error(`\n${failures.length} failures:\n${failures.map((f) => `- ${f}`).join('\n')}`)
  process.exit(1)
}
console.log(`\nall reliability checks passed (${minutes} min)`)
process.exit(0)
