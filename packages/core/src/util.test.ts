import { describe, expect, it } from 'vitest'

import { isWSGIError } from './errors.ts'
import type { FileLike } from './types.ts'
import {
  FileWrapper,
  applicationURI,
  environKey,
  headerName,
  guessScheme,
  isHopByHop,
  latin1ToUTF8,
  requestURI,
  setupTestingDefaults,
  shiftPathInfo,
  utf8ToLatin1,
} from './util.ts'

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn()
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('expected a throw')
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

describe('guessScheme(environ)', () => {
  it.each(['ON', 'On', 'true', 'YES', ''])('is http for HTTPS=%j (exact match only)', (https) => {
    expect(guessScheme({ HTTPS: https })).toBe('http')
  })
})

describe('applicationURI(environ)', () => {
  it.each<[Record<string, unknown>, string]>([
    [{ 'wsgi.url_scheme': 'https', SERVER_NAME: 'h', SERVER_PORT: '443' }, 'https://h/'],
    [{ 'wsgi.url_scheme': 'https', SERVER_NAME: 'h', SERVER_PORT: '80' }, 'https://h:80/'],
    [{ 'wsgi.url_scheme': 'http', SERVER_NAME: 'h', SERVER_PORT: '443' }, 'http://h:443/'],
    [
      { 'wsgi.url_scheme': 'http', HTTP_HOST: '', SERVER_NAME: 'h', SERVER_PORT: '80' },
      'http://h/',
    ],
    [{ 'wsgi.url_scheme': 'http', HTTP_HOST: 'h:1', SCRIPT_NAME: '/a b' }, 'http://h:1/a%20b'],
  ])('builds %j into %s', (environ, uri) => {
    expect(applicationURI(environ)).toBe(uri)
  })

  it.each<[Record<string, unknown>, string]>([
    [{ HTTP_HOST: 'h' }, 'wsgi.url_scheme'],
    [{ 'wsgi.url_scheme': 'http', SERVER_PORT: '80' }, 'SERVER_NAME'],
    [{ 'wsgi.url_scheme': 'http', SERVER_NAME: 'h' }, 'SERVER_PORT'],
  ])('throws ERR_WSGI_INVALID_ARG_TYPE for %j, naming %s', (environ, key) => {
    const error = thrown(() => applicationURI(environ))
    expect(error).toBeInstanceOf(TypeError)
    expect(error.code).toBe('ERR_WSGI_INVALID_ARG_TYPE')
    expect(error.message).toContain(key)
  })

  it('rejects a non-string SCRIPT_NAME', () => {
    const error = thrown(() =>
      applicationURI({ 'wsgi.url_scheme': 'http', HTTP_HOST: 'h', SCRIPT_NAME: 1 }),
    )
    expect(error.code).toBe('ERR_WSGI_INVALID_ARG_TYPE')
    expect(error.message).toBe("environ['SCRIPT_NAME'] must be of type str (got 1)")
  })

  it('rejects a SCRIPT_NAME that is not latin-1', () => {
    const error = thrown(() =>
      applicationURI({ 'wsgi.url_scheme': 'http', HTTP_HOST: 'h', SCRIPT_NAME: '/\u20ac' }),
    )
    expect(isWSGIError(error) && error.code).toBe('ERR_WSGI_NOT_LATIN1')
  })
})

describe('requestURI(environ, includeQuery)', () => {
  const base = { 'wsgi.url_scheme': 'http', HTTP_HOST: 'h' }

  it.each<[Record<string, unknown>, string]>([
    [
      { SCRIPT_NAME: '/s', PATH_INFO: "/a b?c#d%e;f=g,h~i@:!$&'()*+" },
      'http://h/s/a%20b%3Fc%23d%25e;f=g,h~i%40%3A%21%24%26%27%28%29%2A%2B',
    ],
    [{ SCRIPT_NAME: '/sp\xe4m' }, 'http://h/sp%E4m'],
    [{ SCRIPT_NAME: '', PATH_INFO: '/a b', QUERY_STRING: 'a b=%zz&c' }, 'http://h/a%20b?a b=%zz&c'],
    // With an empty SCRIPT_NAME, Python drops the first character whatever it is.
    [{ SCRIPT_NAME: '', PATH_INFO: 'x' }, 'http://h/'],
    [{ SCRIPT_NAME: '/s', PATH_INFO: '' }, 'http://h/s'],
    [{ SCRIPT_NAME: '/s', QUERY_STRING: '' }, 'http://h/s'],
  ])('builds %j into %s', (environ, uri) => {
    expect(requestURI({ ...base, ...environ })).toBe(uri)
  })

  it('rejects a PATH_INFO that is not latin-1', () => {
    const error = thrown(() => requestURI({ ...base, PATH_INFO: '/\u0100' }))
    expect(error.code).toBe('ERR_WSGI_NOT_LATIN1')
  })
})

