import { createServer } from 'node:http'
import type { ServerResponse } from 'node:http'

import { describe, expect, it } from 'vitest'

import { listen, rawRequest, splitResponse } from '../../test/helpers.ts'
import { ResponseCapture } from './capture.ts'

/**
 * Run `downstream` on a real response whose writes are captured; the captured head and body are
 * then sent on the real response by `upstream` (what toExpressMiddleware's handler does).
 */
async function capturedExchange(
  downstream: (res: ServerResponse) => void | Promise<void>,
  upstream: (capture: ResponseCapture) => Promise<void> = passOn,
): Promise<string> {
  const base = await listen((_req, res) => {
    const capture = new ResponseCapture(res)
    capture.install()
    void downstream(res)
    void upstream(capture)
  })
  return rawRequest(base, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
}

async function passOn(capture: ResponseCapture): Promise<void> {
  const { status, headers } = await capture.head
  const target = capture.target
  // As NodeHandler does once the response held headers: setHeader() with arrays keeps every
  // value (a flat writeHead() array would go through setHeader() one value at a time).
  const grouped = new Map<string, string[]>()
  for (const [name, value] of headers) grouped.set(name, [...(grouped.get(name) ?? []), value])
  for (const [name, values] of grouped) target.setHeader(name, values)
  target.writeHead(Number(status.slice(0, 3)), status.slice(4))
  for await (const chunk of capture.body) target.write(chunk)
  target.end()
}

describe('ResponseCapture', () => {
  it('captures status, reason, headers set before and in writeHead, and the body', async () => {
    const raw = await capturedExchange((res) => {
      res.setHeader('Set-Cookie', ['a=1', 'b=2'])
      res.setHeader('X-Before', 'one')
      res.writeHead(418, 'Short And Stout', { 'X-In-Head': 'two' })
      res.write('tea')
      res.end('pot')
    })
    expect(raw).toMatch(/^HTTP\/1\.1 418 Short And Stout\r\n/)
    expect(raw).toContain('\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n')
    expect(raw).toContain('\r\nX-Before: one\r\n')
    expect(raw).toContain('\r\nX-In-Head: two\r\n')
    expect(splitResponse(raw).body.toString()).toBe('teapot')
  })

  it('frames a one-shot end(data) with Content-Length, as Node does', async () => {
    let head: unknown
    await capturedExchange(
      (res) => {
        res.end('12345')
      },
      async (capture) => {
        head = await capture.head
        await passOn(capture)
      },
    )
    expect(head).toEqual({ status: '200 OK', headers: [['Content-Length', '5']] })
  })

  it('drops hop-by-hop headers the chain set', async () => {
    let head: unknown
    await capturedExchange(
      (res) => {
        res.setHeader('Connection', 'keep-alive')
        res.setHeader('Keep-Alive', 'timeout=5')
        res.setHeader('X-Kept', 'yes')
        res.writeHead(204)
        res.end()
      },
      async (capture) => {
        head = await capture.head
        await passOn(capture)
      },
    )
    expect(head).toEqual({ status: '204 No Content', headers: [['X-Kept', 'yes']] })
  })

  it('shows the chain headersSent / writableEnded of its own response', async () => {
    const seen: boolean[] = []
    await capturedExchange((res) => {
      seen.push(res.headersSent, res.writableEnded)
      res.writeHead(200)
      seen.push(res.headersSent, res.writableEnded)
      res.end()
      seen.push(res.writableEnded)
    })
    expect(seen).toEqual([false, false, true, false, true])
  })

  it('throws ERR_HTTP_HEADERS_SENT for a second writeHead, and RangeError for a bad status', async () => {
    const errors: unknown[] = []
    await capturedExchange((res) => {
      try {
        res.writeHead(99)
      } catch (error) {
        errors.push(error)
      }
      res.writeHead(200)
      try {
        res.writeHead(201)
      } catch (error) {
        errors.push(error)
      }
      res.end()
    })
    expect(errors).toEqual([
      expect.objectContaining({ code: 'ERR_HTTP_INVALID_STATUS_CODE' }),
      expect.objectContaining({ code: 'ERR_HTTP_HEADERS_SENT' }),
    ])
  })

  it('calls write and end callbacks once the reader took the bytes', async () => {
    const order: string[] = []
    await capturedExchange((res) => {
      res.write('a', () => order.push('write'))
      res.end(() => order.push('end'))
    })
    expect(order).toEqual(['write', 'end'])
  })

  it('fails a write after end through its callback', async () => {
    let failure: unknown
    await capturedExchange((res) => {
      res.end('x')
      res.write('y', (error) => {
        failure = error
      })
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(failure).toMatchObject({ code: 'ERR_STREAM_WRITE_AFTER_END' })
  })

  it('drops what is written after the reader closed the body, releasing a waiting writer', async () => {
    let drained = false
    let secondWrite: boolean | undefined
    await capturedExchange(
      async (res) => {
        res.writeHead(200)
        if (!res.write(Buffer.alloc(1024 * 1024))) {
          await new Promise((resolve) => res.once('drain', resolve))
          drained = true
        }
        secondWrite = res.write('after close')
        res.end()
      },
      async (capture) => {
        await capture.head
        capture.body.close?.()
        capture.target.writeHead(200, { 'Content-Length': '2' })
        capture.target.end('ok')
      },
    )
    await new Promise((resolve) => setImmediate(resolve))
    expect(drained).toBe(true)
    expect(secondWrite).toBe(true)
  })

  it('rejects head when the client goes away before the chain answered', async () => {
    let outcome: unknown
    const server = createServer((_req, res) => {
      const capture = new ResponseCapture(res)
      capture.install()
      capture.head.then(
        () => (outcome = 'resolved'),
        (error: unknown) => (outcome = error),
      )
      res.destroy()
    })
    const base = await listen((req, res) => server.emit('request', req, res))
    await rawRequest(base, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await new Promise((resolve) => setImmediate(resolve))
    expect(outcome).toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' })
  })
})

describe('ResponseCapture#takeWhole()', () => {
  /** What takeWhole() gives once the head is known, and the write/end callbacks run by then. */
  async function whole(
    downstream: (res: ServerResponse, called: string[]) => void | Promise<void>,
  ): Promise<{ whole: string | undefined; called: string[]; rest: string }> {
    const called: string[] = []
    let result: { whole: string | undefined; called: string[]; rest: string } | undefined
    await capturedExchange(
      (res) => downstream(res, called),
      async (capture) => {
        await capture.head
        const taken = capture.takeWhole()
        const calledThen = [...called]
        const chunks: Uint8Array[] = []
        if (taken === undefined) for await (const chunk of capture.body) chunks.push(chunk)
        result = {
          whole: taken === undefined ? undefined : Buffer.from(taken).toString(),
          called: calledThen,
          rest: Buffer.concat(chunks).toString(),
        }
        capture.target.writeHead(204)
        capture.target.end()
      },
    )
    if (result === undefined) throw new Error('upstream did not run')
    return result
  }

  it('gives a body ended at once with its length, and runs its callbacks', async () => {
    expect(
      await whole((res, called) => {
        res.end('12345', () => called.push('end'))
      }),
    ).toEqual({ whole: '12345', called: ['end'], rest: '' })
    expect(
      await whole((res, called) => {
        res.setHeader('Content-Length', 7)
        res.write('one', () => called.push('write'))
        res.end(Buffer.from('4567'))
      }),
    ).toEqual({ whole: 'one4567', called: ['write'], rest: '' })
  })

  it('leaves a body to stream when ended later, without a length, or short of it', async () => {
    const later = await whole(async (res) => {
      res.setHeader('Content-Length', 6)
      res.write('abc')
      await new Promise((resolve) => setImmediate(resolve))
      res.end('def')
    })
    expect(later).toEqual({ whole: undefined, called: [], rest: 'abcdef' })
    const chunked = await whole((res) => {
      res.write('no length')
      res.end()
    })
    expect(chunked).toEqual({ whole: undefined, called: [], rest: 'no length' })
    const short = await whole((res) => {
      res.setHeader('Content-Length', 10)
      res.end('short')
    })
    expect(short).toEqual({ whole: undefined, called: [], rest: 'short' })
  })
})
