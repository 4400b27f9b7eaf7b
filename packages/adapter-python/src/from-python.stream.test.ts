/**
 * The streamed side of `fromPython`, through core's server on real sockets: `wsgi.input` fed
 * from the client as Python reads (bodies far over the old 10 MiB buffer, memory flat, the socket
 * not read ahead of Python), every file-like read on a streamed body, a body pulled no faster
 * than the client takes it, the event loop free while Python computes, a crashed worker.
 */
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'

import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'

import { makeServer } from '@wsgi/core/simple-server'
import type { WSGIServer } from '@wsgi/core/simple-server'
import { MemoryErrors } from '@wsgi/conformance'

import { FIXTURES, PATHS, send } from '../test/helpers.ts'
import { fromPython } from './from-python.ts'

const MiB = 1024 * 1024

let server: WSGIServer
const errors = new MemoryErrors()
// The server side of the newest connection, for what it has read from the client.
let lastSocket: Socket | undefined

beforeAll(async () => {
  server = await makeServer('127.0.0.1', 0, fromPython('stream_app:app', { paths: PATHS }), {
    accessLog: false,
  })
  server.stderr = errors
  server.httpServer.on('connection', (socket: Socket) => {
    lastSocket = socket
  })
  void server.serveForever()
  // The first request waits for Pyodide: out of the way before anything is measured.
  expect((await send(server.serverPort, { path: '/nothing' })).status).toBe(200)
})

afterAll(async () => {
  await server.shutdown()
})

/** `size` bytes made as the socket takes them (1 MiB of random bytes, repeated). */
function upload(size: number): { stream: Readable; digest: () => string } {
  const block = randomBytes(MiB)
  const hash = createHash('sha256')
  let sent = 0
  const stream = new Readable({
    read() {
      if (sent >= size) {
        this.push(null)
        return
      }
      const chunk = block.subarray(0, Math.min(MiB, size - sent))
      sent += chunk.length
      hash.update(chunk)
      this.push(chunk)
    },
  })
  return { stream, digest: () => hash.digest('hex') }
}

/** POST `size` streamed bytes to `path`; the response's status and text. */
async function post(
  path: string,
  size: number,
): Promise<{ status: number; text: string; digest: string }> {
  const { stream, digest } = upload(size)
  const req = request({
    host: '127.0.0.1',
    port: server.serverPort,
    method: 'POST',
    path,
    headers: { 'content-length': String(size) },
    agent: false,
  })
  stream.pipe(req)
  const [res] = (await once(req, 'response')) as [IncomingMessage]
  let text = ''
  for await (const chunk of res) text += (chunk as Buffer).toString()
  return { status: res.statusCode!, text, digest: digest() }
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(20)
}

/** A flag file in the fixture folder, which Python sees through its mount; removed after. */
function flag(): { name: string; raise: () => void } {
  const name = `.flag-${randomBytes(6).toString('hex')}`
  const path = join(FIXTURES, name)
  onTestFinished(() => {
    rmSync(path, { force: true })
  })
  return {
    name,
    raise: () => {
      writeFileSync(path, '')
    },
  }
}

