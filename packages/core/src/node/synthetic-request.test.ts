import { describe, expect, it } from 'vitest'

import { requestURI } from '../util.ts'
import type { WSGIEnvironment } from '../types.ts'
import { bodyLengthOf, createRequest, rawHeadersOf, requestTarget } from './synthetic-request.ts'
import { SyntheticSocket } from './synthetic-socket.ts'

function environ(overrides: Record<string, unknown> = {}): WSGIEnvironment {
  return {
    REQUEST_METHOD: 'GET',
    SERVER_NAME: 'example.test',
    SERVER_PORT: '80',
    'wsgi.url_scheme': 'http',
    ...overrides,
  } as WSGIEnvironment
}

describe('requestTarget(environ, fullPath)', () => {
  it.each([
    // SCRIPT_NAME, PATH_INFO, QUERY_STRING, url, originalUrl
    ['', '', '', '/', '/'],
    ['', '/', '', '/', '/'],
    ['', '/x/y', 'a=1', '/x/y?a=1', '/x/y?a=1'],
    ['/app', '', '', '/', '/app'],
    ['/app', '/', '', '/', '/app/'],
    ['/app', '/users/7', 'q=a b', '/users/7?q=a b', '/app/users/7?q=a b'],
    [
      '/s',
      "/a b?c#d%e;f=g,h~i@:!$&'()*+",
      '',
      '/a%20b%3Fc%23d%25e;f=g,h~i%40%3A%21%24%26%27%28%29%2A%2B',
      '/s/a%20b%3Fc%23d%25e;f=g,h~i%40%3A%21%24%26%27%28%29%2A%2B',
    ],
    [
      '/sp\xe4m',
      '/\xe2\x82\xac',
      'a b=%zz&c',
      '/%E2%82%AC?a b=%zz&c',
      '/sp%E4m/%E2%82%AC?a b=%zz&c',
    ],
    ['/a;b', '/x;y', '', '/x;y', '/a%3Bb/x;y'],
  ])('maps SCRIPT_NAME %j + PATH_INFO %j + QUERY_STRING %j', (sn, pi, qs, url, originalUrl) => {
    const env = environ({ SCRIPT_NAME: sn, PATH_INFO: pi, QUERY_STRING: qs })
    expect(requestTarget(env, false)).toEqual({ url, originalUrl })
    expect(requestTarget(env, true)).toEqual({ url: originalUrl, originalUrl })
    // originalUrl is exactly the path and query of requestURI().
    expect('http://example.test' + originalUrl).toBe(requestURI(env))
  })

  it('keeps the asterisk-form target of OPTIONS *', () => {
    expect(requestTarget(environ({ PATH_INFO: '*' }), false)).toEqual({
      url: '*',
      originalUrl: '*',
    })
  })

  it('roots a PATH_INFO that lacks its leading slash', () => {
    expect(requestTarget(environ({ PATH_INFO: 'x' }), false).url).toBe('/x')
  })

  it('throws ERR_WSGI_NOT_LATIN1 for a path that is not latin-1', () => {
    expect(() => requestTarget(environ({ PATH_INFO: '/\u20ac' }), false)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_NOT_LATIN1' }),
    )
  })
})

describe('rawHeadersOf(environ, hasLength)', () => {
  it('maps HTTP_* keys, CONTENT_TYPE and CONTENT_LENGTH', () => {
    const env = environ({
      HTTP_HOST: 'h.test',
      HTTP_X_FORWARDED_FOR: '1.2.3.4',
      HTTP_ACCEPT: 'text/html',
      HTTP_CONTENT_TYPE: 'ignored/stray',
      CONTENT_TYPE: 'application/json',
      CONTENT_LENGTH: '12',
      HTTP_TRANSFER_ENCODING: 'chunked',
      'wsgi.something': 'x',
      HTTP_NOT_A_STRING: 42,
    })
    expect(rawHeadersOf(env, true)).toEqual([
      'host',
      'h.test',
      'x-forwarded-for',
      '1.2.3.4',
      'accept',
      'text/html',
      'content-type',
      'application/json',
      'content-length',
      '12',
    ])
  })

  it('says transfer-encoding: chunked when there is no CONTENT_LENGTH', () => {
    const env = environ({ HTTP_HOST: 'h', HTTP_TRANSFER_ENCODING: 'gzip, chunked' })
    expect(rawHeadersOf(env, false)).toEqual(['host', 'h', 'transfer-encoding', 'chunked'])
  })

  it.each([
    [{ SERVER_NAME: 'srv', SERVER_PORT: '80' }, 'srv'],
    [{ SERVER_NAME: 'srv', SERVER_PORT: '8080' }, 'srv:8080'],
    [{ SERVER_NAME: 'srv', SERVER_PORT: '443', 'wsgi.url_scheme': 'https' }, 'srv'],
    [{ SERVER_NAME: '::1', SERVER_PORT: '8000' }, '[::1]:8000'],
  ])('rebuilds host from %j when HTTP_HOST is missing', (overrides, host) => {
    expect(rawHeadersOf(environ(overrides), false)).toEqual(['host', host])
  })
})

