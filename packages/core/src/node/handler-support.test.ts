import { inspect } from 'node:util'

import { describe, expect, it } from 'vitest'

import { youngAfterPretenuring } from '../../../conformance/src/pretenure.ts'
import { newEnviron } from './handler-support.ts'

describe('newEnviron', () => {
  it('is a plain object: Object.prototype, no class name, the keys in order', () => {
    const env = newEnviron()
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype)
    expect(env.constructor).toBe(Object)
    expect(inspect(env).startsWith('{')).toBe(true)
    expect(Object.keys(env).slice(0, 3)).toEqual([
      'SERVER_PROTOCOL',
      'REQUEST_METHOD',
      'SCRIPT_NAME',
    ])
    expect(Object.keys(env)).toHaveLength(24)
    expect(Object.values(env).every((value) => value === undefined)).toBe(true)
    expect(JSON.stringify({ ...env, PATH_INFO: '/' })).toBe('{"PATH_INFO":"/"}')
  })

  it('is never pretenured by V8 (it holds the request; an old environ keeps it past scavenges)', () => {
    expect(youngAfterPretenuring(newEnviron)).toBe(true)
  })

  it('the check itself: V8 does pretenure an object literal', () => {
    const literal = (): object => ({ a: undefined, b: undefined })
    expect(youngAfterPretenuring(literal)).toBe(false)
  })
})
