import { describe, expect, it } from 'vitest'

import { readableChunks, streamInput } from './stream-input.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

/** A byte stream of `parts`, counting pulls and noting a cancel. */
function source(parts: string[]): {
  stream: ReadableStream<Uint8Array>
  pulls: () => number
  cancelled: () => boolean
} {
  let pulls = 0
  let cancelled = false
  const queue = [...parts]
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        pulls++
        const next = queue.shift()
        if (next === undefined) controller.close()
        else controller.enqueue(enc.encode(next))
      },
      cancel() {
        cancelled = true
      },
    },
    { highWaterMark: 0 },
  )
  return { stream, pulls: () => pulls, cancelled: () => cancelled }
}

const text = (bytes: Uint8Array): string => dec.decode(bytes)

describe('readableChunks(stream)', () => {
  it('yields the chunks through getReader(), even where the stream is not async-iterable', async () => {
    const { stream } = source(['ab', 'cd'])
    // As in Safari and older Workers: no Symbol.asyncIterator on ReadableStream.
    Object.defineProperty(stream, Symbol.asyncIterator, { value: undefined })
    const chunks: string[] = []
    for await (const chunk of readableChunks(stream)) chunks.push(text(chunk))
    expect(chunks).toEqual(['ab', 'cd'])
  })

  it('locks the stream only on the first next() and cancels it when iteration stops early', async () => {
    const { stream, cancelled } = source(['ab', 'cd'])
    const chunks = readableChunks(stream)
    expect(stream.locked).toBe(false)
    await chunks.next()
    expect(stream.locked).toBe(true)
    await chunks.return()
    expect(cancelled()).toBe(true)
  })
})

describe('streamInput(body)', () => {
  it('reads across chunks, then gives the rest, then empty at EOF', async () => {
    const input = streamInput(source(['ab', 'cd', 'ef']).stream)
    expect(text(await input.read(3))).toBe('abc')
    expect(text(await input.readline())).toBe('def')
    expect((await input.read()).length).toBe(0)
  })

  it('pulls nothing before the first read and no more than a read needs', async () => {
    const { stream, pulls } = source(['ab', 'cd', 'ef'])
    const input = streamInput(stream)
    expect(pulls()).toBe(0)
    await input.read(2)
    expect(pulls()).toBe(1)
  })

  it('reads nothing from a null body', async () => {
    expect((await streamInput(null).read()).length).toBe(0)
  })

  it('fails with ERR_WSGI_INPUT_ERROR, keeping the cause, when the stream errors', async () => {
    const cause = new Error('reset by peer')
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(cause)
      },
    })
    await expect(streamInput(stream).read()).rejects.toMatchObject({
      code: 'ERR_WSGI_INPUT_ERROR',
      cause,
    })
  })
})
