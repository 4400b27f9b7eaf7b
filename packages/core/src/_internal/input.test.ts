import { describe, expect, it } from 'vitest'

import type { InputStream } from '../types.ts'

import { InputReader, readChunk } from './input.ts'

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

  it('joins chunks into a buffer of its own, holding exactly the bytes read', async () => {
    const input = new InputReader([enc('ab'), enc('cd'), enc('ef')])
    const joined = await input.read(5)
    expect(dec(joined)).toBe('abcde')
    expect(joined.byteOffset).toBe(0)
    expect(joined.buffer.byteLength).toBe(5)
  })

  it('joins large chunks into a plain Uint8Array of its own, every byte from the chunks', async () => {
    // Above the size where the join is not zero-filled first: no stale memory, no pooled Buffer.
    const a = new Uint8Array(5000).fill(1)
    const b = new Uint8Array(7000).fill(2)
    const joined = await new InputReader([a, b]).read()
    expect(Object.getPrototypeOf(joined)).toBe(Uint8Array.prototype)
    expect(joined.byteOffset).toBe(0)
    expect(joined.buffer.byteLength).toBe(12000)
    expect(joined.subarray(0, 5000).every((byte) => byte === 1)).toBe(true)
    expect(joined.subarray(5000).every((byte) => byte === 2)).toBe(true)
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

describe('InputReader#read1(size)', () => {
  it('returns one chunk at a time, the same bytes without a copy, then empty at EOF', async () => {
    const a = enc('abc')
    const b = enc('defg')
    const input = new InputReader([a, b])
    const first = await input.read1(10)
    expect(first).toBe(a)
    expect(dec(await input.read1(10))).toBe('defg')
    expect((await input.read1(10)).length).toBe(0)
    expect(input.ended).toBe(true)
  })

  it('cuts a chunk at size and returns the rest of it next, as views of the same buffer', async () => {
    const chunk = enc('abcdef')
    const input = new InputReader([chunk, enc('gh')])
    const head = await input.read1(4)
    expect(dec(head)).toBe('abcd')
    expect(head.buffer).toBe(chunk.buffer)
    const tail = await input.read1(4)
    expect(dec(tail)).toBe('ef')
    expect(tail.buffer).toBe(chunk.buffer)
    expect(dec(await input.read1(4))).toBe('gh')
  })

  it('answers from the buffer without pulling, and pulls one chunk when it is empty', async () => {
    const { source, pulled } = counted(['aaaa', 'bbbb', 'cccc'])
    const input = new InputReader(source)
    expect(dec(await input.readline(1))).toBe('a')
    expect(pulled()).toBe(1)
    expect(dec(await input.read1(100))).toBe('aaa')
    expect(pulled()).toBe(1)
    expect(dec(await input.read1(100))).toBe('bbbb')
    expect(pulled()).toBe(2)
  })

  it('returns a whole chunk when size is omitted or negative', async () => {
    const input = new InputReader([enc('ab'), enc('cd')])
    expect(dec(await input.read1())).toBe('ab')
    expect(dec(await input.read1(-1))).toBe('cd')
    expect((await input.read1()).length).toBe(0)
  })

  it('skips empty chunks instead of reporting EOF', async () => {
    const input = new InputReader([new Uint8Array(0), enc('x'), new Uint8Array(0)])
    expect(dec(await input.read1(5))).toBe('x')
    expect((await input.read1(5)).length).toBe(0)
  })

  it('returns an empty array for read1(0) without pulling', async () => {
    const { source, pulled } = counted(['x'])
    expect((await new InputReader(source).read1(0)).length).toBe(0)
    expect(pulled()).toBe(0)
  })

  it('mixes with read(size) without losing or reordering bytes', async () => {
    const input = new InputReader([enc('0123'), enc('4567'), enc('89')])
    expect(dec(await input.read(3))).toBe('012')
    expect(dec(await input.read1(8))).toBe('3')
    expect(dec(await input.read(4))).toBe('4567')
    expect(dec(await input.read1(8))).toBe('89')
    expect(input.bytesReceived).toBe(10)
  })

  it('enforces the limit and calls onFirstRead as read() does', async () => {
    let calls = 0
    const input = new InputReader([enc('12345'), enc('6789')], {
      limit: 6,
      onFirstRead: () => calls++,
    })
    expect(dec(await input.read1(10))).toBe('12345')
    expect(calls).toBe(1)
    await expect(input.read1(10)).rejects.toMatchObject({ code: 'ERR_WSGI_BODY_TOO_LARGE' })
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

describe('readChunk(input, size)', () => {
  it('takes read1 where the input has it: each chunk as it came, never joined', async () => {
    const a = enc('abc')
    const input = new InputReader([a, enc('defg')])
    expect(await readChunk(input, 100)).toBe(a)
    expect(dec(await readChunk(input, 2))).toBe('de')
    expect(dec(await readChunk(input, 100))).toBe('fg')
    expect((await readChunk(input, 100)).length).toBe(0)
  })

  it("falls back on read(size) for another server's wsgi.input", async () => {
    const inner = new InputReader([enc('abc'), enc('defg')])
    const sizes: number[] = []
    const plain: InputStream = {
      read: (size) => {
        sizes.push(size ?? -1)
        return inner.read(size)
      },
      readline: (size) => inner.readline(size),
      readlines: (hint) => inner.readlines(hint),
      [Symbol.asyncIterator]: () => inner[Symbol.asyncIterator](),
    }
    expect(dec(await readChunk(plain, 5))).toBe('abcde')
    expect(sizes).toEqual([5])
  })
})
