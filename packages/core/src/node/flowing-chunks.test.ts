import { Readable } from 'node:stream'

import { describe, expect, it } from 'vitest'

import { FlowingChunks } from './flowing-chunks.ts'

/** A paused byte stream that holds `chunks` already (as a socket that ran ahead of its reader). */
function ahead(chunks: Buffer[], highWaterMark = 16): Readable {
  const stream = pushed(highWaterMark)
  for (const chunk of chunks) stream.push(chunk)
  return stream
}

/** A stream whose chunks the test pushes itself: its `_read` has nothing to fetch. */
function pushed(highWaterMark = 16): Readable {
  return new Readable({ read: noFetch, highWaterMark })
}

function noFetch(): void {
  // The test pushes the chunks.
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('FlowingChunks', () => {
  it('hands on each chunk as the stream emitted it, never joined', async () => {
    const parts = [Buffer.from('abc'), Buffer.from('defg'), Buffer.from('h')]
    const stream = ahead(parts, 1024)
    stream.push(null)
    const chunks = new FlowingChunks(stream)
    const seen: Uint8Array[] = []
    for (let step = await chunks.next(); step.done !== true; step = await chunks.next()) {
      seen.push(step.value)
    }
    // Node's own iterator reads with read(), which returns the three joined into one buffer.
    expect(seen).toEqual(parts)
    expect(seen[0]?.buffer).toBe(parts[0]?.buffer)
  })

  it('pauses the stream while more than its high-water mark waits unread, and resumes it', async () => {
    const stream = pushed(8)
    const chunks = new FlowingChunks(stream)
    stream.push(Buffer.alloc(5, 'a'))
    stream.push(Buffer.alloc(5, 'b'))
    await tick()
    expect(stream.isPaused()).toBe(true)
    expect((await chunks.next()).value).toEqual(Buffer.alloc(5, 'a'))
    expect(stream.isPaused()).toBe(false)
    expect((await chunks.next()).value).toEqual(Buffer.alloc(5, 'b'))
    stream.push(null)
    expect((await chunks.next()).done).toBe(true)
  })

  it('waits for the next chunk when nothing is queued', async () => {
    const stream = pushed()
    const chunks = new FlowingChunks(stream)
    const next = chunks.next()
    stream.push(Buffer.from('late'))
    expect((await next).value).toEqual(Buffer.from('late'))
  })

  it('answers two waiting readers in order (a bridge still pulling while the handler drains)', async () => {
    const stream = pushed()
    const chunks = new FlowingChunks(stream)
    const first = chunks.next()
    const second = chunks.next()
    stream.push(Buffer.from('one'))
    stream.push(Buffer.from('two'))
    expect((await first).value).toEqual(Buffer.from('one'))
    expect((await second).value).toEqual(Buffer.from('two'))
    const third = chunks.next()
    const fourth = chunks.next()
    stream.push(null)
    expect((await third).done).toBe(true)
    expect((await fourth).done).toBe(true)
  })

  it('return() stops reading: the stream is paused, not destroyed, its listeners gone', async () => {
    const stream = ahead([Buffer.from('abc')])
    const chunks = new FlowingChunks(stream)
    expect((await chunks.next()).value).toEqual(Buffer.from('abc'))
    await chunks.return()
    expect(stream.isPaused()).toBe(true)
    expect(stream.destroyed).toBe(false)
    expect(stream.listenerCount('data')).toBe(0)
    expect(stream.listenerCount('error')).toBe(0)
    expect((await chunks.next()).done).toBe(true)
  })

  it("rejects with the stream's error, after the chunks that came before it", async () => {
    const stream = ahead([Buffer.from('abc')])
    const chunks = new FlowingChunks(stream)
    await tick()
    stream.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))
    await tick()
    expect((await chunks.next()).value).toEqual(Buffer.from('abc'))
    await expect(chunks.next()).rejects.toMatchObject({ code: 'ECONNRESET' })
  })

  it('rejects a stream closed before its end as a premature close', async () => {
    const stream = pushed()
    const chunks = new FlowingChunks(stream)
    const next = chunks.next()
    stream.destroy()
    await expect(next).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' })
  })
})
