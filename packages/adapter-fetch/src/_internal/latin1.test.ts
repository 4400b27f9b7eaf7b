import { describe, expect, it } from 'vitest'

import { decodePrefix, escapeRaw, quoteLatin1, unquoteLatin1 } from './latin1.ts'

describe('quoteLatin1(s, safe)', () => {
  it.each([
    ['/a b', '/', '/a%20b'],
    ['/\xe2\x82\xac', '/', '/%E2%82%AC'],
    ['/a?b#c%', '/', '/a%3Fb%23c%25'],
    ["/a:b@c!$&'()*+,;=", "/:@!$&'()*+,;=", "/a:b@c!$&'()*+,;="],
    ['~_.-', '', '~_.-'],
  ])('quotes %j with safe %j as %j', (s, safe, quoted) => {
    expect(quoteLatin1(s, safe)).toBe(quoted)
  })

  it('throws a RangeError for a character above U+00FF', () => {
    expect(() => quoteLatin1('/€', '/')).toThrow(RangeError)
  })
})

describe('escapeRaw(s, extra)', () => {
  it('keeps escapes and printable ASCII, escapes controls, space, # and high latin-1', () => {
    expect(escapeRaw('a=%C3%A9&b=\xe9 c#d')).toBe('a=%C3%A9&b=%E9%20c%23d')
    expect(escapeRaw('/a\\b', '\\')).toBe('/a%5Cb')
  })
})

describe('unquoteLatin1(s) and decodePrefix(raw, length)', () => {
  it('decodes valid escapes to latin-1 and keeps invalid ones', () => {
    expect(unquoteLatin1('/caf%C3%A9%2F%zz%4')).toBe('/caf\xc3\xa9/%zz%4')
  })

  it('reports how much of the raw text a decoded prefix took', () => {
    expect(decodePrefix('/le%67acy/x', 7)).toEqual({ decoded: '/legacy', consumed: 9 })
  })
})