describe('bodyLengthOf(environ, httpMajor)', () => {
  it.each([
    [{ CONTENT_LENGTH: '10' }, 1, 10],
    [{ CONTENT_LENGTH: '0', 'wsgi.input_terminated': true }, 1, 0],
    [{ CONTENT_LENGTH: '' }, 1, 0],
    [{ CONTENT_LENGTH: ' 5' }, 1, 0],
    [{ CONTENT_LENGTH: '1e3' }, 1, 0],
    [{ 'wsgi.input_terminated': true }, 1, 0],
    [{ 'wsgi.input_terminated': true }, 2, Infinity],
    [{}, 2, 0],
    [{ HTTP_TRANSFER_ENCODING: 'chunked' }, 1, Infinity],
    [{}, 1, 0],
  ])('reads %j over HTTP/%i as %d', (overrides, major, length) => {
    expect(bodyLengthOf(environ(overrides), major)).toBe(length)
  })
})

describe('createRequest(environ, socket, config)', () => {
  const config = { fullPath: false, readSize: 65536 }

  it('fills method, url, httpVersion, rawHeaders, headers and complete', () => {
    const env = environ({
      REQUEST_METHOD: 'DELETE',
      SCRIPT_NAME: '/api',
      PATH_INFO: '/items/1',
      QUERY_STRING: 'force=1',
      SERVER_PROTOCOL: 'HTTP/1.0',
      HTTP_COOKIE: 'a=1; b=2',
      HTTP_X_DUP: 'one,two',
    })
    const req = createRequest(env, new SyntheticSocket(env, 16384, 16384), config)
    expect(req.method).toBe('DELETE')
    expect(req.url).toBe('/items/1?force=1')
    expect((req as typeof req & { originalUrl: string }).originalUrl).toBe('/api/items/1?force=1')
    expect([req.httpVersion, req.httpVersionMajor, req.httpVersionMinor]).toEqual(['1.0', 1, 0])
    expect(req.rawHeaders).toEqual([
      'host',
      'example.test',
      'cookie',
      'a=1; b=2',
      'x-dup',
      'one,two',
    ])
    expect(req.headers).toEqual({ host: 'example.test', cookie: 'a=1; b=2', 'x-dup': 'one,two' })
    expect(req.complete).toBe(true)
    expect(req.socket).toBeInstanceOf(SyntheticSocket)
  })

  it.each([
    ['HTTP/1.1', '1.1'],
    ['HTTP/2', '2.0'],
    ['HTTP/2.0', '2.0'],
    ['HTTP/0.9', '0.9'],
    ['garbage', '1.1'],
    [undefined, '1.1'],
  ])('reads SERVER_PROTOCOL %j as httpVersion %j', (protocol, version) => {
    const env = environ({ SERVER_PROTOCOL: protocol })
    expect(createRequest(env, new SyntheticSocket(env, 16384, 16384), config).httpVersion).toBe(
      version,
    )
  })

  it('requires a readable wsgi.input when there is a body', () => {
    const env = environ({ REQUEST_METHOD: 'POST', CONTENT_LENGTH: '3', 'wsgi.input': null })
    expect(() => createRequest(env, new SyntheticSocket(env, 16384, 16384), config)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })
})
