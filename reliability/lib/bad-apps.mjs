/**
 * The catalogue of misbehaving gateway applications, run through every server and bridge by the
 * reliability suites, and the check of what a client gets from each.
 *
 * Each app is served at `/bad/<index>`; `/ok` answers `200 ok`. A request to a bad app is sent
 * with a pipelined `GET /ok` behind it on the same connection, so that a response that leaves
 * the connection out of step (a forged or swallowed response) is caught, not only a wrong status.
 *
 * Outcomes:
 * - `'500'`: the app failed before its response started; the client gets a 500 without any
 *   detail of the error (no message, no stack), and the error reaches the server's log with
 *   its code.
 * - `'cut'`: the app failed after its response started; the client never gets a whole response
 *   for it (the connection is cut), or, through a bridge whose outer server had not started yet,
 *   a clean 500. Never a second response.
 * - `'whole'`: the response was complete when the app failed (its `close()` threw): the client
 *   gets it whole, and the error is logged.
 * - `'carried'`: an unusual status PEP 3333 allows (a final 1xx, a code above 599): a host that can
 *   send it does (a final 1xx without a body, and the connection closed after it, since a client
 *   reads any 1xx as interim), one that cannot (a fetch `Response`) answers a clean 500.
 *
 * Every app whose body has a `close()` must see it called exactly once.
 *
 * @module
 */
import { Buffer } from 'node:buffer'

import { exchange } from './raw-http.mjs'

const SECRET = 'SECRET-7f3a'
const enc = (/** @type {string} */ s) => Buffer.from(s)
const tick = () => new Promise((resolve) => setImmediate(resolve))

/**
 * A gateway application, loosely typed: the catalogue breaks the types on purpose.
 *
 * @typedef {(environ: Record<string, any>, startResponse: (status: any, headers: any, excInfo?: unknown) => (data: any) => unknown) => any} GatewayApp
 */

/**
 * @typedef {object} Probe
 * @property {number} closes calls of the body's `close()`
 */

/**
 * @typedef {object} BadApp
 * @property {string} name
 * @property {'500' | 'cut' | 'whole' | 'carried'} outcome
 * @property {number} [status] the status a `'carried'` app sends
 * @property {string[]} [codes] one of these must be in the error log ('500' and 'cut')
 * @property {boolean} [closable] the body has a `close()`, which must run exactly once
 * @property {(probe: Probe) => GatewayApp} make
 */

/**
 * @template {object} T
 * @param {T} body
 * @param {Probe} probe
 * @param {() => void | Promise<void>} [extra]
 * @returns {T & { close(): Promise<void> }}
 */
function closable(body, probe, extra) {
  return Object.assign(body, {
    async close() {
      probe.closes++
      await extra?.()
    },
  })
}

