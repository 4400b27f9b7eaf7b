import { describe, expect, it } from 'vitest'

import { isWSGIError } from './errors.ts'
import { Headers, isHeaders } from './headers.ts'
import type { HeaderList } from './types.ts'

// What Node's util.inspect calls; invoked directly so this file also runs outside Node.
function inspect(value: object): unknown {
  const hook: unknown = Reflect.get(value, Symbol.for('nodejs.util.inspect.custom'))
  if (typeof hook !== 'function') throw new Error('no inspect hook')
  return Reflect.apply(hook, value, [])
}

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn()
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('expected a throw')
}

describe('new Headers(headers)', () => {
  it('wraps the same array, so changes are visible to its owner', () => {
    const list: HeaderList = [['A', '1']]
    const h = new Headers(list)
    h.set('B', '2')
    h.delete('a')
    expect(list).toEqual([['B', '2']])
  })

  it('starts empty for undefined and null', () => {
    expect(new Headers(undefined).size).toBe(0)
    expect(new Headers(null).size).toBe(0)
  })

  it.each([{}, 'x', 42, new Map()])('rejects %j with ERR_WSGI_INVALID_ARG_TYPE', (value) => {
    const error = thrown(() => new Headers(value as unknown as HeaderList))
    expect(error).toBeInstanceOf(TypeError)
    expect(error.code).toBe('ERR_WSGI_INVALID_ARG_TYPE')
    expect(error.message).toBe('Headers must be a list of name/value tuples')
  })

  it.each([[['a']], [['a', 'b', 'c']], ['ab']])('rejects the item %j', (item) => {
    const error = thrown(() => new Headers([item] as unknown as HeaderList))
    expect(error.code).toBe('ERR_WSGI_INVALID_ARG_TYPE')
  })

  it.each([
    [[['a', 1]], 'Header names/values must be of type str (got 1)'],
    [[[null, 'v']], 'Header names/values must be of type str (got None)'],
    [[['a\n', 'v']], 'Control characters not allowed in headers'],
    [[['a', 'v\r']], 'Control characters not allowed in headers'],
  ])('checks every item of %j', (list, message) => {
    const error = thrown(() => new Headers(list as unknown as HeaderList))
    expect(isWSGIError(error) && error.code).toBe('ERR_WSGI_INVALID_HEADER')
    expect(error.message).toBe(message)
  })

  it('accepts HTAB in values', () => {
    expect(new Headers([['a', 'x\ty']]).get('a')).toBe('x\ty')
  })
})

describe('Headers lookups', () => {
  it('compares names ASCII-case-insensitively only', () => {
    const h = new Headers([
      ['X-\xc4', '1'],
      ['Content-TYPE', 'text/plain'],
    ])
    expect(h.get('content-type')).toBe('text/plain')
    expect(h.get('x-\xc4')).toBe('1')
    expect(h.get('x-\xe4')).toBeUndefined()
  })

  it.each<[string, (h: Headers) => unknown]>([
    ['get', (h) => h.get('a\x00')],
    ['getAll', (h) => h.getAll('a\n')],
    ['has', (h) => h.has('\x7fa')],
    [
      'delete',
      (h) => {
        h.delete('a\r')
      },
    ],
  ])('checks the name given to %s', (_name, call) => {
    expect(thrown(() => call(new Headers())).code).toBe('ERR_WSGI_INVALID_HEADER')
  })

  it('rejects a non-string lookup name', () => {
    const error = thrown(() => new Headers().get(42 as unknown as string))
    expect(error.code).toBe('ERR_WSGI_INVALID_HEADER')
    expect(error.message).toBe('Header names/values must be of type str (got 42)')
  })
})

describe('Headers#set(name, value)', () => {
  it('removes every match and appends at the end, keeping the others in order', () => {
    const h = new Headers([
      ['Set-Cookie', 'a=1'],
      ['X', '1'],
      ['set-cookie', 'b=2'],
      ['Y', '2'],
    ])
    h.set('SET-COOKIE', 'c=3')
    expect(h.items()).toEqual([
      ['X', '1'],
      ['Y', '2'],
      ['SET-COOKIE', 'c=3'],
    ])
  })

  it('leaves the headers unchanged when the value is rejected', () => {
    const h = new Headers([['A', '1']])
    expect(
      thrown(() => {
        h.set('A', 'x\ny')
      }).code,
    ).toBe('ERR_WSGI_INVALID_HEADER')
    expect(h.items()).toEqual([['A', '1']])
  })
})

