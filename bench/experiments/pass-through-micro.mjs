/**
 * The pass-through's own cost, alone: core's `runPassThrough` on fresh `node:http` request and
 * response objects (no socket, no server, no handler), with a Koa-like listener (a status, two
 * `setHeader` calls, `end(body)`), against the same listener on the same objects without it.
 * What a response pays for the head rewrite, the byte count and the settling, to within a few
 * tens of nanoseconds, where a whole server's rows (the judge's in-memory children included)
 * spread by more than the whole pass-through costs.
 *
 *   node bench/experiments/pass-through-micro.mjs [checkout …] [--runs 6]
 *
 * Each checkout (default: this one; built with `tsc -b`) is measured in its own process, pinned
 * to one CPU, the checkouts alternated `--runs` times, and the listener alone once per run;
 * printed: the median over the runs of each process's median ns per response, and each run's.
 *
 * @module
 */
import { spawnSync } from 'node:child_process'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import { fileURLToPath } from 'node:url'

const HERE = fileURLToPath(import.meta.url)
const THIS_CHECKOUT = fileURLToPath(new URL('../..', import.meta.url))
const ROUNDS = 7
const PER_ROUND = 200_000

/** @param {readonly number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1] ?? Number.NaN
}

/**
 * @param {IncomingMessage} _req
 * @param {ServerResponse} res
 */
function listener(_req, res) {
  res.statusCode = 200
  res.setHeader('Content-Type', 'text/plain; charset=utf-8')
  res.setHeader('Content-Length', '11')
  res.end('Hello World')
}

/**
 * One measurement in this process: the listener through `checkout`'s `runPassThrough`, or
 * alone (`bare`, for which the checkout does not matter). Each in a process of its own: Node's
 * `end()` and `_storeHeader` warmed on both kinds of response would measure neither as a server
 * that serves one kind. Prints ns per response.
 */
async function child(/** @type {string} */ checkout, /** @type {boolean} */ bare) {
  const { runPassThrough } = await import(`${checkout}/packages/core/dist/node/pass-through.js`)
  const socket = new Socket()
  const noop = () => undefined
  let sink = 0
  const pair = () => {
    const req = new IncomingMessage(socket)
    req.method = 'GET'
    req.httpVersionMajor = 1
    req.httpVersionMinor = 1
    req.url = '/'
    req.complete = true
    return { req, res: new ServerResponse(req) }
  }
  const alone = () => {
    const { req, res } = pair()
    listener(req, res)
    sink += res.writableEnded ? 1 : 0
  }
  const through = async () => {
    const { req, res } = pair()
    const route = {
      environ: undefined,
      startResponse: noop,
      nativeApp: noop,
      request: req,
      response: res,
      serverSoftware: 'WSGIServer/0.2 Node.js',
      beforeNativeHead: noop,
      nativeBodyRead: noop,
      closesForNativeBody: () => false,
      nativeEnded: noop,
    }
    sink += (await runPassThrough(route, {}, listener, undefined)).bytes
  }
  /** @param {() => unknown} one */
  const rounds = async (one) => {
    for (let i = 0; i < PER_ROUND / 2; i++) await one()
    const times = []
    for (let r = 0; r < ROUNDS; r++) {
      const start = process.hrtime.bigint()
      for (let i = 0; i < PER_ROUND; i++) await one()
      times.push(Number(process.hrtime.bigint() - start) / PER_ROUND)
    }
    return median(times)
  }
  const result = await rounds(bare ? alone : through)
  if (sink === 0) throw new Error('nothing was written')
  process.stdout.write(`${String(result)}\n`)
}

/** @param {string[]} args */
function measure(args) {
  const out = spawnSync('taskset', ['-c', '1', process.execPath, HERE, ...args], {
    encoding: 'utf8',
  })
  if (out.status !== 0) throw new Error(`${args.join(' ')}: ${out.stderr}`)
  return Number(out.stdout)
}

function main() {
  const args = process.argv.slice(2)
  const at = args.indexOf('--runs')
  const runs = at < 0 ? 6 : Number(args[at + 1])
  const checkouts = args.filter((arg, i) => arg !== '--runs' && i !== at + 1)
  if (checkouts.length === 0) checkouts.push(THIS_CHECKOUT)
  /** @type {number[]} */
  const bare = []
  /** @type {Map<string, number[]>} */
  const through = new Map(checkouts.map((checkout) => [checkout, []]))
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? checkouts : [...checkouts].reverse()
    bare.push(measure(['--bare', THIS_CHECKOUT]))
    for (const checkout of order) through.get(checkout)?.push(measure(['--child', checkout]))
  }
  const alone = median(bare)
  console.log(`the listener alone: ${alone.toFixed(0)} ns per response`)
  for (const [checkout, list] of through) {
    const value = median(list)
    console.log(
      `${checkout}: ${value.toFixed(0)} ns per response through runPassThrough, ` +
        `${(value - alone).toFixed(0)} ns more (runs: ${list.map((v) => v.toFixed(0)).join(' ')})`,
    )
  }
}

const mode = process.argv[2]
if (mode === '--child' || mode === '--bare') {
  await child(process.argv[3] ?? THIS_CHECKOUT, mode === '--bare')
} else main()
