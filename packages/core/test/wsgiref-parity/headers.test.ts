/**
 * CPython `Lib/test/test_wsgiref.py` `HeaderTests`, ported case by case, including the
 * gh-143916 `testRaisesControlCharacters` of CPython's main branch (wsgiref inventory §4.4).
 *
 * @module
 */
import { describe, expect, it } from 'vitest'

import { isWSGIError } from '../../src/errors.ts'
import { Headers } from '../../src/headers.ts'
import type { HeaderList } from '../../src/types.ts'

function codeOf(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return (error as { code?: unknown }).code
  }
  return 'no error'
}

describe('Headers (testMappingInterface)', () => {
  it('counts entries', () => {
    expect(new Headers().size).toBe(0)
    expect(new Headers([]).size).toBe(0)
    expect(new Headers([['x', 'y']]).size).toBe(1)
  })

  it('lists keys, values and a copy of the items', () => {
    const list: HeaderList = [['x', 'y']]
    const h = new Headers(list)
    expect(h.keys()).toEqual(['x'])
    expect(h.values()).toEqual(['y'])
    expect(h.items()).toEqual([['x', 'y']])
    expect(h.items()).not.toBe(list)
  })

  it('deletes a missing header without error', () => {
    const h = new Headers()
    h.delete('foo')
    expect(h.size).toBe(0)
  })

  it.each(['foo', 'Foo', 'FOO'])('finds %s case-insensitively after set("Foo")', (name) => {
    const h = new Headers()
    h.set('Foo', 'bar')
    expect(h.has(name)).toBe(true)
    expect(h.get(name)).toBe('bar')
    expect(h.getAll(name)).toEqual(['bar'])
  })

  it('does not find a header that is not there', () => {
    const h = new Headers()
    h.set('Foo', 'bar')
    expect(h.has('bar')).toBe(false)
    expect(h.get('bar')).toBeUndefined()
    expect(h.getAll('bar')).toEqual([])
  })

  it('replaces, defaults and sets defaults', () => {
    const h = new Headers()
    h.set('Foo', 'bar')
    expect(h.get('foo')).toBe('bar')
    h.set('foo', 'baz')
    expect(h.get('FOO')).toBe('baz')
    expect(h.getAll('foo')).toEqual(['baz'])
    expect(h.get('foo', 'whee')).toBe('baz')
    expect(h.get('zoo', 'whee')).toBe('whee')
    expect(h.setDefault('foo', 'whee')).toBe('baz')
    expect(h.setDefault('zoo', 'whee')).toBe('whee')
    expect(h.get('foo')).toBe('baz')
    expect(h.get('zoo')).toBe('whee')
  })
})

describe('Headers (testRequireList)', () => {
  it('rejects a string with a TypeError', () => {
    expect(() => new Headers('foo' as unknown as HeaderList)).toThrow(TypeError)
  })
})

describe('Headers (testExtras)', () => {
  it('formats an empty list as a bare CRLF', () => {
    expect(new Headers().toString()).toBe('\r\n')
  })

  it('adds headers with parameters', () => {
    const h = new Headers()
    h.addHeader('foo', 'bar', { baz: 'spam' })
    expect(h.get('foo')).toBe('bar; baz="spam"')
    expect(h.toString()).toBe('foo: bar; baz="spam"\r\n\r\n')
    h.addHeader('Foo', 'bar', { cheese: null })
    expect(h.getAll('foo')).toEqual(['bar; baz="spam"', 'bar; cheese'])
    expect(h.toString()).toBe('foo: bar; baz="spam"\r\nFoo: bar; cheese\r\n\r\n')
  })
})

describe('Headers (testRaisesControlCharacters)', () => {
  const controls = [...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)), '\x7f'].map(
    (c) => [c.charCodeAt(0).toString(16).padStart(2, '0'), c] as const,
  )

  it.each(controls)('rejects \\x%s in names and parameter values', (_hex, c) => {
    const h = new Headers()
    expect(
      codeOf(() => {
        h.set(`key${c}`, 'val')
      }),
    ).toBe('ERR_WSGI_INVALID_HEADER')
    expect(
      codeOf(() => {
        h.addHeader(`key${c}`, 'val', { param: 'param' })
      }),
    ).toBe('ERR_WSGI_INVALID_HEADER')
    // Parameter values are values, so HTAB passes there, as in CPython's regex.
    expect(
      codeOf(() => {
        h.addHeader('key', 'val', { param: `param${c}` })
      }),
    ).toBe(c === '\t' ? 'no error' : 'ERR_WSGI_INVALID_HEADER')
  })

  it.each(controls)('rejects \\x%s in values, except HTAB', (_hex, c) => {
    const h = new Headers()
    const expected = c === '\t' ? 'no error' : 'ERR_WSGI_INVALID_HEADER'
    expect(
      codeOf(() => {
        h.set('key', `val${c}`)
      }),
    ).toBe(expected)
    expect(
      codeOf(() => {
        h.addHeader('key', `val${c}`, { param: 'param' })
      }),
    ).toBe(expected)
  })

  it('throws WSGIErrors with CPython message text', () => {
    let error: unknown
    try {
      new Headers().set('a\r\nb', 'c')
    } catch (e) {
      error = e
    }
    expect(isWSGIError(error)).toBe(true)
    expect((error as Error).message).toBe('Control characters not allowed in headers')
  })
})