/** @type {readonly BadApp[]} */
export const BAD_APPS = [
  {
    name: 'a status of four digits',
    outcome: '500',
    codes: ['ERR_WSGI_INVALID_STATUS'],
    make: () => (_e, sr) => {
      sr(/** @type {any} */ ('2000 OK'), [])
      return [enc('x')]
    },
  },
  {
    name: 'a status that is not a string',
    outcome: '500',
    codes: ['ERR_WSGI_INVALID_STATUS'],
    make: () => (_e, sr) => {
      sr(/** @type {any} */ (200), [])
      return [enc('x')]
    },
  },
  {
    name: 'CR LF in the status (response splitting)',
    outcome: '500',
    codes: ['ERR_WSGI_INVALID_STATUS'],
    make: () => (_e, sr) => {
      sr('200 OK\r\nX-Evil: 1', [])
      return [enc('x')]
    },
  },
  {
    name: 'CR LF in a header value (response splitting)',
    outcome: '500',
    codes: ['ERR_WSGI_INVALID_HEADER'],
    make: () => (_e, sr) => {
      sr('200 OK', [['X-A', 'a\r\nX-Evil: 1']])
      return [enc('x')]
    },
  },
  {
    name: 'a control character in a header value',
    outcome: '500',
    codes: ['ERR_WSGI_INVALID_HEADER'],
    make: () => (_e, sr) => {
      sr('200 OK', [['X-A', 'a\x01b']])
      return [enc('x')]
    },
  },
  {
    name: 'a header name that is no token',
    outcome: '500',
    codes: ['ERR_WSGI_INVALID_HEADER', 'ERR_INVALID_HTTP_TOKEN'],
    make: () => (_e, sr) => {
      sr('200 OK', [['X A', 'b']])
      return [enc('x')]
    },
  },
  {
    name: 'a header value above U+00FF',
    outcome: '500',
    codes: ['ERR_WSGI_INVALID_HEADER', 'ERR_WSGI_NOT_LATIN1', 'ERR_INVALID_CHAR'],
    make: () => (_e, sr) => {
      sr('200 OK', [['X-A', 'caf\u00e9 \u20ac']])
      return [enc('x')]
    },
  },
  {
    name: 'headers that are not a list of pairs',
    outcome: '500',
    codes: ['ERR_WSGI_INVALID_ARG_TYPE'],
    make: () => (_e, sr) => {
      sr('200 OK', /** @type {any} */ ({ 'X-A': 'b' }))
      return [enc('x')]
    },
  },
  {
    name: 'a hop-by-hop header (Connection)',
    outcome: '500',
    codes: ['ERR_WSGI_HOP_BY_HOP_HEADER'],
    make: () => (_e, sr) => {
      sr('200 OK', [['Connection', 'close']])
      return [enc('x')]
    },
  },
  {
    name: 'a hop-by-hop header (Transfer-Encoding)',
    outcome: '500',
    codes: ['ERR_WSGI_HOP_BY_HOP_HEADER'],
    make: () => (_e, sr) => {
      sr('200 OK', [['Transfer-Encoding', 'chunked']])
      return [enc('x')]
    },
  },
  {
    name: 'a string chunk instead of bytes',
    outcome: '500',
    codes: ['ERR_WSGI_INVALID_BODY_CHUNK'],
    closable: true,
    make: (probe) => (_e, sr) => {
      sr('200 OK', [])
      return closable(/** @type {any} */ (['hello']), probe)
    },
  },
  {
    name: 'a string instead of an iterable body',
    outcome: '500',
    codes: ['ERR_WSGI_INVALID_ARG_TYPE'],
    make: () => (_e, sr) => {
      sr('200 OK', [])
      return /** @type {any} */ ('hello')
    },
  },
  {
    name: 'write() given a string',
    outcome: '500',
    codes: ['ERR_WSGI_INVALID_BODY_CHUNK'],
    make: () => async (_e, sr) => {
      await sr('200 OK', [])(/** @type {any} */ ('hello'))
      return []
    },
  },
  {
    name: 'never calling startResponse (empty body)',
    outcome: '500',
    codes: ['ERR_WSGI_NO_START_RESPONSE'],
    closable: true,
    make: (probe) => () => closable([], probe),
  },
  {
    name: 'never calling startResponse (a chunk)',
    outcome: '500',
    codes: ['ERR_WSGI_WRITE_BEFORE_START_RESPONSE'],
    closable: true,
    make: (probe) => () => closable([enc('x')], probe),
  },
  {
    name: 'calling startResponse twice',
    outcome: '500',
    codes: ['ERR_WSGI_HEADERS_ALREADY_SET'],
    make: () => (_e, sr) => {
      sr('200 OK', [])
      sr('201 Created', [])
      return [enc('x')]
    },
  },
  {
    name: 'throwing before startResponse',
    outcome: '500',
    make: () => () => {
      throw new Error(`${SECRET} thrown before the response`)
    },
  },
  {
    name: 'rejecting before startResponse',
    outcome: '500',
    make: () => async () => {
      await tick()
      throw new Error(`${SECRET} rejected before the response`)
    },
  },
  {
    name: 'throwing something that is not an Error',
    outcome: '500',
    make: () => () => {
      throw `${SECRET} a string`
    },
  },
  {
    name: 'throwing from the body before its first chunk',
    outcome: '500',
    closable: true,
    make: (probe) => (_e, sr) => {
      sr('200 OK', [])
      return closable(
        (function* () {
          // A generator that fails on its first step: nothing was sent yet.
          if (probe.closes >= 0) throw new Error(`${SECRET} in the body`)
          yield enc('never')
        })(),
        probe,
      )
    },
  },
  {
    name: 'throwing while streaming',
    outcome: 'cut',
    closable: true,
    make: (probe) => (_e, sr) => {
      sr('200 OK', [])
      return closable(
        (async function* () {
          yield enc('part one; ')
          await tick()
          throw new Error(`${SECRET} while streaming`)
        })(),
        probe,
      )
    },
  },
  {
    name: 'a string chunk after the first',
    outcome: 'cut',
    codes: ['ERR_WSGI_INVALID_BODY_CHUNK'],
    closable: true,
    make: (probe) => (_e, sr) => {
      sr('200 OK', [])
      return closable(
        (async function* () {
          yield enc('part one; ')
          await tick()
          yield /** @type {any} */ ('a string')
        })(),
        probe,
      )
    },
  },
  {
    name: 'startResponse with excInfo after the headers went out',
    outcome: 'cut',
    closable: true,
    make: (probe) => (_e, sr) => {
      sr('200 OK', [])
      return closable(
        (async function* () {
          yield enc('part one; ')
          await tick()
          sr('500 Oops', [], new Error(`${SECRET} as excInfo`))
          yield enc('never')
        })(),
        probe,
      )
    },
  },
  {
    name: 'a close() that throws after a one-chunk body',
    outcome: 'whole',
    closable: true,
    make: (probe) => (_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']])
      return closable([enc('whole body')], probe, () => {
        throw new Error(`${SECRET} in close()`)
      })
    },
  },
  {
    name: 'a close() that rejects after a streamed body',
    outcome: 'whole',
    closable: true,
    make: (probe) => (_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']])
      return closable(
        (async function* () {
          yield enc('whole ')
          await tick()
          yield enc('body')
        })(),
        probe,
        async () => {
          await tick()
          throw new Error(`${SECRET} in close()`)
        },
      )
    },
  },
  {
    name: 'an interim status (101) as the final one',
    outcome: 'carried',
    status: 101,
    make: () => (_e, sr) => {
      sr('101 Switching Protocols', [])
      return [enc('x')]
    },
  },
  {
    name: 'a status code above 599',
    outcome: 'carried',
    status: 600,
    make: () => (_e, sr) => {
      sr('600 Beyond', [])
      return [enc('x')]
    },
  },
  {
    name: 'Content-Length that is not a number',
    outcome: '500',
    codes: ['ERR_WSGI_CONTENT_LENGTH_MISMATCH'],
    make: () => (_e, sr) => {
      sr('200 OK', [['Content-Length', 'abc']])
      return [enc('abc')]
    },
  },
  {
    name: 'a one-chunk body longer than its Content-Length (a forged response after it)',
    outcome: '500',
    codes: ['ERR_WSGI_CONTENT_LENGTH_MISMATCH'],
    make: () => (_e, sr) => {
      sr('200 OK', [['Content-Length', '2']])
      return [enc('okHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged')]
    },
  },
  {
    name: 'a streamed body longer than its Content-Length (a forged response after it)',
    outcome: 'cut',
    codes: ['ERR_WSGI_CONTENT_LENGTH_MISMATCH'],
    closable: true,
    make: (probe) => (_e, sr) => {
      sr('200 OK', [['Content-Length', '2']])
      return closable(
        (async function* () {
          yield enc('o')
          await tick()
          yield enc('kHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged')
        })(),
        probe,
      )
    },
  },
  {
    name: 'a streamed body shorter than its Content-Length',
    outcome: 'cut',
    codes: ['ERR_WSGI_CONTENT_LENGTH_MISMATCH'],
    closable: true,
    make: (probe) => (_e, sr) => {
      sr('200 OK', [['Content-Length', '100']])
      return closable(
        (async function* () {
          yield enc('only ')
          await tick()
          yield enc('this')
        })(),
        probe,
      )
    },
  },
]

