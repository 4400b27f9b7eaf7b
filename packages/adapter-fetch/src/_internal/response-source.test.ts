import { describe, expect, it } from 'vitest'

import { makeEnviron, runApp } from '../../test/helpers.ts'
import { fromFetch } from '../from-fetch.ts'

import { wholeBody } from './response-source.ts'

const dec = new TextDecoder()

describe('wholeBody(response): a string or bytes body taken without its stream', () => {
  it('takes a string body as UTF-8 and leaves the Response as a full read would', async () => {
    const response = new Response('héllo')
    const bytes = wholeBody(response)
    expect(bytes && dec.decode(bytes)).toBe('héllo')
    expect(response.bodyUsed).toBe(true)
    expect(response.body?.locked).toBe(true)
    await expect(response.text()).rejects.toThrow(TypeError)
  })

  it('takes a bytes body as the bytes given', () => {
    const bytes = wholeBody(new Response(new Uint8Array([1, 2, 3])))
    expect(bytes && [...bytes]).toEqual([1, 2, 3])
  })

  it.each([
    ['a stream body', () => new Response(new ReadableStream())],
    ['a null body', () => new Response(null)],
    ['a Blob body', () => new Response(new Blob(['x']))],
    [
      'a body already read from',
      () => {
        const response = new Response('x')
        void response.body?.getReader().read()
        return response
      },
    ],
    [
      'a locked body',
      () => {
        const response = new Response('x')
        response.body?.getReader()
        return response
      },
    ],
    [
      'a look-alike',
      () => ({ status: 200, headers: new Headers(), body: null }) as unknown as Response,
    ],
  ])('leaves %s to the stream path', (_, make) => {
    expect(wholeBody(make())).toBeUndefined()
  })

  it('gives fromFetch the same bytes and head as the stream path (a clone is not taken)', async () => {
    const app = fromFetch(() => new Response('caf\u00e9 ✓', { headers: { 'x-a': '1' } }))
    const fast = await runApp(app, makeEnviron())
    const slow = await runApp(
      fromFetch(() => new Response(new Response('caf\u00e9 ✓').body, { headers: { 'x-a': '1' } })),
      makeEnviron(),
    )
    expect(fast.text).toBe('café ✓')
    expect(fast.body).toEqual(slow.body)
    expect(fast.status).toBe(slow.status)
  })

  it('sends an empty string body as an empty body', async () => {
    const result = await runApp(
      fromFetch(() => new Response('')),
      makeEnviron(),
    )
    expect(result.body.length).toBe(0)
  })

  it('refuses a Response used twice, as reading it did', async () => {
    const response = new Response('once')
    const app = fromFetch(() => response)
    expect((await runApp(app, makeEnviron())).text).toBe('once')
    const again = await runApp(app, makeEnviron()).then(
      (result) => result.text,
      (error: unknown) => error,
    )
    expect(again).toBeInstanceOf(TypeError)
  })
})
