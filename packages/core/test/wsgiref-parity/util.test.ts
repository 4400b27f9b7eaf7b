/**
 * CPython `Lib/test/test_wsgiref.py` `UtilityTests`, ported case by case, plus every observed row
 * of the `shift_path_info` table in the wsgiref inventory (§1.2, §4.3).
 *
 * @module
 */
import { assert, describe, expect, it } from 'vitest'

import { StringErrorStream } from '../../src/_internal/error-stream.ts'
import { InputReader } from '../../src/_internal/input.ts'
import { isWSGIError } from '../../src/errors.ts'
import type { FileLike } from '../../src/types.ts'
import {
  FileWrapper,
  applicationURI,
  guessScheme,
  isHopByHop,
  requestURI,
  setupTestingDefaults,
  shiftPathInfo,
} from '../../src/util.ts'

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

// [SCRIPT_NAME in, PATH_INFO in, returned, SCRIPT_NAME out, PATH_INFO out]
type ShiftRow = [string, string, string | undefined, string, string]

// testSimpleShifts (5) and testNormalizedShifts (11): the rows of CPython's own suite.
const cpythonShifts: ShiftRow[] = [
  ['', '/', '', '/', ''],
  ['', '/x', 'x', '/x', ''],
  ['/', '', undefined, '/', ''],
  ['/a', '/x/y', 'x', '/a/x', '/y'],
  ['/a', '/x/', 'x', '/a/x', '/'],
  ['/a/b', '/../y', '..', '/a', '/y'],
  ['', '/../y', '..', '', '/y'],
  ['/a/b', '//y', 'y', '/a/b/y', ''],
  ['/a/b', '//y/', 'y', '/a/b/y', '/'],
  ['/a/b', '/./y', 'y', '/a/b/y', ''],
  ['/a/b', '/./y/', 'y', '/a/b/y', '/'],
  ['/a/b', '///./..//y/.//', '..', '/a', '/y/'],
  ['/a/b', '///', '', '/a/b/', ''],
  ['/a/b', '/.//', '', '/a/b/', ''],
  ['/a/b', '/x//', 'x', '/a/b/x', '/'],
  ['/a/b', '/.', undefined, '/a/b', ''],
]

// Rows observed by running CPython (inventory §1.2, re-checked with python3 3.11).
const observedShifts: ShiftRow[] = [
  ['', '', undefined, '', ''],
  ['/a/b', '/..', '..', '/a', ''],
  ['', '/../..', '..', '', '/..'],
  ['/a/b/c', '/../../z', '..', '/a/b', '/../z'],
  ['/', '/x', 'x', '//x', ''],
  ['//', '/x', 'x', '/x', ''],
  ['///', '/x', 'x', '/x', ''],
  ['/a//b', '/x', 'x', '/a/b/x', ''],
  ['/a/./b', '/x', 'x', '/a/b/x', ''],
  ['a', '/x', 'x', 'a/x', ''],
  ['/a', '//', '', '/a/', ''],
  ['', '//', '', '/', ''],
  ['/a', '/x//y', 'x', '/a/x', '/y'],
  ['/a', '/x/./y/../z', 'x', '/a/x', '/y/../z'],
  ['a', '/..', '..', '.', ''],
  ['/a', '/%2e%2e', '%2e%2e', '/a/%2e%2e', ''],
  ['//a', '/b', 'b', '//a/b', ''],
  ['/a', '/x/../y/', 'x', '/a/x', '/../y/'],
  ['', '/.', undefined, '', ''],
  ['', '/./', '', '/', ''],
]

describe('shiftPathInfo(environ)', () => {
  it.each([...cpythonShifts, ...observedShifts])(
    'shifts SCRIPT_NAME %j, PATH_INFO %j to %j, SCRIPT_NAME %j, PATH_INFO %j',
    (snIn, piIn, part, snOut, piOut) => {
      const environ = setupTestingDefaults({ SCRIPT_NAME: snIn, PATH_INFO: piIn })
      expect(shiftPathInfo(environ)).toBe(part)
      expect(environ.PATH_INFO).toBe(piOut)
      expect(environ.SCRIPT_NAME).toBe(snOut)
    },
  )

  it('treats an absent SCRIPT_NAME as empty', () => {
    const environ: Record<string, unknown> = { PATH_INFO: '/x' }
    expect(shiftPathInfo(environ)).toBe('x')
    expect(environ).toEqual({ SCRIPT_NAME: '/x', PATH_INFO: '' })
  })

  it('leaves environ untouched when PATH_INFO is absent', () => {
    const environ: Record<string, unknown> = { SCRIPT_NAME: '/a' }
    expect(shiftPathInfo(environ)).toBeUndefined()
    expect(environ).toEqual({ SCRIPT_NAME: '/a' })
  })

  // Python raises IndexError for 'x'; for 'x/y' it shifts 'y' (see the Divergence in util.ts).
  it.each(['x', 'x/y', '.', 'a//'])('throws ERR_WSGI_INVALID_PATH for PATH_INFO %j', (pi) => {
    const environ = { SCRIPT_NAME: '/a', PATH_INFO: pi }
    const error = thrown(() => shiftPathInfo(environ))
    expect(isWSGIError(error) && error.code).toBe('ERR_WSGI_INVALID_PATH')
    expect(environ).toEqual({ SCRIPT_NAME: '/a', PATH_INFO: pi })
  })
})

