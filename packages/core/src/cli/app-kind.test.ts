import { describe, expect, it } from 'vitest'

import { detectKind, parameterNames, refusal } from './app-kind.ts'

function noop(): void {
  // A method of a shape; never called.
}

// Shapes only: the frameworks themselves are served end to end in each adapter's serve.e2e test.
const expressLike = Object.assign(() => undefined, {
  handle: noop,
  use: noop,
  set: noop,
  settings: {},
})
const routerLike = Object.assign((_req: unknown, _res: unknown, _next: unknown) => undefined, {
  handle: noop,
  use: noop,
  stack: [],
})
const koaLike = { callback: noop, middleware: [], context: {}, use: noop }
const fastifyLike = { routing: noop, ready: noop, inject: noop, server: {} }
const fetchObject = { fetch: (request: unknown) => request }

describe('detectKind(value)', () => {
  it.each([
    ['an Express app', expressLike, 'express'],
    ['an Express router', routerLike, 'express'],
    ['a Koa app', koaLike, 'koa'],
    ['a Fastify instance', fastifyLike, 'fastify'],
    ['a { fetch } object', fetchObject, 'fetch'],
    ['a (request) => Response function', (request: Request) => new Response(request.url), 'fetch'],
    [
      'a gateway app',
      (environ: unknown, startResponse: unknown) => [environ, startResponse],
      'gateway',
    ],
    ['a gateway app of rest parameters', (...args: unknown[]) => args, 'gateway'],
    ['a (req, res) listener', (req: unknown, res: unknown) => [req, res], 'node'],
    [
      'an async function (request, response) listener',
      async function listener(request: unknown, response: unknown) {
        await Promise.resolve([request, response])
      },
      'node',
    ],
    [
      'Connect middleware (req, res, next)',
      (req: unknown, res: unknown, next: unknown) => [req, res, next],
      'express',
    ],
  ])('tells %s', (_name, value, kind) => {
    expect(detectKind(value)).toBe(kind)
  })

  it.each([
    ['a number', 42],
    ['null', null],
    ['a plain object', { app: 1 }],
    ['a string', 'app'],
  ])('finds no kind for %s', (_name, value) => {
    expect(detectKind(value)).toBeUndefined()
  })
})

describe('parameterNames(fn)', () => {
  it.each([
    [
      function named(a: unknown, b: unknown) {
        return [a, b]
      },
      ['a', 'b'],
    ],
    [(x: unknown) => x, ['x']],
    [async (req: unknown, res: unknown) => Promise.resolve([req, res]), ['req', 'res']],
    [(first = 1, ...rest: unknown[]) => [first, rest], ['first', 'rest']],
    // A bound function shows no source ('function () { [native code] }').
    [((req: unknown, res: unknown) => [req, res]).bind(null), []],
  ])('reads %s', (fn, names) => {
    expect(parameterNames(fn as (...args: never[]) => unknown)).toEqual(names)
  })
})

describe('refusal(value)', () => {
  it('names the Koa class mistake', () => {
    class Koa {
      callback(): () => void {
        return noop
      }
    }
    expect(refusal(Koa)).toBe('<function Koa> is the Koa class: export an app, new Koa()')
  })

  it('names a server that was exported instead of its app', () => {
    const server = { listen: noop, listeners: noop }
    expect(refusal(server)).toMatch(/is a server: wsgi serve listens itself/)
  })

  it('lists every kind and its adapter for anything else', () => {
    const text = refusal(42)
    for (const pkg of ['adapter-express', 'adapter-koa', 'adapter-fastify', 'adapter-fetch']) {
      expect(text).toContain(`@wsgi/${pkg}`)
    }
    expect(text).toMatch(/^42 is not an application/)
  })
})
