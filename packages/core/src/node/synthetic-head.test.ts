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
    })
  })

  it('drops Trailer when the server cannot send trailers', () => {
    expect(parseHead(head, false).headers.map(([name]) => name)).not.toContain('Trailer')
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
