import { describe, expect, it } from 'vitest'

import { InputReader } from './input.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

/** A source that records how many chunks were pulled, to prove reads do not run ahead. */
function counted(chunks: string[]): { source: AsyncIterable<Uint8Array>; pulled: () => number } {
  let pulled = 0
  return {
    source: {
      async *[Symbol.asyncIterator]() {
        for (const c of chunks) {
          pulled++
          await Promise.resolve()
          yield enc(c)
        }
      },
    },
    pulled: () => pulled,
  }
}

describe('InputReader#read(size)', () => {
  it('fills up to size across chunks, then returns the rest, then empty', async () => {
    const input = new InputReader([enc('ab'), enc('cde'), enc('f')])
    expect(dec(await input.read(4))).toBe('abcd')
    expect(dec(await input.read(10))).toBe('ef')
    expect((await input.read(10)).length).toBe(0)
    expect(input.ended).toBe(true)
  })

  it('reads everything when size is omitted or negative', async () => {
    expect(dec(await new InputReader([enc('ab'), enc('cd')]).read())).toBe('abcd')
    expect(dec(await new InputReader([enc('ab'), enc('cd')]).read(-1))).toBe('abcd')
  })

  it('pulls only the chunks a read needs', async () => {
    const { source, pulled } = counted(['aaaa', 'bbbb', 'cccc', 'dddd'])
    const input = new InputReader(source)
    expect(pulled()).toBe(0)
    expect(dec(await input.read(2))).toBe('aa')
    expect(pulled()).toBe(1)
    expect(dec(await input.read(4))).toBe('aabb')
    expect(pulled()).toBe(2)
  })

  it('returns an empty array for read(0) without pulling', async () => {
    const { source, pulled } = counted(['x'])
    expect((await new InputReader(source).read(0)).length).toBe(0)
    expect(pulled()).toBe(0)
  })
})

describe('InputReader#readline(size)', () => {
  it('splits lines across chunk borders and keeps the newline', async () => {
    const input = new InputReader([enc('one\ntw'), enc('o\nthr'), enc('ee')])
    expect(dec(await input.readline())).toBe('one\n')
    expect(dec(await input.readline())).toBe('two\n')
    expect(dec(await input.readline())).toBe('three')
    expect(dec(await input.readline())).toBe('')
  })

  it('stops at size before the newline', async () => {
    const input = new InputReader([enc('abcdef\nxyz')])
    expect(dec(await input.readline(3))).toBe('abc')
    expect(dec(await input.readline(100))).toBe('def\n')
  })
})

describe('InputReader#readlines(hint) and iteration', () => {
  it('returns all lines, or stops once hint bytes were read', async () => {
    expect((await new InputReader([enc('a\nb\nc')]).readlines()).map(dec)).toEqual([
      'a\n',
      'b\n',
      'c',
    ])
    expect((await new InputReader([enc('aa\nbb\ncc\n')]).readlines(4)).map(dec)).toEqual([
      'aa\n',
      'bb\n',
    ])
  })

  it('iterates line by line', async () => {
    const lines: string[] = []
    for await (const line of new InputReader([enc('x\ny\n')])) lines.push(dec(line))
    expect(lines).toEqual(['x\n', 'y\n'])
  })
})

describe('InputReader options', () => {
  it('calls onFirstRead once, before the first pull only', async () => {
    let calls = 0
    const input = new InputReader([enc('abc')], { onFirstRead: () => calls++ })
    expect(calls).toBe(0)
    await input.read(1)
    await input.read(1)
    expect(calls).toBe(1)
  })

  it('rejects a body over the limit with ERR_WSGI_BODY_TOO_LARGE', async () => {
    const input = new InputReader([enc('12345'), enc('6789')], { limit: 6 })
    await expect(input.read()).rejects.toMatchObject({ code: 'ERR_WSGI_BODY_TOO_LARGE' })
  })

  it('wraps a failing source in ERR_WSGI_INPUT_ERROR with the cause', async () => {
    const cause = new Error('socket hang up')
    const source = {
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(cause) }),
    }
    await expect(new InputReader(source).read()).rejects.toMatchObject({
      code: 'ERR_WSGI_INPUT_ERROR',
      cause,
    })
  })

  it('discards the rest of the body and reports whether it reached the end', async () => {
    const input = new InputReader([enc('aaaa'), enc('bbbb')])
    expect(await input.discard()).toBe(true)
    expect(input.bytesReceived).toBe(8)
    const capped = new InputReader([enc('aaaa'), enc('bbbb'), enc('cccc')])
    expect(await capped.discard(3)).toBe(false)
  })
})