describe('fromPython streams wsgi.input', () => {
  it('hands Python 256 MiB read in 64 KiB steps, with Node memory staying flat', async () => {
    // A first upload grows what any upload grows once (heaps, socket buffers); then measure.
    expect((await post('/count', 64 * MiB)).status).toBe(200)
    const before = process.memoryUsage.rss()
    let peak = before
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss())
    }, 50)
    const size = 256 * MiB
    try {
      const { status, text, digest } = await post('/count', size)
      expect(status).toBe(200)
      expect(text).toBe(`${size} ${digest}`)
    } finally {
      clearInterval(sampler)
    }
    peak = Math.max(peak, process.memoryUsage.rss())
    // The old adapter refused this body (413 over 10 MiB); buffering it would take 256 MiB.
    expect(peak - before).toBeLessThan(64 * MiB)
  })

  it('reads from the socket only as far as Python has read (backpressure)', async () => {
    const go = flag()
    errors.text = ''
    const size = 64 * MiB
    const answer = post(`/stall?${go.name}`, size)
    await until(() => errors.text.includes('stalled'))
    // Give a reader that ran ahead time to do so; Python is not reading meanwhile.
    await sleep(500)
    const read = lastSocket!.bytesRead
    go.raise()
    const { status, text, digest } = await answer
    expect(status).toBe(200)
    expect(text).toBe(`${size} ${digest}`)
    // Python read 1 MiB: what Node took from the socket is that, a 64 KiB window and the
    // stream buffers, nowhere near the 64 MiB the client was ready to send.
    expect(read).toBeGreaterThan(MiB)
    expect(read).toBeLessThan(4 * MiB)
  })

  const LINES = Array.from({ length: 20_000 }, (_, i) => `line ${String(i).padStart(5, '0')}\n`)
  const BODY = Buffer.from(LINES.join(''))
  const expected = {
    readline: LINES[0],
    'readline(3)': 'lin',
    next: LINES[1]!.slice(3),
    // readlines(hint) stops once the lines read reach the hint: 10 lines of 11 bytes.
    'readlines(100)': LINES.slice(2, 12),
    'read(10)': LINES[12]!.slice(0, 10),
    rest: BODY.length - 12 * 11 - 10,
  }

  it.each<[string, string, Record<string, string>]>([
    ['read()', 'rest', {}],
    ['iteration', 'iterate', {}],
    ['read() (chunked upload)', 'rest', { 'transfer-encoding': 'chunked' }],
  ])(
    'serves readline, readlines, next() and %s on a streamed body',
    async (_label, qs, headers) => {
      const res = await send(server.serverPort, {
        method: 'POST',
        path: `/lines?${qs}`,
        headers,
        body: BODY,
      })
      const got = JSON.parse(res.body.toString()) as Record<string, unknown>
      expect(got).toEqual({
        ...expected,
        // Without Content-Length the body ends at EOF: werkzeug reads it only when told so.
        input_terminated: headers['transfer-encoding'] === 'chunked',
      })
    },
  )
})

describe('fromPython, the rest of the request', () => {
  it.each([
    ['yielded by the body iterable', '/many'],
    ['given to write()', '/many-writes'],
  ])('makes the body (%s) no faster than a slow client takes it', async (_label, path) => {
    errors.text = ''
    const req = request({ host: '127.0.0.1', port: server.serverPort, path, agent: false })
    req.end()
    const [res] = (await once(req, 'response')) as [IncomingMessage]
    res.pause()
    await until(() => errors.text.includes('made'))
    // Give a producer that ran ahead time to do so while nobody reads the response.
    await sleep(500)
    const made = errors.text.split('made').length - 1
    let size = 0
    res.on('data', (chunk: Buffer) => {
      size += chunk.length
    })
    res.resume()
    await once(res, 'end')
    expect(size).toBe(1024 * 65536)
    // The socket and stream buffers hold some chunks; Python made nowhere near all 1024.
    expect(made).toBeLessThan(256)
  })

  it('leaves the event loop free while Python computes', async () => {
    const go = flag()
    errors.text = ''
    const order: string[] = []
    const answer = send(server.serverPort, { path: `/spin?${go.name}` }).then((res) => {
      order.push('response')
      return res
    })
    // These timers fire while Python spins: on the main thread they could not run at all.
    await until(() => errors.text.includes('spinning'))
    await sleep(1)
    order.push('timer')
    go.raise()
    expect((await answer).body.toString()).toBe('spun')
    expect(order).toEqual(['timer', 'response'])
  })

  it('answers 500 with ERR_WSGI_PYTHON_WORKER when the worker dies, then starts a new one', async () => {
    errors.text = ''
    const res = await send(server.serverPort, { path: '/crash' })
    expect(res.status).toBe(500)
    expect(errors.text).toContain('ERR_WSGI_PYTHON_WORKER')
    expect(errors.text).toContain('exited with code 3')
    expect((await send(server.serverPort, { path: '/nothing' })).body.toString()).toBe('not found')
  })

  it('cuts the connection when the worker dies after the head', async () => {
    errors.text = ''
    await expect(send(server.serverPort, { path: '/crash-late' })).rejects.toThrow()
    expect(errors.text).toContain('exited with code 4')
    expect(errors.text).toContain('ERR_WSGI_PYTHON_WORKER')
    expect((await send(server.serverPort, { path: '/nothing' })).body.toString()).toBe('not found')
  })
})
