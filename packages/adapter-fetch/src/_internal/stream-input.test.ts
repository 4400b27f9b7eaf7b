import { describe, expect, it } from 'vitest'

import { StreamInput } from './stream-input.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

/** A byte stream of `parts`, counting pulls. */
function source(parts: string[]): { stream: ReadableStream<Uint8Array>; pulls: () => number } {
  let pulls = 0
  const queue = [...parts]
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        pulls++
        const next = queue.shift()
        if (next === undefined) controller.close()
        else controller.enqueue(enc.encode(next))
      },
    },
    { highWaterMark: 0 },
  )
  return { stream, pulls: () => pulls }
}

const text = (bytes: Uint8Array): string => dec.decode(bytes)

describe('StreamInput#read(size)', () => {
  it('fills up to size across chunks, then gives the rest, then empty at EOF', async () => {
    const input = new StreamInput(source(['ab', 'cd', 'ef']).stream)
    expect(text(await input.read(3))).toBe('abc')
    expect(text(await input.read())).toBe('def')
    expect((await input.read()).length).toBe(0)
  })

  it('pulls nothing before the first read and no more than a read needs', async () => {
    const { stream, pulls } = source(['ab', 'cd', 'ef'])
    const input = new StreamInput(stream)
    expect(pulls()).toBe(0)
    await input.read(2)
    expect(pulls()).toBe(1)
  })

  it('reads nothing from a null body', async () => {
    expect((await new StreamInput(null).read()).length).toBe(0)
  })
})

describe('StreamInput#readline(size)', () => {
  it.each([
    [['one\ntwo\n'], undefined, ['one\n', 'two\n', '']],
    [['on', 'e\ntw', 'o'], undefined, ['one\n', 'two', '']],
    [['abcdef\n'], 4, ['abcd', 'ef\n', '']],
    [['ab\ncd'], 10, ['ab\n', 'cd', '']],
  ])('splits %o with size %s into %o', async (parts, size, lines) => {
    const input = new StreamInput(source(parts).stream)
    const got: string[] = []
    while (got.length < lines.length) got.push(text(await input.readline(size)))
    expect(got).toEqual(lines)
  })
})

describe('StreamInput#readlines(hint)', () => {
  it('reads every line, or stops once hint bytes were read', async () => {
    const all = await new StreamInput(source(['a\nb\n', 'c\n']).stream).readlines()
    expect(all.map(text)).toEqual(['a\n', 'b\n', 'c\n'])
    const some = await new StreamInput(source(['aa\nbb\ncc\n']).stream).readlines(4)
    expect(some.map(text)).toEqual(['aa\n', 'bb\n'])
  })

  it('iterates lines with for await', async () => {
    const lines: string[] = []
    for await (const line of new StreamInput(source(['x\ny', '\nz']).stream)) lines.push(text(line))
    expect(lines).toEqual(['x\n', 'y\n', 'z'])
  })
})

describe('StreamInput errors', () => {
  it('fails with ERR_WSGI_INPUT_ERROR, keeping the cause, when the stream errors', async () => {
    const cause = new Error('reset by peer')
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(cause)
      },
    })
    await expect(new StreamInput(stream).read()).rejects.toMatchObject({
      code: 'ERR_WSGI_INPUT_ERROR',
      cause,
    })
  })
})
