import { Readable } from 'node:stream'

import { describe, expect, it } from 'vitest'

import { headerPairs, isResponseLike, setCookies, toBytes } from './response-shape.ts'

const headers = new Headers([['a', '1']])

describe('isResponseLike(value)', () => {
  it.each([
    ['a global Response', new Response('x')],
    ['a Response with a null body', new Response(null, { status: 204 })],
    ['a plain object with a Map as headers', { status: 200, headers: new Map(), body: null }],
    [
      'an object whose headers only have forEach',
      { status: 200, headers: { get: () => null, forEach: () => undefined } },
    ],
    [
      'an async iterable body',
      {
        status: 200,
        headers,
        body: Readable.from([]),
      },
    ],
    ['a brand of Response', { [Symbol.toStringTag]: 'Response', status: 200, headers, body: null }],
    ['a status PEP 3333 allows past 599', { status: 700, headers, body: null }],
  ])('accepts %s', (_, value) => {
    expect(isResponseLike(value)).toBe(true)
  })

  it.each([
    ['undefined', undefined],
    ['a string', 'Response'],
    ['a Request', new Request('http://x/')],
    ['a Blob', new Blob(['x'])],
    ['Response.error() (status 0)', Response.error()],
    ['a status that is no integer', { status: 200.5, headers, body: null }],
    ['a status as a string', { status: '200', headers, body: null }],
    ['headers without get()', { status: 200, headers: [['a', '1']], body: null }],
    ['headers that cannot be listed', { status: 200, headers: { get: () => null }, body: null }],
    ['a string body', { status: 200, headers, body: 'text' }],
  ])('refuses %s', (_, value) => {
    expect(isResponseLike(value)).toBe(false)
  })
})

describe('headerPairs(headers) and setCookies(headers)', () => {
  it('lists a Map-like polyfill with lower-cased names, array values apart', () => {
    const map = new Map<string, unknown>([
      ['Content-Type', 'text/plain'],
      ['Set-Cookie', ['a=1', 'b=2']],
    ])
    expect(headerPairs(map as never)).toEqual([
      ['content-type', 'text/plain'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ])
    expect(setCookies(map as never)).toBeUndefined()
  })

  it('uses forEach when the headers cannot be iterated', () => {
    const only = {
      get: () => null,
      forEach: (cb: (v: unknown, n: string) => void) => {
        cb('1', 'X-A')
      },
    }
    expect(headerPairs(only)).toEqual([['x-a', '1']])
  })

  it("keeps cookies apart with getSetCookie() or node-fetch's raw()", () => {
    const h = new Headers()
    h.append('set-cookie', 'a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT')
    h.append('set-cookie', 'b=2')
    expect(setCookies(h)).toEqual(['a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT', 'b=2'])
    const raw = {
      get: () => null,
      forEach: () => undefined,
      raw: () => ({ 'set-cookie': ['c=3'] }),
    }
    expect(setCookies(raw)).toEqual(['c=3'])
  })
})

describe('toBytes(chunk)', () => {
  it('takes views and ArrayBuffers, refuses strings', () => {
    expect(toBytes(new Uint16Array([0x4142]))).toHaveLength(2)
    expect(toBytes(new ArrayBuffer(3))).toHaveLength(3)
    expect(() => toBytes('text')).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_BODY_CHUNK' }),
    )
  })
})