/** The body `/ok` answers with. */
export const OK_BODY = 'ok'

/**
 * One gateway application serving every bad app at `/bad/<index>` (the index in
 * {@link BAD_APPS}) and `200 ok` at `/ok`. `probes[i]` counts the `close()` calls of app `i`.
 *
 * @param {Probe[]} probes
 * @returns {GatewayApp}
 */
export function badAppsApp(probes) {
  const apps = BAD_APPS.map((bad, i) => {
    probes[i] ??= { closes: 0 }
    return bad.make(/** @type {Probe} */ (probes[i]))
  })
  return (environ, startResponse) => {
    const path = String(environ['PATH_INFO'] ?? '')
    const match = /^\/bad\/(\d+)$/.exec(path)
    const app = match ? apps[Number(match[1])] : undefined
    if (app !== undefined) return app(environ, startResponse)
    startResponse('200 OK', [
      ['Content-Type', 'text/plain'],
      ['Content-Length', String(OK_BODY.length)],
    ])
    return [enc(OK_BODY)]
  }
}

/**
 * The problems of one bad app's exchange, as the client saw it.
 *
 * @param {BadApp} bad
 * @param {import('./raw-http.mjs').Exchange} result
 * @returns {string[]}
 */
export function clientProblems(bad, result) {
  const problems = []
  const [first, second] = result.responses
  const leaked = (/** @type {import('./raw-http.mjs').RawResponse} */ r) => {
    const text = r.body.toString('latin1')
    return text.includes(SECRET) || text.includes('    at ') || /\w+Error\b/.test(text)
  }
  const okAfter = () => {
    // A connection the server kept must carry the next response intact (no desync).
    if (second === undefined) {
      if (!result.closed) problems.push('no answer to the request pipelined behind it')
      return
    }
    if (second.status !== 200 || second.body.toString('latin1') !== OK_BODY) {
      problems.push(`then ${second.status} ${JSON.stringify(second.body.toString('latin1'))}`)
    }
    if (result.responses.length > 2) problems.push(`${result.responses.length} responses`)
  }
  if (bad.outcome === '500') {
    if (first?.status !== 500 || !first.complete) {
      problems.push(
        `answered ${first ? `${first.status}${first.complete ? '' : ' (cut)'}` : 'nothing'}, want 500`,
      )
    } else {
      if (leaked(first))
        problems.push(`the 500 tells the client: ${first.body.toString('latin1').slice(0, 120)}`)
      okAfter()
    }
  } else if (bad.outcome === 'carried') {
    const want = bad.status ?? 0
    if (first?.status === 500 && first.complete) {
      if (leaked(first)) problems.push('the 500 tells the client about the error')
      okAfter()
    } else if (want < 200) {
      // The parser skips a 1xx as interim: nothing may follow it on the connection.
      if (first !== undefined) problems.push(`a ${first.status} response after the final ${want}`)
      if (!result.closed) problems.push(`the connection stayed open after a final ${want}`)
    } else if (first?.status !== want || !first.complete) {
      problems.push(`answered ${first ? String(first.status) : 'nothing'}, want ${want} or 500`)
    } else {
      okAfter()
    }
  } else if (bad.outcome === 'whole') {
    if (
      first?.status !== 200 ||
      !first.complete ||
      first.body.toString('latin1') !== 'whole body'
    ) {
      problems.push(
        `answered ${first ? `${first.status} ${JSON.stringify(first.body.toString('latin1'))}` : 'nothing'}, want the whole body`,
      )
    } else {
      okAfter()
    }
  } else {
    // 'cut': no whole response for the bad app, unless a bridge could still answer 500.
    if (first !== undefined && first.complete) {
      if (first.status !== 500) problems.push(`a whole ${first.status} response, want a cut`)
      else if (leaked(first)) problems.push('the 500 tells the client about the error')
      else okAfter()
    } else if (!result.closed) {
      problems.push('the connection stayed open after a cut response')
    }
    if (result.responses.some((r) => r.body.toString('latin1').includes('forged'))) {
      problems.push('a forged response reached the client')
    }
  }
  return problems
}