describe('setupTestingDefaults(environ)', () => {
  // testDefaults
  it.each<[string, unknown]>([
    ['SERVER_NAME', '127.0.0.1'],
    ['SERVER_PORT', '80'],
    ['SERVER_PROTOCOL', 'HTTP/1.0'],
    ['HTTP_HOST', '127.0.0.1'],
    ['REQUEST_METHOD', 'GET'],
    ['SCRIPT_NAME', ''],
    ['PATH_INFO', '/'],
    ['wsgi.version', [1, 0]],
    ['wsgi.run_once', false],
    ['wsgi.multithread', false],
    ['wsgi.multiprocess', false],
    ['wsgi.url_scheme', 'http'],
  ])('defaults %s to %j and keeps an existing value', (key, value) => {
    expect(setupTestingDefaults({})[key]).toEqual(value)
    const alt = {}
    expect(setupTestingDefaults({ [key]: alt })[key]).toBe(alt)
    expect(setupTestingDefaults({ [key]: null })[key]).toBeNull()
  })

  it('defaults wsgi.input to an empty input stream', async () => {
    const input = setupTestingDefaults({})['wsgi.input']
    expect(input).toBeInstanceOf(InputReader)
    expect((await input.read()).length).toBe(0)
    const alt = {}
    expect(setupTestingDefaults({ 'wsgi.input': alt })['wsgi.input']).toBe(alt)
  })

  it('defaults wsgi.errors to a string-backed error stream', () => {
    const errors = setupTestingDefaults({})['wsgi.errors']
    assert(errors instanceof StringErrorStream)
    errors.write('x')
    expect(errors.getValue()).toBe('x')
    const alt = {}
    expect(setupTestingDefaults({ 'wsgi.errors': alt })['wsgi.errors']).toBe(alt)
  })

  // testCrossDefaults
  it.each<[string, string, Record<string, unknown>]>([
    ['HTTP_HOST', 'foo.bar', { SERVER_NAME: 'foo.bar' }],
    ['wsgi.url_scheme', 'https', { HTTPS: 'on' }],
    ['wsgi.url_scheme', 'https', { HTTPS: '1' }],
    ['wsgi.url_scheme', 'https', { HTTPS: 'yes' }],
    ['wsgi.url_scheme', 'http', { HTTPS: 'foo' }],
    ['SERVER_PORT', '80', { HTTPS: 'foo' }],
    ['SERVER_PORT', '443', { HTTPS: 'on' }],
  ])('sets %s to %j from %j', (key, value, environ) => {
    expect(setupTestingDefaults(environ)[key]).toBe(value)
  })
})

describe('guessScheme(environ)', () => {
  // testGuessScheme
  it.each<[Record<string, unknown>, string]>([
    [{}, 'http'],
    [{ HTTPS: 'foo' }, 'http'],
    [{ HTTPS: 'on' }, 'https'],
    [{ HTTPS: 'yes' }, 'https'],
    [{ HTTPS: '1' }, 'https'],
  ])('guesses %j as %s', (environ, scheme) => {
    expect(guessScheme(environ)).toBe(scheme)
  })
})

describe('applicationURI(environ)', () => {
  // testAppURIs
  it.each<[string, Record<string, unknown>]>([
    ['http://127.0.0.1/', {}],
    ['http://127.0.0.1/spam', { SCRIPT_NAME: '/spam' }],
    ['http://127.0.0.1/sp%E4m', { SCRIPT_NAME: '/sp\xe4m' }],
    ['http://spam.example.com:2071/', { HTTP_HOST: 'spam.example.com:2071', SERVER_PORT: '2071' }],
    ['http://spam.example.com/', { SERVER_NAME: 'spam.example.com' }],
    ['http://127.0.0.1/', { HTTP_HOST: '127.0.0.1', SERVER_NAME: 'spam.example.com' }],
    ['https://127.0.0.1/', { HTTPS: 'on' }],
    ['http://127.0.0.1:8000/', { SERVER_PORT: '8000', HTTP_HOST: null }],
  ])('gives %s for %j', (uri, environ) => {
    expect(applicationURI(setupTestingDefaults(environ))).toBe(uri)
  })
})

