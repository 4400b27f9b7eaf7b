import { describe, expect, it } from 'vitest'

import { decodePrefix, escapeRaw } from './latin1.ts'

describe('escapeRaw(s, extra)', () => {
  it('keeps escapes and printable ASCII, escapes controls, space, # and high latin-1', () => {
    expect(escapeRaw('a=%C3%A9&b=\xe9 c#d')).toBe('a=%C3%A9&b=%E9%20c%23d')
    expect(escapeRaw('/a\\b', '\\')).toBe('/a%5Cb')
  })

  it('fails with ERR_WSGI_NOT_LATIN1 for a character above U+00FF, as quoteLatin1 does', () => {
    expect(() => escapeRaw('q=€')).toThrow(expect.objectContaining({ code: 'ERR_WSGI_NOT_LATIN1' }))
  })
})

describe('decodePrefix(raw, length)', () => {
  it('decodes valid escapes to latin-1 and keeps invalid ones', () => {
    expect(decodePrefix('/caf%C3%A9%2F%zz%4', Infinity).decoded).toBe('/caf\xc3\xa9/%zz%4')
  })

  it('reports how much of the raw text a decoded prefix took', () => {
    expect(decodePrefix('/le%67acy/x', 7)).toEqual({ decoded: '/legacy', consumed: 9 })
  })
})
