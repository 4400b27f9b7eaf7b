import { describe, expect, it } from 'vitest'

import { Headers as WSGIHeaders } from '@wsgi/core/headers'
import type { HeaderList } from '@wsgi/core/types'

import { responseHeaderInit, responseHeaders } from './response-headers.ts'

/** The fields a `Response` made with `init` carries, as sorted pairs. */
function fields(init: ConstructorParameters<typeof globalThis.Headers>[0]): string[][] {
  return [...new globalThis.Headers(init)]
}

describe('responseHeaderInit(headers)', () => {
  it.each<[string, HeaderList, 'record' | 'Headers']>([
    [
      'a typed response',
      [
        ['Content-Type', 'text/plain'],
        ['X-A', '1'],
      ],
      'record',
    ],
    [
      'a repeated name',
      [
        ['Content-Type', 'a'],
        ['Cache-Control', 'x'],
        ['cache-control', 'y'],
      ],
      'record',
    ],
    ['spaces around a value', [['Content-Type', ' text/plain\t']], 'record'],
    ['no Content-Type', [['X-A', '1']], 'Headers'],
    [
      'two Set-Cookie',
      [
        ['Content-Type', 'a'],
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
      ],
      'Headers',
    ],
    [
      'a Connection header',
      [
        ['Content-Type', 'a'],
        ['Connection', 'x-a'],
        ['X-A', '1'],
      ],
      'Headers',
    ],
    [
      'a hop-by-hop header',
      [
        ['Content-Type', 'a'],
        ['Trailer', 'x'],
        ['Proxy-A', 'y'],
      ],
      'record',
    ],
    [
      'a value above latin-1',
      [
        ['Content-Type', 'a'],
        ['X-A', 'π'],
      ],
      'Headers',
    ],
    [
      '__proto__',
      [
        ['Content-Type', 'a'],
        ['__proto__', 'x'],
      ],
      'Headers',
    ],
  ])('says the same as a Headers for %s (as a %s)', (_, list, kind) => {
    const headers = new WSGIHeaders(list)
    let expected: unknown
    try {
      expected = fields(responseHeaders(headers))
    } catch (error) {
      expected = (error as { code?: unknown }).code
    }
    let init: ReturnType<typeof responseHeaderInit> | undefined
    let got: unknown
    try {
      init = responseHeaderInit(headers)
      got = fields(init)
    } catch (error) {
      got = (error as { code?: unknown }).code
    }
    expect(got).toEqual(expected)
    if (init !== undefined) {
      expect(init instanceof globalThis.Headers ? 'Headers' : 'record').toBe(kind)
    }
  })

  it('throws ERR_WSGI_INVALID_HEADER for a name fetch refuses', () => {
    const headers = new WSGIHeaders([
      ['Content-Type', 'a'],
      ['Bad Name', 'x'],
    ])
    expect(() => responseHeaderInit(headers)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_HEADER' }),
    )
  })
})
