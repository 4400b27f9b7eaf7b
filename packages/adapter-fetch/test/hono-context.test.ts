/**
 * What `toHono` reads of Hono's context only when asked (`c.executionCtx`), and `mountPrefix`
 * against the plain split it replaces.
 */
import fc from 'fast-check'
import { Hono } from 'hono'
import type { ExecutionContext } from 'hono'
import { describe, expect, it } from 'vitest'

import type { WSGIApplication } from '@wsgi/core/types'
import { unquoteLatin1 } from '@wsgi/core/util'

import { mountPrefix, toHono } from '../src/hono.ts'

const enc = new TextEncoder()

/** The reference: the prefix as `split`/`slice`/`join` finds it. */
function splitPrefix(pattern: string, rawPath: string): string {
  if (!pattern.endsWith('*')) return ''
  const depth = pattern
    .replace(/\/?\*$/, '')
    .split('/')
    .filter((segment) => segment !== '').length
  if (depth === 0) return ''
  return unquoteLatin1(
    rawPath
      .split('/')
      .slice(0, depth + 1)
      .join('/'),
  )
}

describe('mountPrefix(pattern, rawPath)', () => {
  it('agrees with a plain split of the path on generated patterns and paths', () => {
    const segment = fc.constantFrom('', 'a', 'bc', ':id', '%41', 'x.y')
    const pattern = fc
      .tuple(fc.array(segment, { maxLength: 4 }), fc.constantFrom('/*', '*', ''))
      .map(([parts, end]) => `/${parts.join('/')}${end}`)
    const path = fc.array(segment, { maxLength: 6 }).map((parts) => `/${parts.join('/')}`)
    fc.assert(
      fc.property(pattern, path, (p, raw) => {
        expect(mountPrefix(p, raw)).toBe(splitPrefix(p, raw))
        // Twice: the second answer comes from the remembered pattern.
        expect(mountPrefix(p, raw)).toBe(splitPrefix(p, raw))
      }),
      { numRuns: 1000 },
    )
  })
})

describe('toHono(app): wsgits.fetch_ctx', () => {
  const ctxApp: WSGIApplication = (environ, startResponse) => {
    const ctx = environ['wsgits.fetch_ctx'] as { tag?: string } | undefined
    startResponse('200 OK', [['Content-Type', 'text/plain']])
    return [enc.encode(ctx === undefined ? 'none' : (ctx.tag ?? 'ctx'))]
  }

  it('is the execution context Hono was given, read when the app asks', async () => {
    const app = new Hono()
    app.all('/m/*', toHono(ctxApp))
    const ctx = {
      tag: 'given',
      waitUntil: () => undefined,
      passThroughOnException: () => undefined,
    }
    const response = await app.fetch(
      new Request('http://h/m/x'),
      {},
      ctx as unknown as ExecutionContext,
    )
    expect(await response.text()).toBe('given')
  })

  it('is undefined where Hono has none, and leaves the stack trace limit as it was', async () => {
    const app = new Hono()
    app.all('/m/*', toHono(ctxApp))
    const before = Error.stackTraceLimit
    const response = await app.request('/m/x')
    expect(await response.text()).toBe('none')
    expect(Error.stackTraceLimit).toBe(before)
  })

  it('is not looked up for an app that does not ask', async () => {
    const app = new Hono()
    let reads = 0
    const ctx = {
      get waitUntil(): () => void {
        reads++
        return () => undefined
      },
      passThroughOnException: () => undefined,
    }
    app.use(async (c, next) => {
      // Count reads of c.executionCtx made after this point.
      const descriptor = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(c), 'executionCtx')
      Object.defineProperty(c, 'executionCtx', {
        get() {
          reads++
          return descriptor?.get?.call(c) as unknown
        },
      })
      await next()
    })
    app.all(
      '/m/*',
      toHono((_environ, startResponse) => {
        startResponse('204 No Content', [])
        return []
      }),
    )
    const response = await app.fetch(
      new Request('http://h/m/x'),
      {},
      ctx as unknown as ExecutionContext,
    )
    expect(response.status).toBe(204)
    expect(reads).toBe(0)
  })

  it('is an accessor shared by every environ (no closure per request)', async () => {
    const getters: unknown[] = []
    const app = new Hono()
    app.all(
      '/m/*',
      toHono((environ, startResponse) => {
        const accessor: { get?: unknown } | undefined = Object.getOwnPropertyDescriptor(
          environ,
          'wsgits.fetch_ctx',
        )
        getters.push(accessor?.get)
        startResponse('204 No Content', [])
        return []
      }),
    )
    await app.request('/m/a')
    await app.request('/m/b')
    expect(typeof getters[0]).toBe('function')
    expect(getters[0]).toBe(getters[1])
  })
})
