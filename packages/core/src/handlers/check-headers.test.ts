import { PassThrough } from 'node:stream'

import { describe, expect, it, onTestFinished } from 'vitest'

import { WSGIError } from '../errors.ts'
import { Headers } from '../headers.ts'
import { makeServer } from '../simple-server/index.ts'
import { StringErrorStream } from '../streams.ts'
import type { ErrorStream, HeaderList, WSGIApplication } from '../types.ts'
import { checkHeaderList } from './check-headers.ts'
import { SimpleHandler } from './simple-handler.ts'

describe('checkHeaderList(headers)', () => {
  it.each([
    [[['X-A', 'caf\xe9']]],
    [[['X-Tab', 'a\tb']]],
    [[]],
    // Not a list of pairs: left to Headers, which refuses it with its own message.
    ['nope'],
    [[['a', 'b', 'c']]],
  ])('accepts %j', (headers) => {
    expect(() => {
      checkHeaderList(headers)
    }).not.toThrow()
  })

  it('says whether it checked every pair (what Headers would check again)', () => {
    expect(checkHeaderList([['X-A', 'a']])).toBe(true)
    expect(checkHeaderList([])).toBe(true)
    expect(checkHeaderList('nope')).toBe(false)
    // A malformed entry after a good one: Headers must still look at the list (and refuse it).
    expect(checkHeaderList([['X-A', 'a'], ['b']])).toBe(false)
  })

  it.each([
    [
      [['X-A', '10 €']],
      'ERR_WSGI_NOT_LATIN1',
      "Header 'X-A' value holds U+20AC at index 3, above U+00FF",
    ],
    [[['X-€', 'a']], 'ERR_WSGI_NOT_LATIN1', "Header name 'X-€' holds U+20AC at index 2"],
    [
      [['X-A', 'a\r\nb']],
      'ERR_WSGI_INVALID_HEADER',
      "Header 'X-A' value holds the control character U+000D",
    ],
    [[['X-A\n', 'a']], 'ERR_WSGI_INVALID_HEADER', 'holds the control character U+000A at index 3'],
    [[['X-A', 'a\x7f']], 'ERR_WSGI_INVALID_HEADER', 'control character U+007F'],
    [[[42, 'a']], 'ERR_WSGI_INVALID_HEADER', 'Header name must be a string (got 42)'],
    [[['X-A', 1]], 'ERR_WSGI_INVALID_HEADER', "Header 'X-A' value must be a string (got 1)"],
  ])('refuses %j with %s', (headers, code, message) => {
    let caught: unknown
    try {
      checkHeaderList(headers)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(WSGIError)
    expect(caught).toMatchObject({ code })
    expect((caught as Error).message).toContain(message)
  })
})

describe('startResponse and the Headers it builds', () => {
  // The list startResponse checked goes into its Headers unchecked a second time; any other
  // construction from the same list, later, checks it as usual.
  const handler = (): SimpleHandler =>
    new SimpleHandler([], new PassThrough(), new StringErrorStream(), {})

  it('checks a list changed after startResponse when it is built into Headers again', () => {
    const list: HeaderList = [['X-A', 'a']]
    handler().startResponse('200 OK', list)
    list.push(['X-B', 'b\r\nInjected: 1'])
    expect(() => new Headers(list)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_HEADER' }) as Error,
    )
  })

  it('checks the list again after a headersClass that threw', () => {
    class Refusing extends Headers {
      constructor() {
        super()
        throw new Error('refused')
      }
    }
    const refusing = handler()
    refusing.headersClass = Refusing
    const list: HeaderList = [['X-A', 'a']]
    expect(() => refusing.startResponse('200 OK', list)).toThrow('refused')
    list.push(['X-B', 'b\nc'])
    expect(() => new Headers(list)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_HEADER' }) as Error,
    )
  })

  it("still refuses a list that is not all pairs, with Headers' own error", () => {
    expect(() =>
      handler().startResponse('200 OK', [['X-A', 'a'], ['b']] as unknown as HeaderList),
    ).toThrow(expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }) as Error)
  })
})

describe('startResponse on the simple server (a real socket)', () => {
  it.each([
    [[['X-A', '10 €']], 'WSGIError [ERR_WSGI_NOT_LATIN1]: Header '],
    [[['X-A', 'a\nb']], 'WSGIError [ERR_WSGI_INVALID_HEADER]: Header '],
  ] as const)('answers 500 and logs %j as %s, at the call', async (headers, logged) => {
    let afterCall = false
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', headers as unknown as HeaderList)
      afterCall = true
      return [new TextEncoder().encode('not sent')]
    }
    const server = await makeServer('127.0.0.1', 0, app, { accessLog: false })
    let log = ''
    const stderr: ErrorStream = {
      write: (s) => {
        log += s
      },
      writelines: (lines) => {
        for (const s of lines) log += s
      },
      flush: () => undefined,
    }
    server.stderr = stderr
    void server.serveForever()
    onTestFinished(() => server.shutdown())
    const response = await fetch(`http://127.0.0.1:${server.serverPort}/`)
    expect(response.status).toBe(500)
    expect(afterCall).toBe(false)
    expect(log).toContain(logged)
  })
})
