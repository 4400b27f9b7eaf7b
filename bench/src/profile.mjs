/**
 * `pnpm bench:profile -- <stack> [workload] [--seconds S]`: run one server with the benchmark's
 * load, profile it with V8's CPU profiler (the one `node --cpu-prof` runs, started after the
 * warm-up so that loading the server is not in the profile), and print where the time went
 * (cpuprofile.mjs). The `.cpuprofile` stays in bench/profiles/ for Chrome DevTools or speedscope.
 *
 * @module
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import { formatSummary } from './cpuprofile.mjs'
import { measureInProcess, measureRate, measureTransfer, probe } from './load.mjs'
import { Child, SERVER_FLAGS, pinSelf } from './spawn.mjs'
import { STACKS, unavailable } from './stacks/index.mjs'

const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..')

const { values, positionals } = parseArgs({
  // pnpm may pass on the `--` that separates its own options from the script's.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
    bytes: { type: 'string', default: String(1024 ** 3) },
    top: { type: 'string', default: '30' },
  },
  allowPositionals: true,
})
const [stack, workload = 'hello'] = positionals
if (stack === undefined || (STACKS[stack] === undefined && !stack.startsWith('file:'))) {
  process.stderr.write(
    `usage: pnpm bench:profile -- <stack> [hello|echo|upload|download]\nstacks: ${Object.keys(STACKS).join(' ')}\n`,
  )
  process.exit(2)
}
const why = await unavailable(stack)
if (why !== undefined) {
  process.stderr.write(`${stack}: ${why}\n`)
  process.exit(1)
}

pinSelf()
const dir = join(
  BENCH,
  'profiles',
  `${stack.replace(/^file:.*\//, '').replace(/\W+/g, '-')}-${workload}`,
)
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })
const file = join(
  dir,
  `${stack.replace(/^file:.*\//, '').replace(/\W+/g, '-')}-${workload}.cpuprofile`,
)
const transfer = workload === 'upload' || workload === 'download'
// The server runs as the benchmark's do (see SERVER_FLAGS).
const child = new Child(stack, { log: join(dir, 'server.log'), nodeOptions: SERVER_FLAGS })
const options = {
  seconds: Number(values.seconds),
  connections: Number(values.connections),
  closes: STACKS[stack]?.closes === true,
}
try {
  await child.ready(STACKS[stack]?.readyMs)
  const kind = STACKS[stack]?.kind ?? 'http'
  if (transfer) {
    const problem = await probe(child, [workload])
    if (problem !== undefined) throw new Error(problem)
    await measureTransfer(child, workload, Number(values.bytes) / 16)
    await child.ask('profile-start')
    const sample = await measureTransfer(child, workload, Number(values.bytes))
    await child.ask('profile-stop', { file })
    process.stdout.write(
      `${sample.mbps.toFixed(0)} MB/s, server CPU ${(sample.cpu / 1e6).toFixed(2)} s\n`,
    )
  } else if (workload === 'hello' || workload === 'echo') {
    if (kind === 'inproc') {
      await measureInProcess(child, workload, { ...options, seconds: 1 })
      await child.ask('profile-start')
      const sample = await measureInProcess(child, workload, options)
      await child.ask('profile-stop', { file })
      process.stdout.write(`${sample.rps.toFixed(0)} calls/s\n`)
    } else {
      const problem = await probe(child, [workload])
      if (problem !== undefined) throw new Error(problem)
      await measureRate(child, workload, { ...options, seconds: 1 })
      await child.ask('profile-start')
      const sample = await measureRate(child, workload, options)
      await child.ask('profile-stop', { file })
      process.stdout.write(
        `${sample.rps.toFixed(0)} req/s, ${(sample.cpu / sample.requests).toFixed(1)} µs server CPU per request\n`,
      )
    }
  } else {
    throw new Error(`unknown workload ${workload}`)
  }
} finally {
  await child.stop()
}
process.stdout.write(
  `${file}\n\n${formatSummary(JSON.parse(readFileSync(file, 'utf8')), Number(values.top))}\n`,
)
