/**
 * `describeReliability(stacks, options)`: the short reliability suite every server and bridge
 * runs under vitest (`pnpm test`), over real sockets on 127.0.0.1. For each stack:
 *
 * 1. malformed requests Node's parser refuses: the right 4xx, a closed connection, no app run;
 * 2. borderline requests it lets through: the far side sees them as sent, or they are refused;
 * 3. misbehaving applications: a 500 without details, a cut, or the whole response (or an unusual
 *    status carried as sent where the host can send it); never a connection out of step; `close()` once; the error's code in the log;
 * 4. clients that go away mid-upload, mid-download and mid-thought: `close()` once, the abort
 *    signal once, no unhandled rejection, no handle, connection or listener left behind;
 * 5. fast-check round trips: the far side sees exactly what was sent, the client exactly what
 *    was answered.
 *
 * A stack serves a "far side" given in three shapes (a gateway app, a Node listener, a fetch
 * handler), each with the same behaviour; it picks the one its bridge takes.
 *
 * @module
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { BAD_APPS, badAppsApp, checkBadApps } from './bad-apps.mjs'
import { checkEarlyAnswer, earlyAnswerApp } from './early-answer.mjs'
import {
  countingGateway,
  faultApp,
  faultFetchHandler,
  faultListener,
  faultProblems,
  faultsSettle,
  runFaults,
} from './faults.mjs'
import {
  fuzzFetchHandler,
  fuzzGatewayApp,
  fuzzListener,
  fuzzRegistry,
  fuzzRuns,
  roundTrip,
} from './fuzz.mjs'
import { checkAccepted, checkRejected, echoApp, echoFetch, echoListener } from './malformed.mjs'
import { exchange } from './raw-http.mjs'
import { settledGrowth, snapshot, watchProcess } from './resources.mjs'

/**
 * @typedef {import('./bad-apps.mjs').GatewayApp} GatewayApp
 * @typedef {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => unknown} NodeListener
 * @typedef {(request: Request) => Response | Promise<Response>} FetchHandler
 */

/**
 * @typedef {object} FarSide
 * @property {GatewayApp} app
 * @property {NodeListener} listener
 * @property {FetchHandler | undefined} fetch
 */

/**
 * @typedef {object} Running
 * @property {number} port
 * @property {import('node:net').Server} server the server that owns the sockets
 * @property {() => string} errors everything logged so far (wsgi.errors and host error hooks)
 * @property {() => Promise<void>} close
 */

/**
 * @typedef {object} Stack
 * @property {string} name
 * @property {'app' | 'listener' | 'fetch'} far which shape of the far side the stack serves
 * @property {(far: FarSide, wrap: (outer: GatewayApp) => GatewayApp) => Promise<Running>} serve
 *   `wrap` must be applied to the outermost gateway app the stack's server runs, when it has one
 * @property {boolean} [afterCodes] error codes of failures after the head reach `errors()` too
 * @property {import('./malformed.mjs').HostTraits} [host] what the server in front of the bridge
 *   does by itself (a fetch server resolves dot segments)
 * @property {string} [asciiHeadersBecause] the response headers the round trips draw stay ASCII,
 *   for this reason (a host that mangles latin-1 header values, upstream)
 * @property {string} [utf8PathsBecause] the paths the round trips draw decode as UTF-8, for
 *   this reason (a host router that refuses other bytes)
 */

/**
 * @typedef {object} SuiteOptions
 * @property {(app: GatewayApp) => NodeListener} toListener turns a gateway app into a Node
 *   listener (core's `toNodeListener`), for stacks whose far side is a listener
 * @property {(app: GatewayApp) => FetchHandler} [toFetchHandler] likewise for fetch handlers
 * @property {number} [faults] aborted requests per stack (default 45)
 * @property {number} [fuzzRuns] fast-check runs per stack (default 40; RELIABILITY_FUZZ_RUNS wins)
 */

const identity = (/** @type {GatewayApp} */ app) => app

/**
 * Register the suite for every stack.
 *
 * @param {readonly Stack[]} stacks
 * @param {SuiteOptions} options
 */
export function describeReliability(stacks, options) {
  for (const stack of stacks) {
    describe(`reliability of ${stack.name}`, () => {
      describeBadInput(stack)
      describeBadApps(stack, options)
      describeEarlyAnswer(stack, options)
      describeFaults(stack, options)
      describeFuzz(stack, options)
    })
  }
}

