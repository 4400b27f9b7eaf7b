import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createServer, request } from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'

import { afterEach, describe, expect, it } from 'vitest'

import { chunksReadable, readableChunks } from './readable-chunks.ts'

const servers: ReturnType<typeof createServer>[] = []
afterEach(() => {
  for (const server of servers.splice(0)) server.close()
})

/** A server whose only route is `handle`; resolves with its port. */
async function serve(handle: (req: IncomingMessage) => Promise<string>): Promise<number> {
  const server = createServer((req, res) => {
    handle(req).then(
      (text) => res.end(text),
      (error: unknown) => res.end(`error ${(error as { code?: string }).code ?? String(error)}`),
    )
  })
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

/** PUT `total` bytes (a repeating pattern) in 64 KiB writes with backpressure; the answer. */
function upload(port: number, total: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method: 'PUT', path: '/' }, (res) => {
      let text = ''
      res.setEncoding('latin1')
      res.on('data', (part: string) => {
        text += part
      })
      res.on('end', () => {
        resolve(text)
      })
    })
    req.on('error', reject)
    req.setHeader('content-length', String(total))
    const block = patternBlock()
    let left = total
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, block.length)
        left -= n
        if (!req.write(block.subarray(0, n))) {
          req.once('drain', pump)
          return
        }
      }
      req.end()
    }
    pump()
  })
}

function patternBlock(): Buffer {
  const block = Buffer.alloc(64 * 1024)
  for (let i = 0; i < block.length; i++) block[i] = i % 251
  return block
}

function expectedHash(total: number): string {
  const hash = createHash('sha256')
  const block = patternBlock()
  for (let left = total; left > 0; left -= block.length) {
    hash.update(block.subarray(0, Math.min(left, block.length)))
  }
  return hash.digest('hex')
}

/** A stream the test pushes into by hand. */
function manual(): Readable {
  return new Readable({
    read() {
      // The test pushes.
    },
  })
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('readableChunks', () => {
  it('hands each chunk over as the stream produced it: never joined, never copied', async () => {
    const stream = manual()
    const pushed = [Buffer.from('first '), Buffer.from('second '), Buffer.from('third')]
    for (const chunk of pushed) stream.push(chunk)
    stream.push(null)
    const got: Uint8Array[] = []
    const chunks = readableChunks(stream)
    for (let step = await chunks.next(); step.done !== true; step = await chunks.next()) {
      got.push(step.value)
    }
    // Node's own iterator joins what waits in the buffer: one 'first second third' copy.
    expect(got).toHaveLength(3)
    for (const [i, chunk] of got.entries()) expect(chunk).toBe(pushed[i])
  })

  it('answers next() calls made before the last settled, in order (two readers)', async () => {
    const stream = manual()
    const chunks = readableChunks(stream)
    const waiting = [chunks.next(), chunks.next(), chunks.next()]
    stream.push(Buffer.from('a'))
    stream.push(Buffer.from('b'))
    stream.push(null)
    const got = await Promise.all(waiting)
    expect(
      got.map((step) => (step.done === true ? 'end' : Buffer.from(step.value).toString())),
    ).toEqual(['a', 'b', 'end'])
  })

  it('holds back a body the reader does not take (the socket stops), and loses nothing', async () => {
    const total = 64 * 1024 * 1024
    let heldAt = -1
    const port = await serve(async (req) => {
      const chunks = readableChunks(req)
      const hash = createHash('sha256')
      let n = 0
      const first = await chunks.next()
      if (first.done === true) return 'empty'
      hash.update(first.value)
      n += first.value.length
      // The reader stops: what Node reads from the socket must stop soon after.
      let before = -1
      while (req.socket.bytesRead !== before) {
        before = req.socket.bytesRead
        await sleep(100)
      }
      heldAt = req.socket.bytesRead
      for (let step = await chunks.next(); step.done !== true; step = await chunks.next()) {
        hash.update(step.value)
        n += step.value.length
      }
      return `${n} ${hash.digest('hex')}`
    })
    expect(await upload(port, total)).toBe(`${total} ${expectedHash(total)}`)
    // Without the pause, every byte of the upload ends up queued in memory (64 MiB).
    expect(heldAt).toBeGreaterThan(0)
    expect(heldAt).toBeLessThan(4 * 1024 * 1024)
  })

  it('fails a read when the client goes away mid-body, with a disconnect code', async () => {
    let failure: unknown
    const port = await serve(async (req) => {
      const chunks = readableChunks(req)
      try {
        for (let step = await chunks.next(); step.done !== true; step = await chunks.next());
      } catch (error) {
        failure = error
      }
      return 'done'
    })
    const client = request({ port, host: '127.0.0.1', method: 'PUT', path: '/' })
    client.on('error', () => undefined)
    client.setHeader('content-length', '1000000')
    client.write(Buffer.alloc(1000))
    await sleep(100)
    client.destroy()
    while (failure === undefined) await sleep(20)
    expect(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE']).toContain(
      (failure as { code?: string }).code,
    )
  })

  it('return() pauses the stream and gives back what it held, for the next reader', async () => {
    const stream = manual()
    const chunks = readableChunks(stream)
    const first = chunks.next()
    stream.push(Buffer.from('a'))
    stream.push(Buffer.from('b'))
    stream.push(Buffer.from('c'))
    expect(Buffer.from((await first).value as Uint8Array).toString()).toBe('a')
    // 'b' and 'c' arrive in the same turn: queued by the iterator, not yet taken.
    await sleep(0)
    await chunks.return?.()
    expect(stream.destroyed).toBe(false)
    expect(stream.isPaused()).toBe(true)
    stream.push(null)
    const rest: Buffer[] = []
    for await (const part of stream) rest.push(part as Buffer)
    expect(Buffer.concat(rest).toString()).toBe('bc')
  })

  it('ends at once for a stream that already ended, and fails for one destroyed', async () => {
    const ended = manual()
    ended.push(null)
    ended.resume()
    await once(ended, 'end')
    expect(await readableChunks(ended).next()).toEqual({ done: true, value: undefined })

    const destroyed = manual()
    destroyed.destroy()
    await expect(readableChunks(destroyed).next()).rejects.toMatchObject({
      code: 'ERR_STREAM_PREMATURE_CLOSE',
    })
  })
})

describe('chunksReadable', () => {
  it('is true for a fresh stream only: not once paused, flowing or read by readable', () => {
    expect(chunksReadable(manual())).toBe(true)
    expect(chunksReadable(manual().pause())).toBe(false)
    expect(chunksReadable(manual().resume())).toBe(false)
    const listened = manual()
    listened.on('readable', () => undefined)
    expect(chunksReadable(listened)).toBe(false)
  })
})
