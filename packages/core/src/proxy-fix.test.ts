import { describe, expect, it } from 'vitest'

import { PROXY_FIX_ORIG_KEY, parseListHeader, proxyFix } from './proxy-fix.ts'
import type { ProxyFixOptions } from './proxy-fix.ts'
import { TestClient } from './testing/index.ts'
import type { WSGIApplication, WSGIEnvironment } from './types.ts'
import { requestURI, setupTestingDefaults } from './util.ts'

const KEYS = [
  'REMOTE_ADDR',
  'wsgi.url_scheme',
  'HTTP_HOST',
  'SERVER_NAME',
  'SERVER_PORT',
  'SCRIPT_NAME',
] as const

const BASE = {
  REMOTE_ADDR: '10.0.0.9',
  'wsgi.url_scheme': 'http',
  HTTP_HOST: 'internal',
  SERVER_NAME: 'internal',
  SERVER_PORT: '80',
  SCRIPT_NAME: '',
  PATH_INFO: '/',
}

/** Run proxyFix over BASE plus `headers`; return the keys it changed and the environ seen. */
function run(
  options: ProxyFixOptions,
  headers: Record<string, string>,
): { changed: Record<string, unknown>; environ: WSGIEnvironment } {
  const start: Record<string, unknown> = { ...BASE, ...headers }
  const environ = setupTestingDefaults({ ...start })
  let seen: WSGIEnvironment | undefined
  const inner: WSGIApplication = (env) => {
    seen = env
    return []
  }
  void proxyFix(inner, options)(environ, () => () => undefined)
  if (seen === undefined) throw new Error('the app was not called')
  const changed: Record<string, unknown> = {}
  for (const key of KEYS) if (seen[key] !== start[key]) changed[key] = seen[key]
  return { changed, environ: seen }
}

