/**
 * What kind of application a module exports, told by shape (never `instanceof`: the framework is
 * the user's copy, not ours), so that `wsgi serve` can serve an Express, Koa, Fastify or Hono app
 * like gunicorn serves any WSGI app.
 *
 * The rules, in order (the first that matches wins; `--kind` skips them):
 *
 * | export | kind |
 * |---|---|
 * | a function with `handle`, `use`, `set` and a `settings` object (`express()`) | `express` |
 * | a function with `handle`, `use` and a `stack` array (`express.Router()`) | `express` |
 * | an object with `callback()`, a `middleware` array and a `context` (`new Koa()`) | `koa` |
 * | an object with `routing()`, `ready()` and `inject()` (`Fastify()`) | `fastify` |
 * | an object with a `fetch()` method (a Hono app, `{ fetch }` of Workers, Bun, Deno) | `fetch` |
 * | a function of one parameter, `(request) => Response` | `fetch` |
 * | a function whose first two parameters are named `req`/`request` and `res`/`response` | `node` (`express` with a third, `next`) |
 * | any other function, `(environ, startResponse)` | `gateway` |
 *
 * A function of two parameters is a gateway app or a Node listener by its parameter names alone;
 * `--kind node` or `--kind gateway` decides when the names do not.
 *
 * @module
 */

import { describe } from '../errors.ts'

/** The kinds of application `wsgi serve` can serve, as `--kind` names them. */
export const APP_KINDS = ['gateway', 'express', 'koa', 'fastify', 'fetch', 'node'] as const

/** One of {@link APP_KINDS}. */
export type AppKind = (typeof APP_KINDS)[number]

type Bag = Record<string, unknown>

function isBag(value: unknown): value is Bag {
  return (typeof value === 'object' && value !== null) || typeof value === 'function'
}

function hasMethods(value: Bag, ...names: string[]): boolean {
  return names.every((name) => typeof value[name] === 'function')
}

/** True for what `express()` returns (4 or 5), as `fromExpress` itself tells it. */
export function isExpressApp(value: unknown): boolean {
  return (
    typeof value === 'function' &&
    hasMethods(value as unknown as Bag, 'handle', 'use', 'set') &&
    typeof (value as unknown as Bag)['settings'] === 'object'
  )
}

function isExpressRouter(value: unknown): boolean {
  return (
    typeof value === 'function' &&
    hasMethods(value as unknown as Bag, 'handle', 'use') &&
    Array.isArray((value as unknown as Bag)['stack'])
  )
}

/** True for a Koa application (2 or 3): `callback()`, the `middleware` list and `context`. */
export function isKoaApp(value: unknown): boolean {
  return (
    isBag(value) &&
    hasMethods(value, 'callback') &&
    Array.isArray(value['middleware']) &&
    isBag(value['context'])
  )
}

/** True for a Fastify instance: `routing()`, `ready()` and `inject()`. */
export function isFastifyInstance(value: unknown): boolean {
  return isBag(value) && hasMethods(value, 'routing', 'ready', 'inject')
}

/** True for an object with a `fetch()` method: a Hono app, a Workers-style `{ fetch }`. */
export function isFetchObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && hasMethods(value as Bag, 'fetch')
}

/**
 * The parameter names of a function, read from its source (`Function.prototype.toString`);
 * empty when the source does not show them (a native or bound function).
 */
export function parameterNames(fn: (...args: never[]) => unknown): string[] {
  let source: string
  try {
    source = Function.prototype.toString.call(fn)
  } catch {
    return []
  }
  // `function name(a, b)`, `async (a, b) =>`, `a => …`, `method(a, b) {`: the list is the first
  // parenthesised group, or the single identifier in front of `=>`.
  const arrow = /^\s*(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(source)
  if (arrow) return [arrow[1] ?? '']
  const list = /^[^(]*\(([^)]*)\)/.exec(source)
  if (!list) return []
  return (list[1] ?? '')
    .split(',')
    .map((p) => (/^\s*(?:\.\.\.)?\s*([A-Za-z_$][\w$]*)/.exec(p)?.[1] ?? '').trim())
    .filter((p) => p !== '')
}

const REQ = /^(?:req|request|incomingMessage)$/i
const RES = /^(?:res|response|serverResponse)$/i

/**
 * The kind of `value` by the rules of this module's table, or `undefined` when it is none of
 * them (see {@link refusal} for what to tell the user).
 */
export function detectKind(value: unknown): AppKind | undefined {
  if (isExpressApp(value) || isExpressRouter(value)) return 'express'
  if (isKoaApp(value)) return 'koa'
  if (isFastifyInstance(value)) return 'fastify'
  if (isFetchObject(value)) return 'fetch'
  if (typeof value !== 'function') return undefined
  const fn = value as (...args: never[]) => unknown
  if (fn.length === 1) return 'fetch'
  const [first = '', second = '', third] = parameterNames(fn)
  if (REQ.test(first) && RES.test(second)) return third === undefined ? 'node' : 'express'
  return 'gateway'
}

/** Why `value` cannot be served, and what to export instead. One or two lines, no stack. */
export function refusal(value: unknown): string {
  const got = describe(value)
  if (typeof value === 'function' && isBag((value as unknown as Bag)['prototype'])) {
    const proto = (value as unknown as { prototype: Bag }).prototype
    if (hasMethods(proto, 'callback')) return `${got} is the Koa class: export an app, new Koa()`
    if (hasMethods(proto, 'fetch')) return `${got} is a class: export an instance (new Hono())`
  }
  if (isBag(value) && hasMethods(value, 'listen', 'listeners') && !hasMethods(value, 'fetch')) {
    return (
      `${got} is a server: wsgi serve listens itself; export its request listener, ` +
      '(req, res) => …, or the framework app'
    )
  }
  if (isBag(value) && hasMethods(value, 'routes', 'allowedMethods')) {
    return `${got} is a Koa router: export the Koa app that uses router.routes()`
  }
  return (
    `${got} is not an application. Export a gateway app (environ, startResponse), an Express ` +
    'app (@wsgi/adapter-express), a Koa app (@wsgi/adapter-koa), a Fastify instance ' +
    '(@wsgi/adapter-fastify), a Hono app or { fetch } object (@wsgi/adapter-fetch), or a Node ' +
    '(req, res) listener; for another framework wrap it with fromNodeListener of @wsgi/core/node'
  )
}
