import { describe, expect, it } from 'vitest'

import {
  WSGIError,
  WSGIValidationError,
  describe as repr,
  describeJS,
  isWSGIError,
  toError,
} from './errors.ts'

describe('WSGIError', () => {
  it('formats as Node core errors do', () => {
    const err = new WSGIError('ERR_WSGI_HEADERS_ALREADY_SET', 'Headers already set!')
    expect(String(err)).toBe('WSGIError [ERR_WSGI_HEADERS_ALREADY_SET]: Headers already set!')
    expect(err.code).toBe('ERR_WSGI_HEADERS_ALREADY_SET')
  })

  it('leads its stack with the code, as Node core errors do, and keeps its plain name', () => {
    const err = new WSGIError('ERR_WSGI_NOT_LATIN1', 'Header value holds U+20AC')
    expect(err.stack?.split('\n')[0]).toBe(
      'WSGIError [ERR_WSGI_NOT_LATIN1]: Header value holds U+20AC',
    )
    expect(err.name).toBe('WSGIError')
    expect(Object.keys(err)).toEqual(['code'])
    const v = new WSGIValidationError('Two arguments required')
    expect(v.stack?.split('\n')[0]).toBe(
      'WSGIValidationError [ERR_WSGI_VALIDATION]: Two arguments required',
    )
  })

  it('is recognised by brand, not by prototype', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('@wsgi/core.WSGIError')]: true })
    expect(isWSGIError(foreign)).toBe(true)
    expect(foreign instanceof WSGIError).toBe(true)
    expect(new Error('x') instanceof WSGIError).toBe(false)
  })

  it('tells validation errors apart', () => {
    const v = new WSGIValidationError('Two arguments required')
    expect(v).toBeInstanceOf(WSGIError)
    expect(v).toBeInstanceOf(WSGIValidationError)
    expect(new WSGIError('ERR_WSGI_INVALID_STATUS', 'x')).not.toBeInstanceOf(WSGIValidationError)
  })
})

describe('describe(value)', () => {
  it.each([
    ['abc', "'abc'"],
    [42, '42'],
    [null, 'None'],
    [new Uint8Array([0x32, 0x00, 0x27]), 'b"2\\x00\'"'],
    [['a', 1], "['a', 1]"],
    // CPython's quoting: a single quote inside picks double quotes, as repr("it's") does.
    ["it's", '"it\'s"'],
    ['both \' and "', "'both \\' and \"'"],
    ['back\\slash', "'back\\\\slash'"],
    [true, 'true'],
    [undefined, 'undefined'],
  ])('renders %o as %s', (value, text) => {
    expect(repr(value)).toBe(text)
  })

  it('cuts bytes after 64, as CPython would not, to keep messages short', () => {
    expect(repr(new Uint8Array(100).fill(0x61))).toBe(`b'${'a'.repeat(64)}'...`)
  })
})

describe('describeJS(value)', () => {
  it.each([
    [null, 'null'],
    [new Uint8Array(6), '<Uint8Array of 6 bytes>'],
    [Buffer.from('a'), '<Buffer of 1 byte>'],
    ['text', "'text'"],
    [42, '42'],
  ])('names %o as %s, in JavaScript words', (value, text) => {
    expect(describeJS(value)).toBe(text)
  })
})

describe('toError(value)', () => {
  it('passes errors through and wraps other values', () => {
    const e = new RangeError('r')
    expect(toError(e)).toBe(e)
    expect(toError('boom').message).toBe("Non-error thrown: 'boom'")
  })
})