describe('proxyFix(app, options)', () => {
  // Each row was checked against Werkzeug 3.1.8's ProxyFix (x_for → for, x_proto → proto…).
  it.each<[string, ProxyFixOptions, Record<string, string>, Record<string, string>]>([
    ['changes nothing without headers', {}, {}, {}],
    [
      'trusts one X-Forwarded-For by default',
      {},
      { HTTP_X_FORWARDED_FOR: '1.1.1.1' },
      { REMOTE_ADDR: '1.1.1.1' },
    ],
    [
      'takes the rightmost value for one hop',
      {},
      { HTTP_X_FORWARDED_FOR: '1.1.1.1, 2.2.2.2' },
      { REMOTE_ADDR: '2.2.2.2' },
    ],
    [
      'counts hops from the right',
      { for: 2 },
      { HTTP_X_FORWARDED_FOR: '1.1.1.1, 2.2.2.2' },
      { REMOTE_ADDR: '1.1.1.1' },
    ],
    [
      'does nothing with fewer values than hops',
      { for: 3 },
      { HTTP_X_FORWARDED_FOR: '1.1.1.1, 2.2.2.2' },
      {},
    ],
    ['ignores a header trusted 0 times', { for: 0 }, { HTTP_X_FORWARDED_FOR: '1.1.1.1' }, {}],
    [
      'skips blanks and empty items',
      {},
      { HTTP_X_FORWARDED_FOR: ' 1.1.1.1 ,, 2.2.2.2 , ' },
      { REMOTE_ADDR: '2.2.2.2' },
    ],
    [
      'unquotes a quoted item',
      {},
      { HTTP_X_FORWARDED_FOR: '"[2001:db8::1]:4711"' },
      { REMOTE_ADDR: '[2001:db8::1]:4711' },
    ],
    [
      'trusts one X-Forwarded-Proto by default',
      {},
      { HTTP_X_FORWARDED_PROTO: 'https' },
      { 'wsgi.url_scheme': 'https' },
    ],
    [
      'takes the last proxy scheme',
      {},
      { HTTP_X_FORWARDED_PROTO: 'http, https' },
      { 'wsgi.url_scheme': 'https' },
    ],
    [
      'takes the scheme two hops back',
      { proto: 2 },
      { HTTP_X_FORWARDED_PROTO: 'https, http' },
      { 'wsgi.url_scheme': 'https' },
    ],
    ['ignores X-Forwarded-Host by default', {}, { HTTP_X_FORWARDED_HOST: 'example.com' }, {}],
    [
      'sets HTTP_HOST and SERVER_NAME from a host',
      { host: 1 },
      { HTTP_X_FORWARDED_HOST: 'example.com' },
      { HTTP_HOST: 'example.com', SERVER_NAME: 'example.com' },
    ],
    [
      'sets SERVER_PORT from a host with a port',
      { host: 1 },
      { HTTP_X_FORWARDED_HOST: 'example.com:8443' },
      { HTTP_HOST: 'example.com:8443', SERVER_NAME: 'example.com', SERVER_PORT: '8443' },
    ],
    [
      'keeps an IPv6 literal whole',
      { host: 1 },
      { HTTP_X_FORWARDED_HOST: '[::1]' },
      { HTTP_HOST: '[::1]', SERVER_NAME: '[::1]' },
    ],
    [
      'splits the port after an IPv6 literal',
      { host: 1 },
      { HTTP_X_FORWARDED_HOST: '[::1]:8080' },
      { HTTP_HOST: '[::1]:8080', SERVER_NAME: '[::1]', SERVER_PORT: '8080' },
    ],
    [
      'takes the last proxy host',
      { host: 1 },
      { HTTP_X_FORWARDED_HOST: 'a.test, b.test' },
      { HTTP_HOST: 'b.test', SERVER_NAME: 'b.test' },
    ],
    [
      'adds a forwarded port to HTTP_HOST',
      { port: 1 },
      { HTTP_X_FORWARDED_PORT: '8443' },
      { HTTP_HOST: 'internal:8443', SERVER_PORT: '8443' },
    ],
    [
      'replaces the port of HTTP_HOST',
      { port: 1 },
      { HTTP_X_FORWARDED_PORT: '8443', HTTP_HOST: 'internal:8000' },
      { HTTP_HOST: 'internal:8443', SERVER_PORT: '8443' },
    ],
    [
      'adds a port after an IPv6 host',
      { port: 1 },
      { HTTP_X_FORWARDED_PORT: '8443', HTTP_HOST: '[::1]' },
      { HTTP_HOST: '[::1]:8443', SERVER_PORT: '8443' },
    ],
    [
      'lets the port win over the port of the host',
      { port: 1, host: 1 },
      { HTTP_X_FORWARDED_PORT: '443', HTTP_X_FORWARDED_HOST: 'example.com:8443' },
      { HTTP_HOST: 'example.com:443', SERVER_NAME: 'example.com', SERVER_PORT: '443' },
    ],
    [
      'sets SCRIPT_NAME from a prefix',
      { prefix: 1 },
      { HTTP_X_FORWARDED_PREFIX: '/app' },
      { SCRIPT_NAME: '/app' },
    ],
    [
      'takes the last proxy prefix',
      { prefix: 1 },
      { HTTP_X_FORWARDED_PREFIX: '/outer, /inner' },
      { SCRIPT_NAME: '/inner' },
    ],
    [
      'takes the prefix two hops back',
      { prefix: 2 },
      { HTTP_X_FORWARDED_PREFIX: '/outer, /inner' },
      { SCRIPT_NAME: '/outer' },
    ],
    [
      'applies every header together',
      { for: 1, proto: 1, host: 1, port: 1, prefix: 1 },
      {
        HTTP_X_FORWARDED_FOR: '192.168.0.1',
        HTTP_X_FORWARDED_PROTO: 'https',
        HTTP_X_FORWARDED_HOST: 'example.com',
        HTTP_X_FORWARDED_PORT: '8443',
        HTTP_X_FORWARDED_PREFIX: '/prefix',
      },
      {
        REMOTE_ADDR: '192.168.0.1',
        'wsgi.url_scheme': 'https',
        HTTP_HOST: 'example.com:8443',
        SERVER_NAME: 'example.com',
        SERVER_PORT: '8443',
        SCRIPT_NAME: '/prefix',
      },
    ],
  ])('%s (as Werkzeug)', (_what, options, headers, expected) => {
    expect(run(options, headers).changed).toEqual(expected)
  })

  it.each<[string, ProxyFixOptions, Record<string, string>, Record<string, string>]>([
    [
      'lower-cases the scheme',
      {},
      { HTTP_X_FORWARDED_PROTO: 'HTTPS' },
      { 'wsgi.url_scheme': 'https' },
    ],
    ['ignores a scheme other than http/https', {}, { HTTP_X_FORWARDED_PROTO: 'gopher' }, {}],
    ['ignores a port that is not digits', { port: 1 }, { HTTP_X_FORWARDED_PORT: '80; drop' }, {}],
    ['ignores a port of more than 5 digits', { port: 1 }, { HTTP_X_FORWARDED_PORT: '123456' }, {}],
    [
      'percent-decodes a prefix to latin-1',
      { prefix: 1 },
      { HTTP_X_FORWARDED_PREFIX: '/caf%C3%A9' },
      { SCRIPT_NAME: '/caf\xc3\xa9' },
    ],
    [
      'strips the trailing / of a prefix',
      { prefix: 1 },
      { HTTP_X_FORWARDED_PREFIX: '/app/' },
      { SCRIPT_NAME: '/app' },
    ],
    [
      'takes a prefix of / as an empty SCRIPT_NAME',
      { prefix: 1 },
      { HTTP_X_FORWARDED_PREFIX: '/', SCRIPT_NAME: '/was' },
      { SCRIPT_NAME: '' },
    ],
    ['ignores a prefix without a leading /', { prefix: 1 }, { HTTP_X_FORWARDED_PREFIX: 'app' }, {}],
  ])('%s (divergence from Werkzeug)', (_what, options, headers, expected) => {
    expect(run(options, headers).changed).toEqual(expected)
  })

  it('keeps the original values in wsgits.proxy_fix.orig', () => {
    const { environ } = run(
      { for: 1, proto: 1, host: 1, port: 1, prefix: 1 },
      {
        HTTP_X_FORWARDED_FOR: '1.1.1.1',
        HTTP_X_FORWARDED_PROTO: 'https',
        HTTP_X_FORWARDED_HOST: 'example.com:8443',
        HTTP_X_FORWARDED_PREFIX: '/p',
      },
    )
    expect(environ[PROXY_FIX_ORIG_KEY]).toEqual({
      REMOTE_ADDR: '10.0.0.9',
      'wsgi.url_scheme': 'http',
      HTTP_HOST: 'internal',
      SERVER_NAME: 'internal',
      SERVER_PORT: '80',
      SCRIPT_NAME: '',
    })
  })

  it('records a key absent from the environ as undefined', () => {
    let orig: unknown
    const app = proxyFix((environ) => {
      orig = environ[PROXY_FIX_ORIG_KEY]
      return []
    })
    void app(setupTestingDefaults({}), () => () => undefined)
    expect(orig).toMatchObject({ REMOTE_ADDR: undefined, SERVER_NAME: '127.0.0.1' })
  })

  it.each([
    ['a negative count', { for: -1 }],
    ['a fraction', { proto: 1.5 }],
    ['a string', { host: '1' as unknown as number }],
  ])('rejects %s with ERR_WSGI_INVALID_ARG_TYPE', (_what, options) => {
    expect(() => proxyFix(() => [], options)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })

  it('makes requestURI() give the URL the client asked for', async () => {
    const app = proxyFix(
      (environ, startResponse) => {
        startResponse('200 OK', [['Content-Type', 'text/plain']])
        return [
          new TextEncoder().encode(`${requestURI(environ)} from ${environ.REMOTE_ADDR ?? ''}`),
        ]
      },
      { for: 1, proto: 1, host: 1, prefix: 1 },
    )
    const res = await new TestClient(app).get('/page?x=1', {
      headers: {
        'X-Forwarded-For': '203.0.113.7',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'www.example.com',
        'X-Forwarded-Prefix': '/shop',
      },
    })
    expect(res.text()).toBe('https://www.example.com/shop/page?x=1 from 203.0.113.7')
  })
})

describe('parseListHeader(value)', () => {
  it.each([
    ['a, b,c', ['a', 'b', 'c']],
    ['a, , b,', ['a', 'b']],
    ['', []],
    [' , ', []],
    ['"x,y", z', ['x,y', 'z']],
    ['"a\\"b"', ['a"b']],
    ['"unterminated, z', []],
    ['x"y", z', ['x"y"', 'z']],
    ['a\\,b', ['a\\', 'b']],
  ])('reads %j as %j', (value, items) => {
    expect(parseListHeader(value)).toEqual(items)
  })
})
