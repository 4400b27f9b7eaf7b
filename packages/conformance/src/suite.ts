/**
 * `describeBridge(name, { serveGateway, serveListener })`: the conformance suite every bridge
 * runs, as vitest tests over a real socket (global `fetch` and raw `node:net` requests).
 *
 * - `serveGateway(app)` serves a gateway application through the bridge under test (for example
 *   `node:http` + `toNodeListener(app)`); the suite hands it {@link createGatewayApp}.
 * - `serveListener(listener)` serves a Node listener through the bridge (for example
 *   `toNodeListener(fromNodeListener(listener))`); the suite hands it {@link createNodeListener}.
 *
 * Each checks: status, headers, body; duplicate headers and three `Set-Cookie`; HEAD, 204 and 304
 * without a body; an error before the response (500, no details) and after it (connection cut);
 * `close()` exactly once; the abort signal on client abort only; incremental streaming; a slow
 * reader keeping the producer bounded; and a large body both ways.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { createHash, randomUUID } from 'node:crypto'
import { connect } from 'node:net'
import type { Socket } from 'node:net'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { WSGIApplication } from '@wsgi/core'

import { createGatewayApp } from './apps.ts'
import type { EchoReport, UploadReport } from './apps.ts'
import { LENGTH_BODY, createNodeListener } from './listeners.ts'
import type { ReferenceListener } from './listeners.ts'
import { CHUNK_SIZE, Probe, checkPattern, patternChunk } from './probe.ts'
import { RawClient, exchange } from './raw-http.ts'

/** A running server: its base URL (`http://127.0.0.1:port`) and how to stop it. */
export interface Served {
  readonly url: string
  close(): Promise<void>
}

/** Options of {@link describeBridge}. */
export interface BridgeOptions {
  /** Serve a gateway app through the bridge. */
  readonly serveGateway?: ((app: WSGIApplication) => Promise<Served>) | undefined
  /** Serve a Node `(req, res)` listener through the bridge. */
  readonly serveListener?: ((listener: ReferenceListener) => Promise<Served>) | undefined
  /** Bytes of the large-body checks (each direction). Default 64 MiB. */
  readonly largeBodySize?: number | undefined
  /**
   * What a repeated request header's values are joined with. Default `,` (Node's server, and
   * CGI); a fetch host gives `, `, the Fetch standard's combination, before the bridge sees it.
   */
  readonly headerJoiner?: ',' | ', ' | undefined
  /**
   * How far the producer may run ahead of a client that stopped reading. Default 8 MiB: the
   * kernel's socket buffers on loopback alone hold about 4 MiB.
   */
  readonly slowReaderBound?: number | undefined
}

const MiB = 1024 * 1024

/** Register the conformance tests for one bridge. */
export function describeBridge(name: string, options: BridgeOptions): void {
  describe(name, () => {
    const { serveGateway, serveListener } = options
    if (serveGateway !== undefined) {
      describeTarget('gateway app', (probe) => serveGateway(createGatewayApp(probe)), options)
    }
    if (serveListener !== undefined) {
      describeTarget(
        'Node listener',
        (probe) => serveListener(createNodeListener(probe)),
        options,
        true,
      )
    }
  })
}

