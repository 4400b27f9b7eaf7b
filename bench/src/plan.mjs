/**
 * What the benchmark compares: groups of servers measured together, each contender against the
 * group's baseline, with the goal the issue sets for each scenario.
 *
 * A group's servers all run during the group (idle ones cost nothing), and every round measures
 * the baseline and each contender once, in an order that reverses from one round to the next, so
 * a drift of the machine's speed weighs on both sides alike.
 *
 * @module
 */

/**
 * @typedef {object} Contender
 * @property {string} stack the stack id (stacks/index.mjs)
 * @property {'ours' | 'peer'} role ours, or what a user would pick instead
 * @property {string} scenario the scenario of the table
 * @property {number | undefined} goal the least A/B ratio we aim for (peers have none)
 * @property {string} [note] a word on what the row shows
 */

/**
 * @typedef {object} Group
 * @property {string} id
 * @property {'rate' | 'inproc' | 'transfer'} kind request rates over sockets, in-process calls, or 1 GiB transfers
 * @property {string} baseline the stack every contender is compared with
 * @property {Array<'hello' | 'echo' | 'upload' | 'download'>} workloads
 * @property {Contender[]} contenders
 */

/** The goals of the issue, by scenario. */
export const GOALS = {
  hello: 0.95,
  mount: 0.95,
  framework: 0.9,
  fetch: 1.0,
  echo: 0.9,
  transfer: 0.9,
}

/** The most a server's RSS may grow during a 1 GiB transfer. */
export const RSS_GOAL = 64 * 1024 * 1024

/**
 * @param {string} stack
 * @param {string} scenario
 * @param {number} [goal]
 * @param {string} [note]
 * @returns {Contender}
 */
const ours = (stack, scenario, goal, note) => ({
  stack,
  role: 'ours',
  scenario,
  goal,
  ...(note === undefined ? {} : { note }),
})

/**
 * @param {string} stack
 * @param {string} scenario
 * @returns {Contender}
 */
const peer = (stack, scenario) => ({ stack, role: 'peer', scenario, goal: undefined })

const MOUNT = 'mount'
const FRAMEWORK = 'framework app as gateway app'
const FETCH = 'fetch app as gateway app'
const EXPRESS_IN_FASTIFY = 'Express app in Fastify'
const EXPRESS_MW_IN_KOA = 'Express middleware in Koa'
const KOA_MW_IN_EXPRESS = 'Koa middleware in Express'
const FETCH_SERVER = 'fetch handler on a server'
const PYTHON_APP = 'Python WSGI app (Flask)'
const FRAMEWORK_ALONE = 'framework alone'
const FLOOR = 'diagnostic: the framework on its own server, no bridge (the floor)'
/** The note of an A/A row: the baseline against a second process of itself (see the report). */
export const NOISE = 'diagnostic: the baseline again (A/A), the noise of this run'