/**
 * Run every bad app through a server listening on `port` (serving {@link badAppsApp}) and collect
 * the problems: what the client got, `close()` counts, and the error codes in `errorLog()`.
 *
 * @param {number} port
 * @param {Probe[]} probes the probes given to {@link badAppsApp}
 * @param {{ errorLog?: () => string, afterCodes?: boolean, settle?: () => Promise<void> }} [options]
 *   `errorLog`: all that the stack logged so far (codes of '500' cases are looked up in it, and of
 *   'cut' cases too when `afterCodes`); `settle`: waits for late logging and `close()` calls
 * @returns {Promise<Map<string, string[]>>} app name -> problems (only apps with problems)
 */
export async function checkBadApps(port, probes, options = {}) {
  const {
    errorLog,
    afterCodes = false,
    settle = () => new Promise((r) => setTimeout(r, 10)),
  } = options
  /** @type {Map<string, string[]>} */
  const failures = new Map()
  for (const [i, bad] of BAD_APPS.entries()) {
    const logBefore = errorLog?.().length ?? 0
    const request =
      `GET /bad/${i} HTTP/1.1\r\nHost: localhost\r\n\r\n` +
      `GET /ok HTTP/1.1\r\nHost: localhost\r\n\r\n`
    const result = await exchange(port, request, { expected: 2, timeoutMs: 4000 })
    await settle()
    const problems = clientProblems(bad, result)
    const probe = probes[i]
    if (bad.closable === true && probe?.closes !== 1)
      problems.push(`close() ran ${probe?.closes ?? 0} times`)
    const wantCodes =
      bad.codes !== undefined && errorLog !== undefined && (bad.outcome === '500' || afterCodes)
    if (wantCodes) {
      const log = errorLog().slice(logBefore)
      if (!(bad.codes ?? []).some((code) => log.includes(code))) {
        problems.push(
          `none of ${(bad.codes ?? []).join(', ')} in the error log: ${JSON.stringify(log.slice(0, 200))}`,
        )
      }
    }
    if (problems.length > 0) failures.set(bad.name, problems)
  }
  return failures
}
