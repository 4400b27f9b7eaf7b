import { describe, expect, it } from 'vitest'

import { MemoryErrors } from '../../test/helpers.ts'
import { StreamResponseBody, responseBody } from './response-body.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

async function collect(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<string> {
  let text = ''
  for await (const chunk of body) text += dec.decode(chunk)
  return text
}

describe('responseBody(stream, errors)', () => {
  it.each([
    ['a string', () => new Response('hello').body!],
    ['bytes', () => new Response(enc.encode('hello')).body!],
  ])('gives a Response body of %s as a one-item list', async (_, make) => {
    const body = await responseBody(make(), new MemoryErrors())
    expect(Array.isArray(body)).toBe(true)
    expect(await collect(body)).toBe('hello')
  })

  it('gives an empty body for a stream that ends at once', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.close()
      },
    })
    expect(await collect(await responseBody(stream, new MemoryErrors()))).toBe('')
  })

  it('streams a body that goes on after its first chunk, every chunk once', async () => {
    let pulls = 0
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        pulls++
        if (pulls > 3) {
          controller.close()
          return
        }
        if (pulls > 1) await new Promise((resolve) => setTimeout(resolve, 5))
        controller.enqueue(enc.encode(`c${pulls}`))
      },
    })
    const body = await responseBody(stream, new MemoryErrors())
    expect(body).toBeInstanceOf(StreamResponseBody)
    expect(await collect(body)).toBe('c1c2c3')
  })

  it('cancels the source when a streamed body is closed early', async () => {
    let cancelled = false
    let n = 0
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        n++
        if (n > 1) await new Promise((resolve) => setTimeout(resolve, 5))
        controller.enqueue(enc.encode('tick'))
      },
      cancel() {
        cancelled = true
      },
    })
    const body = (await responseBody(stream, new MemoryErrors())) as StreamResponseBody
    const first = await body.next()
    expect(first.done).toBe(false)
    await body.close()
    expect(cancelled).toBe(true)
    expect((await body.next()).done).toBe(true)
  })

  it('rejects when the stream fails before its first chunk', async () => {
    const stream = new ReadableStream<Uint8Array>({
      pull() {
        throw new Error('broken source')
      },
    })
    await expect(responseBody(stream, new MemoryErrors())).rejects.toThrow('broken source')
  })
})
