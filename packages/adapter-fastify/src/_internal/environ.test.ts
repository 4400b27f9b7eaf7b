import { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'

import { youngAfterPretenuring } from '@wsgi/conformance'
import type { WSGIEnvironment } from '@wsgi/core/types'
import { describe, expect, it } from 'vitest'

import {
  ParentEnviron,
  compileMount,
  parentEnvironOf,
  setParentEnviron,
  splitMount,
} from './environ.ts'

describe('compileMount(prefix)', () => {
  it.each([
    ['', '', 0],
    ['/legacy', '/legacy', 1],
    ['/legacy/', '/legacy', 1],
    ['/tenants/:id', '/tenants/:id', 2],
    ['/café', '/caf\xc3\xa9', 1],
  ])('compiles %j to %j spanning %i segments', (prefix, literal, segments) => {
    expect(compileMount(prefix)).toEqual({ literal, segments })
  })

  it('compiles a prefix once and hands the same mount back', () => {
    expect(compileMount('/once')).toBe(compileMount('/once'))
  })
})

describe('splitMount(mount, path)', () => {
  it.each([
    ['/legacy', '/legacy/a/b', ['/legacy', '/a/b']],
    ['/legacy', '/legacy', ['/legacy', '']],
    ['/tenants/:id', '/tenants/acme/x', ['/tenants/acme', '/x']],
    ['', '/x', ['', '/x']],
  ])('splits %j at %j', (prefix, path, expected) => {
    expect(splitMount(compileMount(prefix), path)).toEqual(expected)
  })
})

describe('ParentEnviron', () => {
  it('rides on the request for a gateway app further in', () => {
    const req = new IncomingMessage(new Socket())
    const environ = { SCRIPT_NAME: '/api' } as unknown as WSGIEnvironment
    setParentEnviron(req, new ParentEnviron(environ, '/api'))
    expect(parentEnvironOf(req)).toEqual({ environ, base: '/api', input: undefined })
  })

  // One is made per request and points at its environ: were V8 to pretenure it as it may an
  // object literal, every dead link would keep its request's young objects through scavenges.
  it('is never pretenured by V8', () => {
    const environ = {} as WSGIEnvironment
    expect(youngAfterPretenuring(() => new ParentEnviron(environ, ''))).toBe(true)
  })
})
