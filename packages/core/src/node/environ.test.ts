import { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'

import { describe, expect, it, vi } from 'vitest'

import {
  ADD_TRAILERS_KEY,
  NODE_REQUEST_KEY,
  NODE_RESPONSE_KEY,
  SIGNAL_KEY,
  addExtensionEnviron,
  addRequestEnviron,
  clientAbortSignal,
  expectsContinue,
} from './environ.ts'
import type { RequestEnvironOptions } from './environ.ts'

interface FakeRequest {
  url?: string
  method?: string
  httpVersion?: string
  rawHeaders?: string[]
  socket?: Record<string, unknown> | null
}

function fakeRequest(init: FakeRequest = {}): IncomingMessage {
  return {
    url: '/',
    method: 'GET',
    httpVersion: '1.1',
    rawHeaders: [],
    socket: {
      remoteAddress: '127.0.0.1',
      remotePort: 50000,
      localAddress: '127.0.0.1',
      localPort: 8000,
    },
    ...init,
  } as unknown as IncomingMessage
}

function environOf(
  init: FakeRequest = {},
  options?: RequestEnvironOptions,
  base: Record<string, unknown> = {},
): Record<string, unknown> {
  const env = { ...base }
  addRequestEnviron(env, fakeRequest(init), options)
  return env
}

describe('addRequestEnviron(env, req, options?)', () => {
  it('sets the CGI variables of a plain GET', () => {
    expect(environOf({ url: '/p?q=1', rawHeaders: ['Host', 'example.test:8080'] })).toEqual({
      SERVER_PROTOCOL: 'HTTP/1.1',
      REQUEST_METHOD: 'GET',
      SCRIPT_NAME: '',
      PATH_INFO: '/p',
      QUERY_STRING: 'q=1',
      REQUEST_URI: '/p?q=1',
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_PORT: '50000',
      CONTENT_LENGTH: '',
      SERVER_NAME: 'example.test',
      SERVER_PORT: '8000',
      GATEWAY_INTERFACE: 'CGI/1.1',
      REMOTE_HOST: '',
      HTTP_HOST: 'example.test:8080',
    })
  })

  it.each([
    ['/p%61th/', '/path/'],
    ['/%80%e9%E9', '/\x80\xe9\xe9'],
    ['/a%2Fb%3Fc', '/a/b?c'],
    ['/bad%zz%4', '/bad%zz%4'],
    ['/caf%C3%A9', '/caf\xc3\xa9'],
    ['*', '*'],
  ])('percent-decodes the path %j to latin-1 %j', (url, pathInfo) => {
    expect(environOf({ url })['PATH_INFO']).toBe(pathInfo)
  })

  it.each([
    ['/q?', ''],
    ['/q?a=%20b&c', 'a=%20b&c'],
    ['/q?a?b', 'a?b'],
    ['/q', ''],
  ])('keeps the query of %j raw: %j', (url, query) => {
    expect(environOf({ url })['QUERY_STRING']).toBe(query)
  })

  it.each([
    ['http://example.test/a/b?c=d', '/a/b', 'c=d'],
    ['http://example.test', '/', ''],
    ['http://example.test?x=1', '/', 'x=1'],
    ['https://user@example.test:8443/%41', '/A', ''],
  ])('reduces the absolute-form target %j to its path', (url, pathInfo, query) => {
    const env = environOf({ url })
    expect([env['PATH_INFO'], env['QUERY_STRING']]).toEqual([pathInfo, query])
  })

  it('keeps the method as sent (case included), and the protocol of the request', () => {
    const env = environOf({ method: 'brew', httpVersion: '1.0' })
    expect([env['REQUEST_METHOD'], env['SERVER_PROTOCOL']]).toEqual(['brew', 'HTTP/1.0'])
  })

  it('joins repeated headers with "," in arrival order and strips the values', () => {
    const env = environOf({
      rawHeaders: ['X-Test', ' one ', 'x-test', 'two', 'Accept', 'a', 'X-TEST', '\xa0three\t'],
    })
    expect(env['HTTP_X_TEST']).toBe('one,two,three')
    expect(env['HTTP_ACCEPT']).toBe('a')
  })

  it('drops header names holding "_" (no HTTP_* spoofing)', () => {
    const env = environOf({ rawHeaders: ['X-Auth-User', 'alice', 'X_Auth_User', 'mallory'] })
    expect(env['HTTP_X_AUTH_USER']).toBe('alice')
    expect(environOf({ rawHeaders: ['Content_Type', 'text/evil'] })).not.toHaveProperty(
      'CONTENT_TYPE',
    )
  })

  it('leaves CONTENT_TYPE out when the request has none, and takes the first one', () => {
    expect(environOf()).not.toHaveProperty('CONTENT_TYPE')
    const env = environOf({
      rawHeaders: ['Content-Type', 'text/html', 'content-type', 'text/plain'],
    })
    expect(env['CONTENT_TYPE']).toBe('text/html')
    expect(env).not.toHaveProperty('HTTP_CONTENT_TYPE')
  })

  it("sets CONTENT_LENGTH from the header, '' when absent, never HTTP_CONTENT_LENGTH", () => {
    expect(environOf()['CONTENT_LENGTH']).toBe('')
    const env = environOf({ rawHeaders: ['Content-Length', '42'] })
    expect(env['CONTENT_LENGTH']).toBe('42')
    expect(env).not.toHaveProperty('HTTP_CONTENT_LENGTH')
  })

  it('skips headers that map onto keys already set (Request-Method, Server-Name…)', () => {
    const env = environOf(
      {
        rawHeaders: ['Request-Method', 'DELETE', 'Path-Info', '/x', 'Server-Name', 'evil'],
      },
      undefined,
      { SERVER_NAME: 'server' },
    )
    expect(env['REQUEST_METHOD']).toBe('GET')
    expect(env['PATH_INFO']).toBe('/')
    expect(env['SERVER_NAME']).toBe('server')
    expect(Object.keys(env).filter((k) => k.startsWith('HTTP_'))).toEqual([])
  })

  it('skips a header mapping onto an HTTP_* key an earlier header created', () => {
    const env = environOf({ rawHeaders: ['Foo', '1', 'Http-Foo', '2'] })
    expect(env['HTTP_FOO']).toBe('1')
    expect(env).not.toHaveProperty('HTTP_HTTP_FOO')
  })

  it('keeps the base keys it is given (wsgiref base_environ)', () => {
    const env = environOf({}, undefined, {
      SERVER_NAME: 'bound',
      SERVER_PORT: '80',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SCRIPT_NAME: '',
    })
    expect([env['SERVER_NAME'], env['SERVER_PORT']]).toEqual(['bound', '80'])
  })

  it.each([
    [['Host', 'example.test'], 'example.test'],
    [['Host', 'example.test:81'], 'example.test'],
    [['Host', '[::1]:81'], '[::1]'],
    [[], '127.0.0.1'],
  ])('derives SERVER_NAME from Host %j -> %j', (rawHeaders, name) => {
    expect(environOf({ rawHeaders })['SERVER_NAME']).toBe(name)
  })

  it('takes SERVER_NAME from the serverName option over the Host header', () => {
    expect(
      environOf({ rawHeaders: ['Host', 'h'] }, { serverName: 'configured' })['SERVER_NAME'],
    ).toBe('configured')
  })

  it('keeps the IPv4-mapped address of a dual-stack socket in REMOTE_ADDR, as gunicorn', () => {
    const socket = { remoteAddress: '::ffff:10.0.0.7', remotePort: 1, localAddress: '::1' }
    const env = environOf({ socket })
    expect(env['REMOTE_ADDR']).toBe('::ffff:10.0.0.7')
    expect(env['SERVER_NAME']).toBe('::1')
  })

  it('maps HTTP/2 pseudo-headers to CGI variables, never to HTTP_* keys', () => {
    const rawHeaders = [':method', 'POST', ':path', '/a?b=1', ':scheme', 'https']
    const env = environOf({
      httpVersion: '2.0',
      method: 'POST',
      url: '/a?b=1',
      rawHeaders: [...rawHeaders, ':authority', 'h2.test:8443', 'x-y', 'z'],
    })
    expect(env).toMatchObject({
      SERVER_PROTOCOL: 'HTTP/2.0',
      REQUEST_METHOD: 'POST',
      PATH_INFO: '/a',
      QUERY_STRING: 'b=1',
      HTTP_HOST: 'h2.test:8443',
      SERVER_NAME: 'h2.test',
      HTTPS: 'on',
      HTTP_X_Y: 'z',
    })
    expect(Object.keys(env).filter((key) => key.includes(':'))).toEqual([])
  })

  it('keeps a Host header over :authority, and no HTTPS for :scheme http', () => {
    const env = environOf({
      httpVersion: '2.0',
      rawHeaders: [':authority', 'authority.test', ':scheme', 'http', 'host', 'host.test'],
    })
    expect(env['HTTP_HOST']).toBe('host.test')
    expect(env['SERVER_NAME']).toBe('host.test')
    expect(env).not.toHaveProperty('HTTPS')
  })

  it("sets HTTPS 'on' for TLS sockets only", () => {
    expect(environOf()).not.toHaveProperty('HTTPS')
    expect(environOf({ socket: { encrypted: true } })['HTTPS']).toBe('on')
  })

  it('copes with a missing socket', () => {
    const env = environOf({ socket: null })
    expect([env['REMOTE_ADDR'], env['REMOTE_PORT'], env['SERVER_PORT']]).toEqual(['', '', ''])
  })

  it.each([
    ['/app/x', '/x'],
    ['/app', ''],
    ['/app/', '/'],
    ['/apple', '/apple'],
    ['/other', '/other'],
  ])('cuts the scriptName "/app" off %j', (url, pathInfo) => {
    const env = environOf({ url }, { scriptName: '/app' })
    expect([env['SCRIPT_NAME'], env['PATH_INFO']]).toEqual(['/app', pathInfo])
  })
})

describe('expectsContinue(env)', () => {
  it.each([
    ['HTTP/1.1', '100-continue', true],
    ['HTTP/1.1', '100-Continue', true],
    ['HTTP/1.0', '100-continue', false],
    ['HTTP/1.1', 'something-else', false],
    ['HTTP/1.1', undefined, false],
  ])('%s with Expect %j -> %s', (protocol, expect_, result) => {
    const env: Record<string, unknown> = { SERVER_PROTOCOL: protocol }
    if (expect_ !== undefined) env['HTTP_EXPECT'] = expect_
    expect(expectsContinue(env)).toBe(result)
  })
})

class FakeResponse extends EventEmitter {
  writableEnded = false
  destroyed = false
  addTrailers = vi.fn()
}

class FakeRequestEmitter extends EventEmitter {
  errored: Error | null = null
}

function pair(): { req: FakeRequestEmitter; res: FakeResponse } {
  return { req: new FakeRequestEmitter(), res: new FakeResponse() }
}

function signalOf(req: FakeRequestEmitter, res: FakeResponse): AbortSignal {
  return clientAbortSignal(req as unknown as IncomingMessage, res as unknown as ServerResponse)
}

describe('clientAbortSignal(req, res)', () => {
  it('fires when the response closes before it ended', () => {
    const { req, res } = pair()
    const signal = signalOf(req, res)
    expect(signal.aborted).toBe(false)
    res.emit('close')
    expect(signal.aborted).toBe(true)
  })

  it('does not fire when the response closes after it ended', () => {
    const { req, res } = pair()
    const signal = signalOf(req, res)
    res.writableEnded = true
    res.emit('close')
    expect(signal.aborted).toBe(false)
  })

  it('fires when the request fails before the response ended', () => {
    const { req, res } = pair()
    const signal = signalOf(req, res)
    req.emit('error', new Error('aborted'))
    expect(signal.aborted).toBe(true)
  })

  it('is already aborted when read after the client left, and never after a normal end', () => {
    const gone = pair()
    gone.res.destroyed = true
    expect(signalOf(gone.req, gone.res).aborted).toBe(true)
    const done = pair()
    done.res.writableEnded = true
    done.res.destroyed = true
    expect(signalOf(done.req, done.res).aborted).toBe(false)
  })

  it('returns one signal per response', () => {
    const { req, res } = pair()
    expect(signalOf(req, res)).toBe(signalOf(req, res))
  })
})

describe('addExtensionEnviron(env, req, res)', () => {
  it('adds the native objects, add_trailers, and a lazy signal', () => {
    const { req, res } = pair()
    const env: Record<string, unknown> = {}
    addExtensionEnviron(env, req as unknown as IncomingMessage, res as unknown as ServerResponse)
    expect(env[NODE_REQUEST_KEY]).toBe(req)
    expect(env[NODE_RESPONSE_KEY]).toBe(res)
    expect(res.listenerCount('close')).toBe(0)
    const signal = env[SIGNAL_KEY]
    expect(signal).toBeInstanceOf(AbortSignal)
    expect(res.listenerCount('close')).toBe(1)
    expect(Object.keys(env)).toContain(SIGNAL_KEY)
    expect({ ...env }[SIGNAL_KEY]).toBe(signal)
    const add = env[ADD_TRAILERS_KEY] as (t: [string, string][]) => void
    add([['X-Sum', '1']])
    expect(res.addTrailers).toHaveBeenCalledWith([['X-Sum', '1']])
  })

  it('lets middleware replace the signal', () => {
    const { req, res } = pair()
    const env: Record<string, unknown> = {}
    addExtensionEnviron(env, req as unknown as IncomingMessage, res as unknown as ServerResponse)
    const other = new AbortController().signal
    env[SIGNAL_KEY] = other
    expect(env[SIGNAL_KEY]).toBe(other)
    expect(res.listenerCount('close')).toBe(0)
  })
})