function describeTarget(
  kind: string,
  serve: (probe: Probe) => Promise<Served>,
  options: BridgeOptions,
  listener = false,
): void {
  describe(kind, () => {
    const probe = new Probe()
    let served: Served | undefined
    let base = ''
    let port = 0
    let host = '127.0.0.1'

    beforeAll(async () => {
      served = await serve(probe)
      const url = new URL(served.url)
      base = url.origin
      port = Number(url.port)
      host = url.hostname
    })
    afterAll(async () => {
      await served?.close()
    })

    const at = (path: string): string => `${base}${path}`
    const newId = (): string => randomUUID()
    const open = (): Promise<RawClient> => RawClient.open(port, host)

    it('answers with the status, headers and body', async () => {
      const res = await fetch(at('/hello'))
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect(await res.text()).toBe('Hello, world!')
    })

    if (listener) {
      it('sends a sized response the same bytes ended at once, in parts, or later', async () => {
        const bytes = async (method: string, path: string): Promise<string> => {
          const request = `${method} ${path} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`
          const raw = await exchange(port, request, host)
          return raw.replace(/^date: [^\r]*\r\n/im, '')
        }
        for (const method of ['GET', 'HEAD']) {
          const later = await bytes(method, '/length/later')
          expect(later).toMatch(/^HTTP\/1\.1 201 /)
          expect(later).toMatch(new RegExp(`^content-length: ${LENGTH_BODY.length}\r$`, 'im'))
          expect(later.endsWith(method === 'GET' ? `\r\n\r\n${LENGTH_BODY}` : '\r\n\r\n')).toBe(
            true,
          )
          expect(await bytes(method, '/length/now')).toBe(later)
          expect(await bytes(method, '/length/parts')).toBe(later)
        }
      })
    }

    it('answers 404 from the app for an unknown path', async () => {
      const res = await fetch(at('/nowhere'))
      expect(res.status).toBe(404)
      expect(await res.text()).toContain('/nowhere')
    })

    it('passes method, path, query, headers and body to the app', async () => {
      const res = await fetch(at('/echo/a%20b/c%C3%A9?x=1&y=%20z'), {
        method: 'PUT',
        headers: { 'Content-Type': 'text/plain', 'X-Custom': 'value' },
        body: 'request body',
      })
      const report = (await res.json()) as EchoReport
      expect(report.method).toBe('PUT')
      expect(report.scriptName + report.path).toBe('/echo/a b/c\xc3\xa9')
      expect(report.query).toBe('x=1&y=%20z')
      expect(report.body).toBe('request body')
      const headers = new Map(report.headers)
      expect(headers.get('CONTENT_TYPE')).toBe('text/plain')
      expect(headers.get('CONTENT_LENGTH')).toBe('12')
      expect(headers.get('HTTP_X_CUSTOM')).toBe('value')
    })

    const joiner = options.headerJoiner ?? ','
    it(`joins repeated request headers with "${joiner}" in arrival order`, async () => {
      const client = await open()
      client.write(
        'GET /echo HTTP/1.1\r\nHost: h\r\nX-Multi: one\r\nX-Multi: two\r\nConnection: close\r\n\r\n',
      )
      const report = JSON.parse((await client.response()).body.toString('latin1')) as EchoReport
      expect(new Map(report.headers).get('HTTP_X_MULTI')).toBe(`one${joiner}two`)
    })

    it('keeps three Set-Cookie headers and repeated headers', async () => {
      const res = await fetch(at('/cookies'))
      expect(res.headers.getSetCookie()).toEqual([
        'a=1; Path=/',
        'b=2; HttpOnly',
        'c=3; Expires=Wed, 21 Oct 2037 07:28:00 GMT',
      ])
      expect(res.headers.get('x-dup')).toBe('one, two')
      expect(await res.text()).toBe('cookies')
    })

    it('sends no body for HEAD, and stops and closes the app body', async () => {
      const id = newId()
      const client = await open()
      client.write(
        `HEAD /head?id=${id} HTTP/1.1\r\nHost: h\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`,
      )
      const head = await client.response(true)
      expect(head.status).toBe(200)
      expect(head.headers.get('content-length')).toEqual(['1000'])
      const next = await client.response()
      expect(next.body.toString()).toBe('Hello, world!')
      const record = await probe.waitFor(id, (r) => r.closes > 0)
      expect(record.closes).toBe(1)
      expect(record.produced).toBeLessThan(1_000_000)
    })

    it.each(['204', '304'])('sends no body with a %s', async (code) => {
      const id = newId()
      const client = await open()
      client.write(
        `GET /${code}?id=${id} HTTP/1.1\r\nHost: h\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`,
      )
      const first = await client.response()
      expect(first.status).toBe(Number(code))
      expect(first.headers.has('transfer-encoding')).toBe(false)
      expect(first.headers.has('content-length')).toBe(false)
      expect((await client.response()).body.toString()).toBe('Hello, world!')
      expect((await probe.waitFor(id, (r) => r.closes > 0)).closes).toBe(1)
    })

    it('answers 500 without details when the app fails before responding', async () => {
      const res = await fetch(at('/error-before'))
      expect(res.status).toBe(500)
      const body = await res.text()
      expect(body).not.toContain('secret failure')
      expect(body).not.toMatch(/\bat\s+\S+\s+\(/)
    })

    it('cuts the connection when the app fails after the response started', async () => {
      const id = newId()
      const res = await fetch(at(`/error-after?id=${id}`))
      expect(res.status).toBe(200)
      await expect(res.text()).rejects.toThrow()
      expect((await probe.waitFor(id, (r) => r.closes > 0)).closes).toBe(1)
    })

    it('shows a raw client a cut response, never a second one', async () => {
      const raw = await exchange(port, 'GET /error-after?id=raw HTTP/1.1\r\nHost: h\r\n\r\n', host)
      expect(raw.match(/HTTP\/1\.1 /g)).toHaveLength(1)
      expect(raw).toContain('first part; ')
      expect(raw.endsWith('0\r\n\r\n')).toBe(false)
    })

    it('calls close() exactly once after a streamed response', async () => {
      const id = newId()
      const res = await fetch(at(`/stream?id=${id}&n=5`))
      expect(await res.text()).toBe('chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n')
      const record = await probe.waitFor(id, (r) => r.closes > 0)
      await settle()
      expect([record.closes, record.finished, record.aborted]).toEqual([1, true, false])
    })

    it('fires the abort signal when the client leaves, and closes once', async () => {
      const id = newId()
      const controller = new AbortController()
      const res = await fetch(at(`/abort?id=${id}`), { signal: controller.signal })
      await bodyOf(res).getReader().read()
      controller.abort()
      const record = await probe.waitFor(id, (r) => r.aborted && r.closes > 0)
      await settle()
      expect(record.closes).toBe(1)
    })

    it.each(['GET', 'POST'])('does not fire the abort signal after a normal %s', async (method) => {
      const id = newId()
      const client = await open()
      const body = method === 'POST' ? 'x'.repeat(200_000) : ''
      client.write(
        `${method} /signal-check?id=${id} HTTP/1.1\r\nHost: h\r\nContent-Length: ${body.length}\r\n` +
          `Connection: close\r\n\r\n${body}`,
      )
      expect((await client.response()).body.toString()).toBe(`read ${body.length}`)
      await client.untilClosed()
      const record = await probe.waitFor(id, (r) => r.closes > 0)
      await settle()
      expect([record.aborted, record.closes]).toEqual([false, 1])
    })

    it('streams: the first event arrives before the app finishes', async () => {
      const id = newId()
      const res = await fetch(at(`/sse?id=${id}`))
      expect(res.headers.get('content-type')).toBe('text/event-stream')
      const reader = bodyOf(res).getReader()
      let received = ''
      while (!received.includes('data: first\n\n')) {
        const step = await reader.read()
        if (step.done) break
        received += Buffer.from(step.value).toString()
      }
      expect(received).toBe('data: first\n\n')
      expect(probe.record(id).finished).toBe(false)
      probe.open(id)
      for (let step = await reader.read(); !step.done; step = await reader.read()) {
        received += Buffer.from(step.value).toString()
      }
      expect(received).toBe('data: first\n\ndata: last\n\n')
      expect((await probe.waitFor(id, (r) => r.closes > 0)).closes).toBe(1)
    })

    it('keeps the producer bounded while the client does not read', async () => {
      const id = newId()
      const size = 64 * MiB
      const bound = options.slowReaderBound ?? 8 * MiB
      const reader = await SlowReader.open(port, host)
      // HTTP/1.0: the body runs to the end of the connection, so bytes are counted as they come.
      // With a Host: a fetch host needs one for the request's URL (@hono/node-server answers 400).
      reader.socket.write(`GET /slow?id=${id}&size=${size} HTTP/1.0\r\nHost: h\r\n\r\n`)
      await reader.received(1)
      reader.socket.pause()
      // Wait until the producer stops (held back by backpressure), or runs past the bound.
      let last = -1
      for (let i = 0; i < 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25))
        const produced = probe.record(id).produced
        if (produced === last || produced > bound) break
        last = produced
      }
      const stalled = probe.record(id).produced
      expect(stalled - reader.bodyBytes).toBeLessThanOrEqual(bound)
      reader.socket.resume()
      await reader.closed
      expect([reader.bodyBytes, reader.badOffset]).toEqual([size, -1])
      const record = await probe.waitFor(id, (r) => r.closes > 0)
      expect([record.closes, record.finished]).toEqual([1, true])
    })

    it('downloads a large body whole and in order', async () => {
      const id = newId()
      const size = options.largeBodySize ?? 64 * MiB
      const res = await fetch(at(`/download?id=${id}&size=${size}`))
      expect(res.headers.get('content-length')).toBe(String(size))
      let offset = 0
      let bad = -1
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const at = checkPattern(chunk, offset)
        if (at >= 0 && bad < 0) bad = offset + at
        offset += chunk.length
      }
      expect([offset, bad]).toEqual([size, -1])
      expect((await probe.waitFor(id, (r) => r.closes > 0)).closes).toBe(1)
    })

    it('uploads a large body whole and in order (streamed, no Content-Length)', async () => {
      const size = options.largeBodySize ?? 64 * MiB
      const hash = createHash('sha256')
      let offset = 0
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= size) {
            controller.close()
            return
          }
          const length = Math.min(CHUNK_SIZE, size - offset)
          const chunk = patternChunk(offset, length).slice()
          hash.update(chunk)
          offset += length
          controller.enqueue(chunk)
        },
      })
      const init: RequestInit & { duplex: 'half' } = { method: 'POST', body, duplex: 'half' }
      const res = await fetch(at('/upload'), init)
      const report = (await res.json()) as UploadReport
      expect(report).toEqual({ length: size, sha256: hash.digest('hex') })
    })
  })
}

