import { describe, expect, it } from 'vitest'

import { firstWord, parsePythonInt, repr, tupleRepr, typeRepr } from './python.ts'

// Every expected value below was printed by CPython 3.11.

describe('repr(value)', () => {
  it.each([
    ['', "''"],
    ['abc', "'abc'"],
    ["it's", `"it's"`],
    ['a"b', `'a"b'`],
    [`a'b"c`, `'a\\'b"c'`],
    ['\t\n\r\x00\x7f\x85\xa0\xad\xe9', "'\\t\\n\\r\\x00\\x7f\\x85\\xa0\\xad\xe9'"],
    ['back\\slash', "'back\\\\slash'"],
    ['\u2028', "'\\u2028'"],
    ['\u{e0001}', "'\\U000e0001'"],
    ['\u{1f600}', "'\u{1f600}'"],
    ['\ud800', "'\\ud800'"],
  ])('renders the string %o as Python does', (value, expected) => {
    expect(repr(value)).toBe(expected)
  })

  it.each([
    [new Uint8Array(), "b''"],
    [Buffer.from('abc'), "b'abc'"],
    [Buffer.from("it's"), `b"it's"`],
    [Buffer.from(`a"b'c`), `b'a"b\\'c'`],
    [Uint8Array.of(0, 9, 10, 13, 0x7f, 0x80, 0xff, 0x5c), "b'\\x00\\t\\n\\r\\x7f\\x80\\xff\\\\'"],
  ])('renders the bytes %o as Python does', (value, expected) => {
    expect(repr(value)).toBe(expected)
  })

  it('renders arrays as lists and plain objects as dicts, cycles as Python does', () => {
    const list: unknown[] = ['a', 1]
    list.push(list)
    expect(repr(list)).toBe("['a', 1, [...]]")
    const dict: Record<string, unknown> = { k: 'v' }
    dict['self'] = dict
    expect(repr(dict)).toBe("{'k': 'v', 'self': {...}}")
    expect(repr(Object.assign(Object.create(null) as object, { a: [] }))).toBe("{'a': []}")
  })

  it('renders True, False, None and frozen arrays as tuples, as Python does', () => {
    expect(repr(null)).toBe('None')
    expect(repr(undefined)).toBe('undefined')
    expect(repr(true)).toBe('True')
    expect(repr(false)).toBe('False')
    expect(repr(Object.freeze([1, 0]))).toBe('(1, 0)')
    expect(repr(Object.freeze(['x']))).toBe("('x',)")
    expect(repr([Object.freeze([true])])).toBe('[(True,)]')
  })

  it('names values Python has no literal for', () => {
    expect(repr(new Map())).toBe('<Map>')
    expect(repr(10n)).toBe('10n')
    expect(
      repr(function named() {
        return 1
      }),
    ).toBe('<function named>')
  })
})

describe('typeRepr(value)', () => {
  it.each([
    ['x', "<class 'str'>"],
    [1, "<class 'int'>"],
    [1.5, "<class 'float'>"],
    [1n, "<class 'int'>"],
    [false, "<class 'bool'>"],
    [null, "<class 'NoneType'>"],
    [undefined, "<class 'undefined'>"],
    [Buffer.from('x'), "<class 'bytes'>"],
    [[], "<class 'list'>"],
    [{}, "<class 'dict'>"],
    [new Map(), "<class 'Map'>"],
    [() => 0, "<class 'function'>"],
    [Symbol('s'), "<class 'symbol'>"],
  ])('names the type of %o', (value, expected) => {
    expect(typeRepr(value)).toBe(expected)
  })
})

describe('tupleRepr(items)', () => {
  it.each([
    [[], '()'],
    [['200 OK'], "('200 OK',)"],
    [['a', 1], "('a', 1)"],
  ])('renders %o as a Python tuple', (items, expected) => {
    expect(tupleRepr(items)).toBe(expected)
  })
})

describe('firstWord(text)', () => {
  it.each([
    ['200 OK', '200'],
    [' 200 OK', '200'],
    ['\x1c200\x1fOK', '200'],
    ['\xa0200', '200'],
    ['200\x85OK', '200'],
    ['\ufeff200 OK', '\ufeff200'],
    ['', ''],
    ['   ', ''],
  ])("gives %o.split(None, 1)[0] as %o ('' where Python raises IndexError)", (text, word) => {
    expect(firstWord(text)).toBe(word)
  })
})

describe('parsePythonInt(text)', () => {
  it.each([
    ['12', 12],
    [' 12 ', 12],
    ['+5', 5],
    ['-0', 0],
    ['1_000', 1000],
    ['7\x85', 7],
    ['\xa07', 7],
    ['\v7\f', 7],
    ['7\u3000', 7],
  ])('parses %o as %d', (text, value) => {
    expect(parsePythonInt(text)).toBe(value)
  })

  it.each(['1__0', '_1', '1_', '0x10', '1.5', '\x1c7', '', ' ', 'abc'])(
    'rejects %o, as int() raises ValueError',
    (text) => {
      expect(parsePythonInt(text)).toBeUndefined()
    },
  )
})
