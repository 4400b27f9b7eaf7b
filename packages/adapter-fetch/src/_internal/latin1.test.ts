import { describe, expect, it } from 'vitest'

import { escapeRaw } from './latin1.ts'

describe('escapeRaw(s, extra)', () => {
  it('keeps escapes and printable ASCII, escapes controls, space, # and high latin-1', () => {
    expect(escapeRaw('a=%C3%A9&b=\xe9 c#d')).toBe('a=%C3%A9&b=%E9%20c%23d')
    expect(escapeRaw('/a\\b', '\\')).toBe('/a%5Cb')
  })

  it('fails with ERR_WSGI_NOT_LATIN1 for a character above U+00FF, as quoteLatin1 does', () => {
    expect(() => escapeRaw('q=€')).toThrow(expect.objectContaining({ code: 'ERR_WSGI_NOT_LATIN1' }))
  })
})