describe('Headers#setDefault(name, value)', () => {
  it('checks the value it appends', () => {
    expect(thrown(() => new Headers().setDefault('a', 'b\n')).code).toBe('ERR_WSGI_INVALID_HEADER')
  })
})

describe('Headers#addHeader(name, value, params)', () => {
  it.each<
    [string | null | undefined, Record<string, string | null | undefined> | undefined, string]
  >([
    ['attachment', { filename: 'bud.gif' }, 'attachment; filename="bud.gif"'],
    ['v', { foo_bar: 'baz', a_b: null }, 'v; foo-bar="baz"; a-b'],
    [null, { foo: null }, 'foo'],
    [null, undefined, ''],
    [undefined, { foo: undefined }, 'foo'],
    ['v', { f: 'a"b\\c' }, 'v; f="a\\"b\\\\c"'],
    ['v', { empty: '' }, 'v; empty'],
    ['v', { token: 'plain' }, 'v; token="plain"'],
    ['', { a: 'b' }, '; a="b"'],
  ])('turns %j with %j into %j', (value, params, expected) => {
    const h = new Headers([['Keep', 'me']])
    h.addHeader('X', value, params)
    expect(h.items()).toEqual([
      ['Keep', 'me'],
      ['X', expected],
    ])
  })

  it('never replaces an existing header', () => {
    const h = new Headers()
    h.addHeader('X', 'a')
    h.addHeader('x', 'b')
    expect(h.getAll('X')).toEqual(['a', 'b'])
  })

  it('rejects non-string parameter values', () => {
    const error = thrown(() => {
      new Headers().addHeader('X', 'v', { n: 1 } as unknown as Record<string, string>)
    })
    expect(error.code).toBe('ERR_WSGI_INVALID_HEADER')
    expect(error.message).toBe('Header names/values must be of type str (got 1)')
  })
})

describe('Headers iteration', () => {
  it('iterates the [name, value] pairs', () => {
    const h = new Headers([
      ['A', '1'],
      ['B', '2'],
    ])
    expect([...h]).toEqual([
      ['A', '1'],
      ['B', '2'],
    ])
  })
})

describe('Headers#toString()', () => {
  it('writes a CRLF block ending with an empty line', () => {
    const h = new Headers([
      ['Content-Type', 'text/plain'],
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
    ])
    expect(String(h)).toBe('Content-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n')
  })
})

describe('Headers#toBytes()', () => {
  it('encodes latin-1, one byte per character', () => {
    const h = new Headers([['X', '\xe9\x80']])
    expect(h.toBytes()).toEqual(Uint8Array.of(0x58, 0x3a, 0x20, 0xe9, 0x80, 13, 10, 13, 10))
  })

  it('throws ERR_WSGI_NOT_LATIN1 for characters above U+00FF', () => {
    const h = new Headers([['X', 'caf\u20ac']])
    const error = thrown(() => h.toBytes())
    expect(isWSGIError(error) && error.code).toBe('ERR_WSGI_NOT_LATIN1')
    expect(error.message).toContain('U+20AC')
  })
})

describe('util.inspect(headers)', () => {
  it("shows Python's repr", () => {
    const h = new Headers([
      ['A', '1'],
      ['B', 'a\\b'],
    ])
    expect(inspect(h)).toBe("Headers([('A', '1'), ('B', 'a\\\\b')])")
    expect(inspect(new Headers())).toBe('Headers([])')
  })

  it('uses the subclass name', () => {
    class MyHeaders extends Headers {}
    expect(inspect(new MyHeaders([['A', '1']]))).toBe("MyHeaders([('A', '1')])")
  })
})

describe('isHeaders(value)', () => {
  it('recognises instances by brand, also across package copies', () => {
    expect(isHeaders(new Headers())).toBe(true)
    const foreign = Object.create({ [Symbol.for('@wsgi/core.Headers')]: true }) as object
    expect(isHeaders(foreign)).toBe(true)
    expect(foreign instanceof Headers).toBe(true)
  })

  it('rejects other values, including the WHATWG Headers', () => {
    expect(isHeaders(new globalThis.Headers())).toBe(false)
    expect(isHeaders(null)).toBe(false)
    expect(isHeaders([['a', 'b']])).toBe(false)
    expect(new globalThis.Headers() instanceof Headers).toBe(false)
  })

  it('keeps the ordinary instanceof for subclasses', () => {
    class MyHeaders extends Headers {}
    expect(new MyHeaders() instanceof MyHeaders).toBe(true)
    expect(new Headers() instanceof MyHeaders).toBe(false)
    expect(new MyHeaders() instanceof Headers).toBe(true)
  })
})