/** @param {Stack} stack */
function describeBadInput(stack) {
  describe('bad input', () => {
    /** @type {Running} */
    let running
    let calls = 0
    beforeAll(async () => {
      running = await stack.serve(
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
        identity,
      )
    })
    afterAll(() => running.close())

    it('answers each request the parser refuses with its 4xx and closes, running no app', async () => {
      const failures = await checkRejected(running.port, () => calls)
      expect(Object.fromEntries(failures)).toEqual({})
    })

    it('hands borderline requests to the far side as sent, or refuses them', async () => {
      const failures = await checkAccepted(
        (request, expected) => exchange(running.port, request, { expected, timeoutMs: 3000 }),
        stack.host,
      )
      expect(Object.fromEntries(failures)).toEqual({})
    })
  })
}

/**
 * @param {Stack} stack
 * @param {SuiteOptions} options
 */
function describeBadApps(stack, options) {
  describe('misbehaving applications', () => {
    /** @type {Running} */
    let running
    /** @type {import('./bad-apps.mjs').Probe[]} */
    const probes = []
    beforeAll(async () => {
      const app = badAppsApp(probes)
      running = await stack.serve(
        {
          app,
          listener: stack.far === 'listener' ? options.toListener(app) : () => undefined,
          fetch: stack.far === 'fetch' ? options.toFetchHandler?.(app) : undefined,
        },
        identity,
      )
    })
    afterAll(() => running.close())

    it(`answers each of the ${BAD_APPS.length} bad apps and keeps the connection in step`, async () => {
      const failures = await checkBadApps(running.port, probes, {
        errorLog: () => running.errors(),
        afterCodes: stack.afterCodes === true,
      })
      expect(Object.fromEntries(failures)).toEqual({})
    })
  })
}

/**
 * @param {Stack} stack
 * @param {SuiteOptions} options
 */
function describeEarlyAnswer(stack, options) {
  describe('an answer before the upload is read', () => {
    /** @type {Running} */
    let running
    beforeAll(async () => {
      running = await stack.serve(
        {
          app: earlyAnswerApp,
          listener: stack.far === 'listener' ? options.toListener(earlyAnswerApp) : () => undefined,
          fetch: stack.far === 'fetch' ? options.toFetchHandler?.(earlyAnswerApp) : undefined,
        },
        identity,
      )
    })
    afterAll(() => running.close())

    it('lets a client uploading 4 MiB read the whole 413, not a connection reset', async () => {
      // Three uploads: a reset that races the answer loses it on some runs, not all.
      for (let i = 0; i < 3; i++) expect(await checkEarlyAnswer(running.port)).toEqual([])
    })
  })
}

/**
 * @param {Stack} stack
 * @param {SuiteOptions} options
 */
function describeFaults(stack, options) {
  const count = options.faults ?? 45
  describe('clients that go away', () => {
    /** @type {Running} */
    let running
    /** @type {import('./faults.mjs').FaultRecords} */
    const records = new Map()
    beforeAll(async () => {
      running = await stack.serve(
        {
          app: faultApp(records),
          listener: faultListener(records),
          fetch: faultFetchHandler(records),
        },
        (outer) => (stack.far === 'app' ? outer : countingGateway(outer, records)),
      )
    })
    afterAll(() => running.close())

    it(`closes each body once and fires each abort once over ${count} aborted requests, leaking nothing`, async () => {
      const watch = { servers: [running.server], emitters: [running.server] }
      await runFaults(running.port, { count: 6, idPrefix: 'warm' })
      const logged = running.errors().length
      const before = await snapshot(watch)
      const {
        value: ids,
        rejections,
        warnings,
      } = await watchProcess(() => runFaults(running.port, { count, idPrefix: 'f' }))
      const { problems: grown } = await settledGrowth(before, watch)
      await faultsSettle(records, ids)
      const { problems, seen } = faultProblems(records, ids, { native: stack.far !== 'app' })
      expect(problems).toEqual([])
      expect(seen).toBeGreaterThan(count / 2)
      expect(rejections).toEqual([])
      expect(warnings).toEqual([])
      expect(grown).toEqual([])
      // A client that goes away is not an application error.
      expect(running.errors().slice(logged)).not.toMatch(/Error\b/)
    })
  })
}

/**
 * @param {Stack} stack
 * @param {SuiteOptions} options
 */
function describeFuzz(stack, options) {
  describe('round trips (fast-check)', () => {
    /** @type {Running} */
    let running
    const registry = fuzzRegistry()
    beforeAll(async () => {
      running = await stack.serve(
        {
          app: fuzzGatewayApp(registry),
          listener: fuzzListener(registry),
          fetch: fuzzFetchHandler(registry),
        },
        identity,
      )
    })
    afterAll(() => running.close())

    it('delivers every request and every response unchanged', async () => {
      await fc.assert(
        roundTrip(() => running.port, registry, {
          asciiResponseHeaders: stack.asciiHeadersBecause !== undefined,
          utf8Paths: stack.utf8PathsBecause !== undefined,
        }),
        { numRuns: fuzzRuns(options.fuzzRuns ?? 40) },
      )
    })
  })
}