/** A raw client that counts (and checks) the body of one close-delimited response. */
class SlowReader {
  readonly socket: Socket
  readonly closed: Promise<void>
  bodyBytes = 0
  badOffset = -1
  #head = Buffer.alloc(0)
  #inBody = false
  #waiters: (() => void)[] = []

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#accept(chunk)
    })
    socket.on('error', () => undefined)
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        resolve()
      })
    })
  }

  static open(port: number, host: string): Promise<SlowReader> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => {
        resolve(new SlowReader(socket))
      })
      socket.once('error', reject)
    })
  }

  /** Resolves once at least `bytes` body bytes arrived. */
  received(bytes: number): Promise<void> {
    if (this.bodyBytes >= bytes) return Promise.resolve()
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.bodyBytes >= bytes) resolve()
        else this.#waiters.push(check)
      }
      this.#waiters.push(check)
    })
  }

  #accept(chunk: Buffer): void {
    let body = chunk
    if (!this.#inBody) {
      this.#head = Buffer.concat([this.#head, chunk])
      const end = this.#head.indexOf('\r\n\r\n')
      if (end < 0) return
      this.#inBody = true
      body = this.#head.subarray(end + 4)
    }
    const bad = checkPattern(body, this.bodyBytes)
    if (bad >= 0 && this.badOffset < 0) this.badOffset = this.bodyBytes + bad
    this.bodyBytes += body.length
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter()
  }
}

function bodyOf(res: Response): ReadableStream<Uint8Array> {
  if (res.body === null) throw new Error(`no body in the response (${res.status})`)
  return res.body
}

// Lets events that follow a response (a late 'close', a wrongly fired abort) happen before a
// test looks: it checks what must not happen, so it waits a moment rather than for an event.
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 30))
}
