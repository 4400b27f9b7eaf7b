import { describe, expect, it } from 'vitest'

import { parseHead, parseTrailers } from './synthetic-head.ts'

describe('parseHead(header, keepTrailer)', () => {
  const head =
    'HTTP/1.1 404 Not Found\r\n' +
    'Content-Type: text/plain\r\n' +
    'Set-Cookie: a=1\r\n' +
    'Set-Cookie: b=2\r\n' +
    'X-Colon: a: b\r\n' +
    'X-Empty: \r\n' +
    'Trailer: X-Sum\r\n' +
    'Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n' +
    'Connection: keep-alive, X-Hop\r\n' +
    'X-Hop: 1\r\n' +
    'Keep-Alive: timeout=5\r\n' +
    'Transfer-Encoding: chunked\r\n' +
    'TE: trailers\r\n' +
    'Upgrade: h2c\r\n' +
    'Proxy-Connection: close\r\n' +
    '\r\n'

  it('gives the status and the end-to-end headers in order', () => {
    expect(parseHead(head, true)).toEqual({
      status: '404 Not Found',
      headers: [
        ['Content-Type', 'text/plain'],
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
        ['X-Colon', 'a: b'],
        ['X-Empty', ''],
        ['Trailer', 'X-Sum'],
        ['Date', 'Thu, 01 Jan 1970 00:00:00 GMT'],
      ],
      contentLength: -1,
    })
  })

  it('reads the Content-Length as a number, in any case; -1 without one or for a bad value', () => {
    expect(parseHead('HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n', false)).toEqual({
      status: '200 OK',
      headers: [['Content-Length', '12']],
      contentLength: 12,
    })
    expect(parseHead('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n', false).contentLength).toBe(0)
    expect(parseHead('HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n', false).contentLength).toBe(
      -1,
    )
    expect(parseHead('HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n', false).contentLength).toBe(-1)
    expect(
      parseHead('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close, X-A\r\n\r\n', false),
    ).toEqual({ status: '200 OK', headers: [['Content-Length', '5']], contentLength: 5 })
  })

  it('drops Trailer when the server cannot send trailers', () => {
    expect(parseHead(head, false).headers.map(([name]) => name)).not.toContain('Trailer')
  })

  it('drops a header the Connection header names even when it comes first', () => {
    const parsed = parseHead(
      'HTTP/1.1 200 OK\r\nX-Early: 1\r\nX-Keep: 2\r\nConnection: close, x-early\r\n\r\n',
      false,
    )
    expect(parsed.headers).toEqual([['X-Keep', '2']])
  })

  it('reads a value without the space after the colon, and an empty one', () => {
    expect(parseHead('HTTP/1.1 200 OK\r\nA:1\r\nB:\r\nC: \r\n\r\n', false).headers).toEqual([
      ['A', '1'],
      ['B', ''],
      ['C', ''],
    ])
  })

  it('keeps an empty or custom reason phrase', () => {
    expect(parseHead('HTTP/1.1 299 \r\n\r\n', false).status).toBe('299 ')
    expect(parseHead('HTTP/1.1 200 Très bien\r\n\r\n', false).status).toBe('200 Très bien')
  })
})

describe('parseTrailers(section)', () => {
  it('splits a trailer section into a header list', () => {
    expect(parseTrailers('X-A: 1\r\nX-B: two words\r\n')).toEqual([
      ['X-A', '1'],
      ['X-B', 'two words'],
    ])
    expect(parseTrailers('')).toEqual([])
  })
})