describe('requestURI(environ, includeQuery)', () => {
  // testReqURIs
  it.each<[string, Record<string, unknown>]>([
    ['http://127.0.0.1/', {}],
    ['http://127.0.0.1/spam', { SCRIPT_NAME: '/spam' }],
    ['http://127.0.0.1/sp%E4m', { SCRIPT_NAME: '/sp\xe4m' }],
    ['http://127.0.0.1/spammity/spam', { SCRIPT_NAME: '/spammity', PATH_INFO: '/spam' }],
    ['http://127.0.0.1/spammity/sp%E4m', { SCRIPT_NAME: '/spammity', PATH_INFO: '/sp\xe4m' }],
    ['http://127.0.0.1/spammity/spam;ham', { SCRIPT_NAME: '/spammity', PATH_INFO: '/spam;ham' }],
    [
      'http://127.0.0.1/spammity/spam;cookie=1234,5678',
      { SCRIPT_NAME: '/spammity', PATH_INFO: '/spam;cookie=1234,5678' },
    ],
    [
      'http://127.0.0.1/spammity/spam?say=ni',
      { SCRIPT_NAME: '/spammity', PATH_INFO: '/spam', QUERY_STRING: 'say=ni' },
    ],
    [
      'http://127.0.0.1/spammity/spam?s%E4y=ni',
      { SCRIPT_NAME: '/spammity', PATH_INFO: '/spam', QUERY_STRING: 's%E4y=ni' },
    ],
  ])('gives %s for %j', (uri, environ) => {
    expect(requestURI(setupTestingDefaults(environ))).toBe(uri)
  })

  it('leaves the query out when includeQuery is false', () => {
    const environ = setupTestingDefaults({
      SCRIPT_NAME: '/spammity',
      PATH_INFO: '/spam',
      QUERY_STRING: 'say=ni',
    })
    expect(requestURI(environ, false)).toBe('http://127.0.0.1/spammity/spam')
  })
})

describe('FileWrapper(filelike, blksize)', () => {
  // testFileWrapper: FileWrapper(StringIO("xyz"*50), 120), with bytes instead of str.
  it('yields blocks until read() returns an empty chunk and closes only on close()', async () => {
    const data = new TextEncoder().encode('xyz'.repeat(50))
    let offset = 0
    let closed = false
    const filelike: FileLike = {
      read(size) {
        const chunk = data.subarray(offset, offset + size)
        offset += chunk.length
        return chunk
      },
      close() {
        closed = true
      },
    }
    const wrapper = new FileWrapper(filelike, 120)
    expect(wrapper[Symbol.asyncIterator]()).toBe(wrapper)
    const decoder = new TextDecoder()
    const first = await wrapper.next()
    expect(first.done).toBe(false)
    expect(decoder.decode(first.value)).toBe('xyz'.repeat(40))
    const second = await wrapper.next()
    expect(decoder.decode(second.value)).toBe('xyz'.repeat(10))
    expect(await wrapper.next()).toEqual({ done: true, value: undefined })
    expect(closed).toBe(false)
    await wrapper.close()
    expect(closed).toBe(true)
  })
})

describe('isHopByHop(name)', () => {
  const title = (s: string): string =>
    s.toLowerCase().replace(/(^|-)([a-z])/g, (m) => m.toUpperCase())
  const variants = (names: string[]): string[] =>
    names.flatMap((n) => [n, title(n), n.toUpperCase(), n.toLowerCase()])

  // testHopByHop
  it.each(
    variants([
      'Connection',
      'Keep-Alive',
      'Proxy-Authenticate',
      'Proxy-Authorization',
      'TE',
      'Trailers',
      'Transfer-Encoding',
      'Upgrade',
    ]),
  )('is true for %s', (name) => {
    expect(isHopByHop(name)).toBe(true)
  })

  it.each(variants(['Accept', 'Cache-Control', 'Date', 'Pragma', 'Trailer', 'Via', 'Warning']))(
    'is false for %s',
    (name) => {
      expect(isHopByHop(name)).toBe(false)
    },
  )
})
