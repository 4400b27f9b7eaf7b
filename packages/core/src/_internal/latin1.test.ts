import { describe, expect, it } from 'vitest'

import { isWSGIError } from '../errors.ts'
import {
  bytesToLatin1,
  isLatin1,
  latin1ToBytes,
  latin1ToUTF8,
  normpath,
  quoteLatin1,
  unquoteLatin1,
  utf8ToLatin1,
} from './latin1.ts'

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn()
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('expected a throw')
}

const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i)
const allChars = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('')

describe('latin1ToBytes(s)', () => {
  it('maps each character to the byte of the same value, 0x80-0x9F included', () => {
    expect(latin1ToBytes(allChars)).toEqual(allBytes)
    expect([...latin1ToBytes('\x80\x9f')]).toEqual([0x80, 0x9f])
  })

  it('gives an empty array for an empty string', () => {
    expect(latin1ToBytes('').length).toBe(0)
  })

  it.each([
    ['ab\u20ac', 'U+20AC', 'position 2'],
    ['\u0100', 'U+0100', 'position 0'],
    ['x\u{1f600}', 'U+1F600', 'position 1'],
  ])('rejects %j naming %s at %s', (s, codePoint, position) => {
    const error = thrown(() => latin1ToBytes(s))
    expect(isWSGIError(error) && error.code).toBe('ERR_WSGI_NOT_LATIN1')
    expect(error.message).toContain(codePoint)
    expect(error.message).toContain(position)
  })
})

describe('bytesToLatin1(bytes)', () => {
  it('maps each byte to the code point of the same value (not windows-1252)', () => {
    expect(bytesToLatin1(allBytes)).toBe(allChars)
    expect(bytesToLatin1(Uint8Array.of(0x80, 0x9f)).charCodeAt(0)).toBe(0x80)
    expect(bytesToLatin1(Uint8Array.of(0x80, 0x9f)).charCodeAt(1)).toBe(0x9f)
  })

  it('handles inputs larger than one chunk', () => {
    const big = new Uint8Array(100_003)
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff
    const s = bytesToLatin1(big)
    expect(s.length).toBe(big.length)
    expect(s.charCodeAt(8191)).toBe((8191 * 7) & 0xff)
    expect(s.charCodeAt(8192)).toBe((8192 * 7) & 0xff)
    expect(latin1ToBytes(s)).toEqual(big)
  })

  it('respects the view of a subarray', () => {
    expect(bytesToLatin1(allBytes.subarray(65, 68))).toBe('ABC')
  })
})

describe('isLatin1(s)', () => {
  it.each([
    ['', true],
    [allChars, true],
    ['\u0100', false],
    ['abc\u20ac', false],
  ])('is %s for %j', (s, expected) => {
    expect(isLatin1(s)).toBe(expected)
  })
})

describe('unquoteLatin1(s)', () => {
  // Expected values from Python's urllib.parse.unquote(s, 'iso-8859-1').
  it.each([
    ['', ''],
    ['abc', 'abc'],
    ['%41', 'A'],
    ['%4a%4A', 'JJ'],
    ['%zz', '%zz'],
    ['%', '%'],
    ['a%', 'a%'],
    ['%4', '%4'],
    ['%2', '%2'],
    ['%4g', '%4g'],
    ['%%41', '%A'],
    ['%%', '%%'],
    ['100%', '100%'],
    ['%e2%82%ac', '\xe2\x82\xac'],
    ['%C3%A9', '\xc3\xa9'],
    ['%00%ff', '\x00\xff'],
    ['\xe4%20\u20ac', '\xe4 \u20ac'],
  ])('decodes %j to %j', (s, expected) => {
    expect(unquoteLatin1(s)).toBe(expected)
  })
})

