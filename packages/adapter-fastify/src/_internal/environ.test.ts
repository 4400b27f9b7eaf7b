import { describe, expect, it } from 'vitest'

import { compileMount, splitMount } from './environ.ts'

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