describe('shiftPathInfo(environ)', () => {
  it('shifts a whole path one segment at a time', () => {
    const environ: Record<string, unknown> = { SCRIPT_NAME: '', PATH_INFO: '/a/b/c' }
    const names: (string | undefined)[] = []
    for (let name = shiftPathInfo(environ); name !== undefined; name = shiftPathInfo(environ)) {
      names.push(name)
    }
    expect(names).toEqual(['a', 'b', 'c'])
    expect(environ).toEqual({ SCRIPT_NAME: '/a/b/c', PATH_INFO: '' })
  })

  it('does not decode percent-escapes', () => {
    const environ: Record<string, unknown> = { SCRIPT_NAME: '', PATH_INFO: '/a%2Fb/c' }
    expect(shiftPathInfo(environ)).toBe('a%2Fb')
  })

  it('rejects a non-string PATH_INFO', () => {
    expect(thrown(() => shiftPathInfo({ PATH_INFO: 42 })).code).toBe('ERR_WSGI_INVALID_ARG_TYPE')
  })

  it('names the offending PATH_INFO', () => {
    const error = thrown(() => shiftPathInfo({ PATH_INFO: 'x' }))
    expect(isWSGIError(error) && error.code).toBe('ERR_WSGI_INVALID_PATH')
    expect(error.message).toBe("PATH_INFO must be empty or start with '/' (got 'x')")
  })
})

describe('setupTestingDefaults(environ)', () => {
  it('mutates and returns the same object, with keys in CPython order', () => {
    const environ = {}
    expect(setupTestingDefaults(environ)).toBe(environ)
    expect(Object.keys(environ)).toEqual([
      'SERVER_NAME',
      'SERVER_PROTOCOL',
      'HTTP_HOST',
      'REQUEST_METHOD',
      'SCRIPT_NAME',
      'PATH_INFO',
      'wsgi.version',
      'wsgi.run_once',
      'wsgi.multithread',
      'wsgi.multiprocess',
      'wsgi.input',
      'wsgi.errors',
      'wsgi.url_scheme',
      'SERVER_PORT',
    ])
  })

  it('adds neither SCRIPT_NAME nor PATH_INFO when one of them is present', () => {
    expect('PATH_INFO' in setupTestingDefaults({ SCRIPT_NAME: '/x' })).toBe(false)
    expect('SCRIPT_NAME' in setupTestingDefaults({ PATH_INFO: '/x' })).toBe(false)
  })

  it('adds no SERVER_PORT for a scheme other than http and https', () => {
    expect('SERVER_PORT' in setupTestingDefaults({ 'wsgi.url_scheme': 'ftp' })).toBe(false)
  })

  it('takes HTTP_HOST from an existing SERVER_NAME', () => {
    expect(setupTestingDefaults({ SERVER_NAME: 'example.org' })['HTTP_HOST']).toBe('example.org')
  })

  it('keeps a key that is present with the value undefined', () => {
    const environ = setupTestingDefaults({ REQUEST_METHOD: undefined })
    expect(Object.hasOwn(environ, 'REQUEST_METHOD')).toBe(true)
    expect(environ.REQUEST_METHOD).toBeUndefined()
  })

  it('gives a fresh input and error stream each time', () => {
    const a = setupTestingDefaults({})
    const b = setupTestingDefaults({})
    expect(a['wsgi.input']).not.toBe(b['wsgi.input'])
    expect(a['wsgi.errors']).not.toBe(b['wsgi.errors'])
  })
})

describe('environKey(name)', () => {
  it.each([
    ['content-type', 'CONTENT_TYPE'],
    ['Content-Length', 'CONTENT_LENGTH'],
    ['x-request-id', 'HTTP_X_REQUEST_ID'],
    ['Host', 'HTTP_HOST'],
    ['content-md5', 'HTTP_CONTENT_MD5'],
    ['X_Forwarded_For', 'HTTP_X_FORWARDED_FOR'],
  ])('gives %s the key %s', (name, key) => {
    expect(environKey(name)).toBe(key)
    // A second call comes from the cache and must agree.
    expect(environKey(name)).toBe(key)
  })

  it('keeps giving the right key once its cache is full', () => {
    for (let i = 0; i < 600; i++) expect(environKey(`x-made-up-${i}`)).toBe(`HTTP_X_MADE_UP_${i}`)
  })
})