describe('quoteLatin1(s, safe)', () => {
  // Expected values from Python's urllib.parse.quote(s, safe, encoding='latin1').
  it.each([
    ['', '/', ''],
    ['abc', '/', 'abc'],
    ['a b', '/', 'a%20b'],
    ['/a/b', '/', '/a/b'],
    ['/a/b', '', '%2Fa%2Fb'],
    ['~_.-', '', '~_.-'],
    ['\x00\x7f\x80\xff', '/', '%00%7F%80%FF'],
    ['\xe4/\xe9', '/', '%E4/%E9'],
    ['\xe4', '\xe4', '%E4'],
    ['%', '/', '%25'],
    ["?#[]@!$&'()*+,;=:", '/', '%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%3A'],
    ["?#[]@!$&'()*+,;=:", '/;=,', '%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B,;=%3A'],
    [
      "/s/a b?c#d%e;f=g,h~i@:!$&'()*+",
      '/;=,',
      '/s/a%20b%3Fc%23d%25e;f=g,h~i%40%3A%21%24%26%27%28%29%2A%2B',
    ],
  ])('encodes %j (safe %j) to %j', (s, safe, expected) => {
    expect(quoteLatin1(s, safe)).toBe(expected)
  })

  it("keeps '/' by default", () => {
    expect(quoteLatin1('/sp\xe4m')).toBe('/sp%E4m')
  })

  it('rejects characters above U+00FF with ERR_WSGI_NOT_LATIN1', () => {
    const error = thrown(() => quoteLatin1('/\u20ac'))
    expect(isWSGIError(error) && error.code).toBe('ERR_WSGI_NOT_LATIN1')
    expect(error.message).toContain('position 1')
  })
})

describe('latin1ToUTF8(s) and utf8ToLatin1(text)', () => {
  it('reads a latin-1 PATH_INFO as UTF-8 text', () => {
    expect(latin1ToUTF8('/\xe2\x82\xac')).toBe('/\u20ac')
    expect(latin1ToUTF8('caf\xc3\xa9')).toBe('caf\xe9')
  })

  it('turns text into its UTF-8 bytes as latin-1', () => {
    expect(utf8ToLatin1('/\u20ac')).toBe('/\xe2\x82\xac')
    expect(utf8ToLatin1('\u{1f600}')).toBe('\xf0\x9f\x98\x80')
  })

  it('replaces malformed UTF-8 with U+FFFD unless fatal', () => {
    expect(latin1ToUTF8('/\x80')).toBe('/\ufffd')
    expect(() => latin1ToUTF8('/\x80', { fatal: true })).toThrow(TypeError)
  })

  it('rejects a string that is not latin-1', () => {
    expect(thrown(() => latin1ToUTF8('\u20ac')).code).toBe('ERR_WSGI_NOT_LATIN1')
  })

  it.each(['', '/api/v1', 'a\x00b\x7f', 'ASCII only: ~!@#'])(
    'returns ASCII %j unchanged both ways, fatal or not',
    (ascii) => {
      expect(latin1ToUTF8(ascii)).toBe(ascii)
      expect(latin1ToUTF8(ascii, { fatal: true })).toBe(ascii)
      expect(utf8ToLatin1(ascii)).toBe(ascii)
    },
  )

  it('gives the same results across many calls (shared encoder and decoders)', () => {
    for (let i = 0; i < 3; i++) {
      expect(() => latin1ToUTF8('\xff', { fatal: true })).toThrow(TypeError)
      expect(latin1ToUTF8('\xe2\x82')).toBe('\ufffd')
      expect(latin1ToUTF8('\xc3\xa9')).toBe('\xe9')
      expect(utf8ToLatin1('\xe9')).toBe('\xc3\xa9')
      expect(utf8ToLatin1('\ud800')).toBe('\xef\xbf\xbd')
    }
  })
})

describe('normpath(p)', () => {
  // Expected values from Python's posixpath.normpath.
  it.each([
    ['', '.'],
    ['.', '.'],
    ['..', '..'],
    ['/', '/'],
    ['//', '//'],
    ['///', '/'],
    ['////', '/'],
    ['a', 'a'],
    ['a/', 'a'],
    ['a/.', 'a'],
    ['./a', 'a'],
    ['a/..', '.'],
    ['/..', '/'],
    ['/../a', '/a'],
    ['../a', '../a'],
    ['../../a', '../../a'],
    ['a/../..', '..'],
    ['a/b/../../..', '..'],
    ['//a', '//a'],
    ['//a/', '//a'],
    ['///a//b/', '/a/b'],
    ['/a/./b/../c', '/a/c'],
    ['a//b', 'a/b'],
    ['//..', '//'],
    ['//.', '//'],
    ['./', '.'],
    ['../', '..'],
    ['.../a', '.../a'],
    ['a/...', 'a/...'],
  ])('normalises %j to %j', (p, expected) => {
    expect(normpath(p)).toBe(expected)
  })
})
