import { describe, expect, it } from 'vitest'

import { BodyFeed } from './body-feed.ts'

describe('BodyFeed', () => {
  it('takes chunks at once while its buffer has room, then waits for the reader', async () => {
    const feed = new BodyFeed(4)
    expect(feed.feed(new Uint8Array(2))).toBeUndefined()
    const waiting = feed.feed(new Uint8Array(4))
    expect(waiting).toBeInstanceOf(Promise)
    let settled = false
    void waiting?.then(() => (settled = true))
    await new Promise((resolve) => setImmediate(resolve))
    expect(settled).toBe(false)
    feed.read()
    await waiting
    expect(settled).toBe(true)
  })

  it('ends after the chunks pushed, and says it is complete', async () => {
    const feed = new BodyFeed()
    feed.feed(Buffer.from('ab'))
    feed.finish()
    expect(feed.complete).toBe(true)
    const chunks: Buffer[] = []
    for await (const chunk of feed) chunks.push(chunk as Buffer)
    expect(Buffer.concat(chunks).toString()).toBe('ab')
  })

  it('fails a waiting feed, and every later one, with ERR_STREAM_DESTROYED once destroyed', async () => {
    const feed = new BodyFeed(1)
    const waiting = feed.feed(new Uint8Array(8))
    feed.destroy()
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_STREAM_DESTROYED' })
    expect(() => feed.feed(new Uint8Array(1))).toThrow(
      expect.objectContaining({ code: 'ERR_STREAM_DESTROYED' }),
    )
  })
})