/** @type {Group[]} */
export const GROUPS = [
  {
    id: 'core',
    kind: 'rate',
    baseline: 'node',
    workloads: ['hello', 'echo'],
    contenders: [
      ours('simple', 'hello world', GOALS.hello),
      ours(
        'listener',
        'hello world',
        undefined,
        'diagnostic: the bridge without the simple server',
      ),
      peer('fetch-hono-server', 'hello world'),
      peer('fetch-whatwg', 'hello world'),
      ours('node-again', 'hello world', undefined, NOISE),
    ],
  },
  {
    id: 'express',
    kind: 'rate',
    baseline: 'express',
    workloads: ['hello', 'echo'],
    contenders: [
      ours('express-to', MOUNT, GOALS.mount),
      ours('express-from', FRAMEWORK, GOALS.framework),
    ],
  },
  {
    id: 'koa',
    kind: 'rate',
    baseline: 'koa',
    workloads: ['hello', 'echo'],
    contenders: [
      ours('koa-to', MOUNT, GOALS.mount),
      ours('koa-from', FRAMEWORK, GOALS.framework),
      ours('koa-again', FRAMEWORK_ALONE, undefined, NOISE),
    ],
  },
  {
    id: 'fastify',
    kind: 'rate',
    baseline: 'fastify',
    workloads: ['hello', 'echo'],
    contenders: [
      ours('fastify-to', MOUNT, GOALS.mount),
      ours('fastify-from', FRAMEWORK, GOALS.framework),
    ],
  },
  {
    id: 'hono',
    kind: 'rate',
    baseline: 'hono',
    workloads: ['hello', 'echo'],
    contenders: [
      ours('hono-to', MOUNT, GOALS.mount),
      ours('hono-tohono', MOUNT, GOALS.mount),
      ours('hono-from', FETCH, GOALS.fetch),
      peer('hono-whatwg', FETCH),
    ],
  },
  // The peer jobs: one thing a user does with this project, done with the tool they would
  // otherwise pick and with our bridges, against the same baseline. Ours have no goal of the
  // issue's table here: the peer beside each row is the measure.
  {
    id: 'fastify-express',
    kind: 'rate',
    baseline: 'express',
    workloads: ['hello', 'echo'],
    contenders: [
      peer('fastify-express', EXPRESS_IN_FASTIFY),
      ours('fastify-fromexpress', EXPRESS_IN_FASTIFY, undefined, 'against @fastify/express'),
    ],
  },
  {
    id: 'koa-expressmw',
    kind: 'rate',
    baseline: 'koa-mw',
    workloads: ['hello', 'echo'],
    contenders: [
      peer('koa-connect', EXPRESS_MW_IN_KOA),
      ours('koa-expressmw', EXPRESS_MW_IN_KOA, undefined, 'against koa-connect'),
    ],
  },
  {
    id: 'express-koamw',
    kind: 'rate',
    baseline: 'express-mw',
    workloads: ['hello', 'echo'],
    contenders: [
      peer('express-koamw-hand', KOA_MW_IN_EXPRESS),
      ours('express-koamw', KOA_MW_IN_EXPRESS, undefined, 'against a hand wrapper'),
    ],
  },
  {
    id: 'fetch',
    kind: 'rate',
    baseline: 'node',
    workloads: ['hello', 'echo'],
    contenders: [
      ours('fetch-from', FETCH_SERVER, undefined, 'against srvx and h3'),
      ours(
        'fetch-from-light',
        FETCH_SERVER,
        undefined,
        'against @hono/node-server, a peer row of the simple group',
      ),
      peer('fetch-srvx', FETCH_SERVER),
      peer('fetch-h3', FETCH_SERVER),
    ],
  },
  // A real Python app: Flask in Express through Pyodide (WebAssembly) against the same app on
  // Python's own servers. No goal: WebAssembly's cost is the figure to show.
  {
    id: 'python',
    kind: 'rate',
    baseline: 'python-wsgiref',
    workloads: ['hello', 'echo'],
    contenders: [
      ours('python-express', PYTHON_APP, undefined, 'Pyodide (WebAssembly), no goal'),
      peer('python-gunicorn', PYTHON_APP),
    ],
  },
  {
    id: 'inproc',
    kind: 'inproc',
    baseline: 'express-inject',
    workloads: ['hello', 'echo'],
    contenders: [ours('express-call', 'in-process call', undefined)],
  },
  {
    id: 'inproc-koa',
    kind: 'inproc',
    baseline: 'koa-inject',
    workloads: ['hello', 'echo'],
    contenders: [ours('koa-call', 'in-process call', undefined)],
  },
  {
    id: 'inproc-fastify',
    kind: 'inproc',
    baseline: 'fastify-inject',
    workloads: ['hello', 'echo'],
    contenders: [ours('fastify-call', 'in-process call', undefined)],
  },
  {
    id: 'transfer',
    kind: 'transfer',
    baseline: 'node',
    workloads: ['upload', 'download'],
    contenders: [
      ours('simple', 'hello world', GOALS.transfer),
      ours('express-to', MOUNT, GOALS.transfer),
      ours('koa-to', MOUNT, GOALS.transfer),
      ours('fastify-to', MOUNT, GOALS.transfer),
      ours('hono-to', MOUNT, GOALS.transfer),
      ours('express-from', FRAMEWORK, GOALS.transfer),
      ours('koa-from', FRAMEWORK, GOALS.transfer),
      ours('fastify-from', FRAMEWORK, GOALS.transfer),
      ours('hono-from', FETCH, GOALS.transfer),
      peer('fetch-hono-server', 'hello world'),
      peer('fetch-whatwg', 'hello world'),
      // The floor of the mount and framework rows: each framework alone, its app reading its
      // own request the way the raw handler does (`pipeline()` into a counting sink).
      ours('express', FRAMEWORK_ALONE, undefined, FLOOR),
      ours('koa', FRAMEWORK_ALONE, undefined, FLOOR),
      ours('fastify', FRAMEWORK_ALONE, undefined, FLOOR),
      ours('node-again', 'hello world', undefined, NOISE),
    ],
  },
]

/**
 * The goal of a contender for a workload: its scenario's goal for hello, the echo goal for echo,
 * the transfer goal for transfers; none for peers and diagnostics.
 *
 * @param {Contender} contender
 * @param {string} workload
 * @returns {number | undefined}
 */
export function goalOf(contender, workload) {
  if (contender.goal === undefined) return undefined
  if (workload === 'echo') return GOALS.echo
  return contender.goal
}
