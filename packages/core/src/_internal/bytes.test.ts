import { describe, expect, it } from 'vitest'

import { concatBytes } from './bytes.ts'

describe('concatBytes(parts)', () => {
  it('returns a single part itself, without a copy', () => {
    const only = Uint8Array.of(1, 2, 3)
    expect(concatBytes([only])).toBe(only)
  })

  it('joins several parts in order, empty ones included', () => {
    const joined = concatBytes([Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)])
    expect([...joined]).toEqual([1, 2, 3])
  })

  it('gives an empty array for no parts', () => {
    expect(concatBytes([]).length).toBe(0)
  })
})