describe('headerName(key)', () => {
  it.each([
    ['CONTENT_TYPE', 'content-type'],
    ['CONTENT_LENGTH', 'content-length'],
    ['HTTP_X_REQUEST_ID', 'x-request-id'],
    ['HTTP_HOST', 'host'],
    ['HTTP_CONTENT_MD5', 'content-md5'],
  ])('gives %s the name %s', (key, name) => {
    expect(headerName(key)).toBe(name)
    expect(headerName(key)).toBe(name)
  })

  it.each(['PATH_INFO', 'REQUEST_METHOD', 'wsgi.input', 'HTTPS', 'content_type'])(
    'is undefined for %s, which is not a header',
    (key) => {
      expect(headerName(key)).toBeUndefined()
    },
  )

  it('inverts environKey for every header name', () => {
    for (const name of ['content-type', 'content-length', 'x-forwarded-for', 'accept']) {
      expect(headerName(environKey(name))).toBe(name)
    }
  })

  it('keeps giving the right name once its cache is full', () => {
    for (let i = 0; i < 600; i++) expect(headerName(`HTTP_X_MADE_UP_${i}`)).toBe(`x-made-up-${i}`)
  })
})

describe('isHopByHop(name)', () => {
  it.each(['Upgrade-Insecure-Requests', 'Trailer', 'Content-Length', ''])(
    'is false for %j',
    (name) => {
      expect(isHopByHop(name)).toBe(false)
    },
  )

  it('rejects a non-string name', () => {
    expect(thrown(() => isHopByHop(undefined as unknown as string)).code).toBe(
      'ERR_WSGI_INVALID_ARG_TYPE',
    )
  })
})

describe('FileWrapper(filelike, blksize)', () => {
  function source(data: string, options: { async?: boolean; close?: () => void } = {}) {
    const all = bytes(data)
    let offset = 0
    const sizes: number[] = []
    const filelike: FileLike = {
      read(size: number) {
        sizes.push(size)
        const chunk = all.subarray(offset, offset + size)
        offset += chunk.length
        return options.async === true ? Promise.resolve(chunk) : chunk
      },
    }
    if (options.close) filelike.close = options.close
    return { filelike, sizes }
  }

  it('reads blocks of 8192 bytes by default', async () => {
    const { filelike, sizes } = source('x'.repeat(10000))
    const wrapper = new FileWrapper(filelike)
    expect(wrapper.blksize).toBe(8192)
    expect(wrapper.filelike).toBe(filelike)
    const chunks: number[] = []
    for await (const chunk of wrapper) chunks.push(chunk.length)
    expect(chunks).toEqual([8192, 1808])
    expect(sizes).toEqual([8192, 8192, 8192])
  })

  it('awaits read() when it returns a promise', async () => {
    const { filelike } = source('hello world', { async: true })
    let out = ''
    for await (const chunk of new FileWrapper(filelike, 4)) out += text(chunk)
    expect(out).toBe('hello world')
  })

  it('ends on a null chunk from a loose reader', async () => {
    const filelike = { read: () => null } as unknown as FileLike
    expect(await new FileWrapper(filelike).next()).toEqual({ done: true, value: undefined })
  })

  it('has a close() that does nothing when the file-like object has none', () => {
    const { filelike } = source('')
    const wrapper = new FileWrapper(filelike)
    const result = wrapper.close()
    expect(result).toBeUndefined()
  })

  it('calls filelike.close() once per close() and returns its result', async () => {
    let calls = 0
    const { filelike } = source('abc', {
      close: () => {
        calls++
      },
    })
    const wrapper = new FileWrapper(filelike)
    for await (const chunk of wrapper) expect(text(chunk)).toBe('abc')
    expect(calls).toBe(0)
    await wrapper.close()
    expect(calls).toBe(1)
  })

  it('passes a promise from an async close() through', async () => {
    let closed = false
    const filelike: FileLike = {
      read: () => new Uint8Array(),
      close: async () => {
        await Promise.resolve()
        closed = true
      },
    }
    const result = new FileWrapper(filelike).close()
    expect(result).toBeInstanceOf(Promise)
    await result
    expect(closed).toBe(true)
  })

  it.each([null, {}, { read: 'x' }])('rejects %j as filelike', (value) => {
    const error = thrown(() => new FileWrapper(value as unknown as FileLike))
    expect(error.code).toBe('ERR_WSGI_INVALID_ARG_TYPE')
  })
})

describe('latin1ToUTF8 / utf8ToLatin1 (re-exported)', () => {
  it('round-trips a Unicode path through PATH_INFO form', () => {
    const pathInfo = utf8ToLatin1('/caf\xe9/\u20ac')
    expect(pathInfo).toBe('/caf\xc3\xa9/\xe2\x82\xac')
    expect(latin1ToUTF8(pathInfo)).toBe('/caf\xe9/\u20ac')
  })
})
