import { describe, expect, it } from 'vitest'

import { lazyBodyInput, readableChunks, streamInput } from './stream-input.ts'

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

/** A POST `Request` of `body` with `headers`, counting reads of `body` and `arrayBuffer()`. */
function counted(
  body: string | ReadableStream<Uint8Array>,
  headers: Record<string, string>,
): { request: Request; bodyReads: () => number; wholeReads: () => number } {
  const request = new Request('http://x/', {
    method: 'POST',
    body,
    headers,
    ...(typeof body === 'string' ? {} : { duplex: 'half' }),
  })
  let bodyReads = 0
  let wholeReads = 0
  const proto = Request.prototype
  Object.defineProperty(request, 'body', {
    get(this: Request) {
      bodyReads++
      return Reflect.get(proto, 'body', this) as ReadableStream<Uint8Array> | null
    },
  })
  Object.defineProperty(request, 'arrayBuffer', {
    value(this: Request) {
      wholeReads++
      return proto.arrayBuffer.call(this)
    },
  })
  return { request, bodyReads: () => bodyReads, wholeReads: () => wholeReads }
}

describe('lazyBodyInput(request)', () => {
  it('reads nothing before the first read', async () => {
    const { request, bodyReads, wholeReads } = counted('abc', { 'content-length': '3' })
    const input = lazyBodyInput(request)
    expect([bodyReads(), wholeReads()]).toEqual([0, 0])
    expect(text(await input.read())).toBe('abc')
  })

  it('reads a body declared at most 64 KiB long whole, with arrayBuffer(), never request.body', async () => {
    const payload = 'x'.repeat(64 * 1024)
    const { request, bodyReads, wholeReads } = counted(payload, {
      'content-length': String(payload.length),
    })
    const input = lazyBodyInput(request)
    expect(text(await input.read(10))).toBe('x'.repeat(10))
    expect((await input.read()).length).toBe(payload.length - 10)
    expect((await input.read()).length).toBe(0)
    expect([bodyReads(), wholeReads()]).toEqual([0, 1])
  })

  it('streams request.body when the declared length is larger, missing or not a plain number', async () => {
    const lengths = [String(64 * 1024 + 1), undefined, '+3', '0x3', '3, 3', '000000003']
    for (const length of lengths) {
      const { request, bodyReads, wholeReads } = counted(
        source(['ab', 'c']).stream,
        length === undefined ? {} : { 'content-length': length },
      )
      expect(text(await lazyBodyInput(request).read())).toBe('abc')
      expect([length, bodyReads(), wholeReads()]).toEqual([length, 1, 0])
    }
  })

  it('keeps the input limit on a body read whole', async () => {
    const { request } = counted('abcdef', { 'content-length': '6' })
    await expect(lazyBodyInput(request, 4).read()).rejects.toMatchObject({
      code: 'ERR_WSGI_BODY_TOO_LARGE',
    })
  })

  it('reads an empty declared body as EOF', async () => {
    const { request, wholeReads } = counted('', { 'content-length': '0' })
    expect((await lazyBodyInput(request).read()).length).toBe(0)
    expect(wholeReads()).toBe(1)
  })
})
