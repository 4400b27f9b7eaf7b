import { describe, expect, it } from 'vitest'

import { escapeRaw } from './latin1.ts'

describe('escapeRaw(s, extra)', () => {
  it('keeps escapes and printable ASCII, escapes controls, space, # and high latin-1', () => {
    expect(escapeRaw('a=%C3%A9&b=\xe9 c#d')).toBe('a=%C3%A9&b=%E9%20c%23d')
    expect(escapeRaw('/a\\b', '\\')).toBe('/a%5Cb')
  })

  it('gives back a part that needs no escape as it is, and escapes after a clean start', () => {
    const clean = '/a/b%2Fc?x=1&y=%20'
    expect(escapeRaw(clean)).toBe(clean)
    expect(escapeRaw('')).toBe('')
    expect(escapeRaw('/clean/then space')).toBe('/clean/then%20space')
    expect(escapeRaw('/a/b\\', '\\')).toBe('/a/b%5C')
    expect(escapeRaw('#')).toBe('%23')
  })

  it('fails with ERR_WSGI_NOT_LATIN1 for a character above U+00FF, as quoteLatin1 does', () => {
    expect(() => escapeRaw('q=€')).toThrow(expect.objectContaining({ code: 'ERR_WSGI_NOT_LATIN1' }))
    expect(() => escapeRaw('/clean/€')).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_NOT_LATIN1' }),
    )
  })
})
