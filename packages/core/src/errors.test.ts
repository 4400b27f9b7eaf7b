import { describe, expect, it } from 'vitest'

import { WSGIError, WSGIValidationError, describe as repr, isWSGIError, toError } from './errors.ts'

describe('WSGIError', () => {
  it('formats as Node core errors do', () => {
    const err = new WSGIError('ERR_WSGI_HEADERS_ALREADY_SET', 'Headers already set!')
    expect(String(err)).toBe('WSGIError [ERR_WSGI_HEADERS_ALREADY_SET]: Headers already set!')
    expect(err.code).toBe('ERR_WSGI_HEADERS_ALREADY_SET')
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

describe('toError(value)', () => {
  it('passes errors through and wraps other values', () => {
    const e = new RangeError('r')
    expect(toError(e)).toBe(e)
    expect(toError('boom').message).toBe("Non-error thrown: 'boom'")
  })
})
