import { describe, expect, it } from 'vitest'

import { encodeMultipart, encodeBody, encodeForm } from './body.ts'
import {
  cgiVariables,
  encodeURLText,
  prepareRequest,
  redirectRequest,
  requestURL,
} from './request.ts'
import type { PreparedRequest, RequestDefaults } from './request.ts'

const DEFAULTS: RequestDefaults = { scheme: 'http', host: '127.0.0.1', scriptName: '' }
const MOUNTED: RequestDefaults = { ...DEFAULTS, scriptName: '/app' }

describe('encodeURLText(text)', () => {
  it.each([
    ['/plain', '/plain'],
    ['/a b', '/a%20b'],
    ['/café', '/caf%C3%A9'],
    ['/%E2%82%AC', '/%E2%82%AC'],
    ['/€?q=€', '/%E2%82%AC?q=%E2%82%AC'],
    ['/tab\there', '/tab%09here'],
  ])('turns %j into %j', (input, output) => {
    expect(encodeURLText(input)).toBe(output)
  })
})

describe('prepareRequest(method, path, options, defaults)', () => {
  it.each([
    ['/', '', '/', ''],
    ['/a/b?x=1&y=2', '', '/a/b', 'x=1&y=2'],
    ['/caf%C3%A9', '', '/caf\xc3\xa9', ''],
    ['/café', '', '/caf\xc3\xa9', ''],
    ['/a%2Fb', '', '/a/b', ''],
    ['/%2e%2e/etc', '', '/../etc', ''],
    ['/x#fragment', '', '/x', ''],
    ['/x?q=1#fragment', '', '/x', 'q=1'],
    ['?only=query', '', '', 'only=query'],
    ['', '', '', ''],
  ])('maps %j to SCRIPT_NAME %j, PATH_INFO %j, QUERY_STRING %j', (path, script, info, query) => {
    const r = prepareRequest('GET', path, {}, DEFAULTS)
    expect([r.scriptName, r.pathInfo, r.query]).toEqual([script, info, query])
  })

  it.each([
    ['http://example.com:8080/app/x?q=1', 'http', 'example.com:8080', '/app', '/x', 'q=1'],
    ['https://example.com/app', 'https', 'example.com', '/app', '', ''],
    ['https://example.com/other/x', 'https', 'example.com', '', '/other/x', ''],
    ['HTTP://Example.COM/apple', 'http', 'example.com', '', '/apple', ''],
  ])('reads the full URL %s against the mount /app', (path, scheme, host, script, info, query) => {
    const r = prepareRequest('GET', path, {}, MOUNTED)
    expect([r.scheme, r.host, r.scriptName, r.pathInfo, r.query]).toEqual([
      scheme,
      host,
      script,
      info,
      query,
    ])
  })

  it.each([
    [{ x: '1', y: ['a', 'b'], z: undefined }, '/p', 'x=1&y=a&y=b'],
    [new URLSearchParams({ s: 'a b' }), '/p?k=v', 'k=v&s=a+b'],
    ['a=1&b=%20', '/p', 'a=1&b=%20'],
    ['?raw=é', '/p', 'raw=%C3%A9'],
    [[['k', 'v']] as [string, string][], '/p', 'k=v'],
    ['', '/p?k=v', 'k=v'],
  ])('adds the query %j to %s', (query, path, expected) => {
    expect(prepareRequest('GET', path, { query }, DEFAULTS).query).toBe(expected)
  })

  it.each([
    ['a method that is not a token', 'BAD METHOD', '/'],
    ['an empty method', '', '/'],
    ['a relative path', 'GET', 'relative'],
    ['a path that is not a string', 'GET', 42 as unknown as string],
  ])('rejects %s with ERR_WSGI_INVALID_ARG_TYPE', (_what, method, path) => {
    expect(() => prepareRequest(method, path, {}, DEFAULTS)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })

  it('rejects a scriptName that does not start with /, and strips a trailing /', () => {
    expect(() => prepareRequest('GET', '/', { scriptName: 'app' }, DEFAULTS)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
    expect(prepareRequest('GET', '/', { scriptName: '/app/' }, DEFAULTS).scriptName).toBe('/app')
  })

  it.each([
    ['a CR in a value', { 'X-A': 'a\r\nInjected: 1' }, 'ERR_WSGI_INVALID_HEADER'],
    ['a control character in a name', { 'X\x01A': 'v' }, 'ERR_WSGI_INVALID_HEADER'],
    ['a character above U+00FF', { 'X-A': 'snow ☃' }, 'ERR_WSGI_NOT_LATIN1'],
  ])('rejects headers with %s', (_what, headers, code) => {
    expect(() => prepareRequest('GET', '/', { headers }, DEFAULTS)).toThrow(
      expect.objectContaining({ code }),
    )
  })
})

describe('cgiVariables(request, cookie)', () => {
  it('fills the CGI variables as setupTestingDefaults and a server would', () => {
    const r = prepareRequest('GET', '/x', {}, DEFAULTS)
    expect(cgiVariables(r, undefined)).toEqual({
      REQUEST_METHOD: 'GET',
      SCRIPT_NAME: '',
      PATH_INFO: '/x',
      QUERY_STRING: '',
      SERVER_NAME: '127.0.0.1',
      SERVER_PORT: '80',
      SERVER_PROTOCOL: 'HTTP/1.0',
      HTTP_HOST: '127.0.0.1',
      REMOTE_ADDR: '127.0.0.1',
    })
  })

  it.each([
    ['http://h.test:8080/', 'h.test', '8080', undefined],
    ['https://h.test/', 'h.test', '443', 'on'],
    ['https://[::1]:8443/', '[::1]', '8443', 'on'],
    ['http://[::1]/', '[::1]', '80', undefined],
  ])('takes SERVER_NAME and SERVER_PORT from %s', (href, name, port, https) => {
    const vars = cgiVariables(prepareRequest('GET', href, {}, DEFAULTS), undefined)
    expect([vars['SERVER_NAME'], vars['SERVER_PORT'], vars['HTTPS']]).toEqual([name, port, https])
  })

  it('maps headers to HTTP_* keys, Content-Type and Content-Length without the prefix', () => {
    const r = prepareRequest(
      'POST',
      '/',
      {
        headers: [
          ['X-Forwarded-For', '1.1.1.1'],
          ['x-forwarded-for', '2.2.2.2'],
          ['Accept', 'text/html'],
          ['Content-Type', 'text/csv'],
          ['Host', 'other.test'],
          ['Cookie', 'mine=1'],
        ],
        body: 'a,b',
      },
      DEFAULTS,
    )
    const vars = cgiVariables(r, 'jar=2')
    expect(vars).toMatchObject({
      HTTP_X_FORWARDED_FOR: '1.1.1.1, 2.2.2.2',
      HTTP_ACCEPT: 'text/html',
      CONTENT_TYPE: 'text/csv',
      CONTENT_LENGTH: '3',
      HTTP_HOST: 'other.test',
      HTTP_COOKIE: 'mine=1; jar=2',
    })
    expect(vars).not.toHaveProperty('HTTP_CONTENT_TYPE')
  })

  it('gives a streamed body no CONTENT_LENGTH', () => {
    const r = prepareRequest('POST', '/', { body: [new Uint8Array([1])] }, DEFAULTS)
    expect(cgiVariables(r, undefined)).not.toHaveProperty('CONTENT_LENGTH')
  })
})

describe('encodeBody(options) and its encoders', () => {
  it('encodes json, form and text bodies with their content types', () => {
    const dec = new TextDecoder()
    const json = encodeBody({ json: { a: [1, null] } })
    expect(dec.decode(json?.source as Uint8Array)).toBe('{"a":[1,null]}')
    expect(json?.contentType).toBe('application/json')
    expect(encodeBody({ json: null })?.contentType).toBe('application/json')
    const form = encodeBody({ form: { q: 'a b&c', n: 1, t: true } })
    expect(dec.decode(form?.source as Uint8Array)).toBe('q=a+b%26c&n=1&t=true')
    expect(form?.contentType).toBe('application/x-www-form-urlencoded')
    expect(encodeBody({ body: 'é' })?.source).toEqual(new Uint8Array([0xc3, 0xa9]))
    expect(encodeBody({})).toBeUndefined()
  })

  it('rejects two bodies at once, and a body of the wrong type', () => {
    expect(() => encodeBody({ body: 'x', json: {} })).toThrow(/at most one of body, json/)
    expect(() => encodeBody({ body: 42 as unknown as string })).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })

  it('writes multipart/form-data byte for byte', () => {
    const bytes = encodeMultipart(
      {
        title: 'Hi "there"',
        tags: ['a', 'b'],
        file: { filename: 'n.txt', content: 'hello', contentType: 'text/plain' },
      },
      'XyZ',
    )
    expect(new TextDecoder().decode(bytes)).toBe(
      '--XyZ\r\nContent-Disposition: form-data; name="title"\r\n\r\nHi "there"\r\n' +
        '--XyZ\r\nContent-Disposition: form-data; name="tags"\r\n\r\na\r\n' +
        '--XyZ\r\nContent-Disposition: form-data; name="tags"\r\n\r\nb\r\n' +
        '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="n.txt"\r\n' +
        'Content-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n',
    )
  })

  it('writes multipart that a standard parser reads back (fetch Response#formData)', async () => {
    const binary = new Uint8Array([0, 255, 13, 10, 45, 45])
    const body = encodeBody({
      multipart: { 'na"me': 'ünï', f: { filename: 'b.bin', content: binary } },
      boundary: 'b0undary',
    })
    const response = new Response(body?.source as Uint8Array, {
      headers: { 'Content-Type': body?.contentType ?? '' },
    })
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- an independent parser is the point here
    const form = await response.formData()
    expect(form.get('na"me')).toBe('ünï')
    const file = form.get('f')
    if (file === null || typeof file === 'string') throw new Error('no file part')
    expect(file.name).toBe('b.bin')
    expect(file.type).toBe('application/octet-stream')
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(binary)
  })

  it('rejects a multipart boundary that is empty, too long or holds CR/LF', () => {
    for (const boundary of ['', 'x'.repeat(71), 'a\r\nb']) {
      expect(() => encodeMultipart({}, boundary)).toThrow(
        expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
      )
    }
  })

  it('serialises form pairs and URLSearchParams as they are', () => {
    expect(
      encodeForm([
        ['a', '1'],
        ['a', '2'],
      ]),
    ).toBe('a=1&a=2')
    expect(encodeForm(new URLSearchParams('x=%20'))).toBe('x=+')
  })
})

describe('redirectRequest(request, statusCode, location)', () => {
  const post = (defaults: RequestDefaults = MOUNTED, path = '/form'): PreparedRequest =>
    prepareRequest(
      'POST',
      path,
      { body: 'data', headers: { 'Content-Type': 'text/plain', 'X-Keep': '1' } },
      defaults,
    )

  it.each([
    [301, 'GET', false],
    [302, 'GET', false],
    [303, 'GET', false],
    [307, 'POST', true],
    [308, 'POST', true],
  ])('turns a POST redirected with %i into a %s (body kept: %s)', (code, method, kept) => {
    const next = redirectRequest(post(), code, '/app/done')
    expect(next?.method).toBe(method)
    expect(next?.body !== undefined).toBe(kept)
    expect(next?.headers.some(([n]) => n === 'Content-Type')).toBe(kept)
    expect(next?.headers).toContainEqual(['X-Keep', '1'])
  })

  it('keeps a HEAD a HEAD on 302', () => {
    expect(redirectRequest(prepareRequest('HEAD', '/', {}, DEFAULTS), 302, '/x')?.method).toBe(
      'HEAD',
    )
  })

  it.each([
    ['/app/next?x=1', '/app', '/next', 'x=1'],
    ['/app', '/app', '', ''],
    ['next', '/app', '/next', ''],
    ['../other', '', '/other', ''],
    ['/elsewhere', '', '/elsewhere', ''],
    ['/apple', '', '/apple', ''],
    ['http://127.0.0.1/app/abs', '/app', '/abs', ''],
    ['//127.0.0.1/app/net', '/app', '/net', ''],
    ['/app/caf%C3%A9', '/app', '/caf\xc3\xa9', ''],
    ['/app/caf\xe9', '/app', '/caf\xe9', ''],
  ])('maps Location %j from /app/form to SCRIPT_NAME %j, PATH_INFO %j', (loc, script, info, q) => {
    const next = redirectRequest(post(), 302, loc)
    expect([next?.scriptName, next?.pathInfo, next?.query]).toEqual([script, info, q])
  })

  it('follows a change of scheme on the same host', () => {
    const next = redirectRequest(post(DEFAULTS), 301, 'https://127.0.0.1/secure')
    expect([next?.scheme, next?.host, next?.pathInfo]).toEqual(['https', '127.0.0.1', '/secure'])
  })

  it.each([
    ['another host', 302, 'http://example.com/'],
    ['another port', 302, 'http://127.0.0.1:8080/'],
    ['another scheme than http(s)', 302, 'ftp://127.0.0.1/'],
    ['a Location that is no URL', 302, 'http://[bad'],
  ])('does not follow %s', (_what, code, location) => {
    expect(redirectRequest(post(DEFAULTS), code, location)).toBeUndefined()
  })

  it('does not follow a 307 that would send a streamed body again', () => {
    const streamed = prepareRequest('POST', '/', { body: [new Uint8Array(1)] }, DEFAULTS)
    expect(redirectRequest(streamed, 307, '/x')).toBeUndefined()
    expect(redirectRequest(streamed, 303, '/x')?.body).toBeUndefined()
  })
})

describe('requestURL(request)', () => {
  it('quotes SCRIPT_NAME and PATH_INFO from latin-1 and keeps the query', () => {
    const r = prepareRequest('GET', '/caf%C3%A9 x?q=1', { scriptName: '/m' }, DEFAULTS)
    expect(requestURL(r).href).toBe('http://127.0.0.1/m/caf%C3%A9%20x?q=1')
  })
})
