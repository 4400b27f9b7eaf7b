import { Buffer } from 'node:buffer'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises'

import { describe, expect, it, vi } from 'vitest'

import { InputReader } from '../_internal/input.ts'
import type { HeaderList, InputStream, ResponseBody, WSGIEnvironment } from '../types.ts'
import { fromNodeListener } from './from-node-listener.ts'
import type { NodeListener } from './from-node-listener.ts'

/** A minimal wsgi.input over an array of chunks that counts its reads. */
class ChunkInput implements InputStream {
  reads = 0
  #chunks: Uint8Array[]
  constructor(chunks: (Uint8Array | string)[]) {
    this.#chunks = chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))
  }
  read(size = Infinity): Promise<Uint8Array> {
    this.reads++
    const chunk = this.#chunks.shift()
    if (chunk === undefined) return Promise.resolve(new Uint8Array(0))
    if (chunk.length > size) this.#chunks.unshift(chunk.subarray(size))
    return Promise.resolve(chunk.subarray(0, size))
  }
  readline(size?: number): Promise<Uint8Array> {
    return this.read(size)
  }
  async readlines(): Promise<Uint8Array[]> {
    const lines: Uint8Array[] = []
    for (let c = await this.read(); c.length > 0; c = await this.read()) lines.push(c)
    return lines
  }
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (let c = await this.read(); c.length > 0; c = await this.read()) yield c
  }
}

function makeEnviron(overrides: Partial<WSGIEnvironment> = {}): WSGIEnvironment {
  return {
    REQUEST_METHOD: 'GET',
    SCRIPT_NAME: '',
    PATH_INFO: '/',
    QUERY_STRING: '',
    SERVER_NAME: '127.0.0.1',
    SERVER_PORT: '8000',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REMOTE_ADDR: '10.1.2.3',
    REMOTE_PORT: '50123',
    HTTP_HOST: 'example.test:8000',
    'wsgi.version': [1, 0],
    'wsgi.url_scheme': 'http',
    'wsgi.input': new ChunkInput([]),
    'wsgi.errors': { write: () => undefined, writelines: () => undefined, flush: () => undefined },
    'wsgi.multithread': false,
    'wsgi.multiprocess': false,
    'wsgi.run_once': false,
    'wsgi.input_terminated': true,
    ...overrides,
  }
}

interface Started {
  status: string
  headers: HeaderList
}

function recorder(): {
  started: Started[]
  startResponse: (s: string, h: HeaderList) => () => void
} {
  const started: Started[] = []
  return {
    started,
    startResponse: (status, headers) => {
      started.push({ status, headers })
      return () => undefined
    },
  }
}

async function collect(body: ResponseBody): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = []
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk)
  } finally {
    await body.close?.()
  }
  return chunks
}

async function run(
  listener: NodeListener,
  environ: WSGIEnvironment = makeEnviron(),
  options?: Parameters<typeof fromNodeListener>[1],
): Promise<{ status: string; headers: HeaderList; body: string; chunks: Uint8Array[] }> {
  const { started, startResponse } = recorder()
  const body = await fromNodeListener(listener, options)(environ, startResponse)
  const chunks = await collect(body)
  const head = started[0]
  if (head === undefined || started.length !== 1) throw new Error('startResponse not called once')
  return {
    status: head.status,
    headers: head.headers,
    body: Buffer.concat(chunks).toString('latin1'),
    chunks,
  }
}

function names(headers: HeaderList): string[] {
  return headers.map(([name]) => name.toLowerCase())
}

function valuesOf(headers: HeaderList, name: string): string[] {
  return headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v)
}

function events(
  emitter: NodeJS.EventEmitter,
  list: string[],
  prefix: string,
  ...names: string[]
): void {
  for (const name of names) emitter.on(name, () => list.push(`${prefix}:${name}`))
}

describe('fromNodeListener(listener)', () => {
  it('gives the status, headers and body of a plain handler', async () => {
    const result = await run((_req, res) => {
      res.statusCode = 201
      res.setHeader('Content-Type', 'text/plain')
      res.setHeader('X-Custom', 'yes')
      res.end('created')
    })
    expect(result.status).toBe('201 Created')
    expect(valuesOf(result.headers, 'content-type')).toEqual(['text/plain'])
    expect(valuesOf(result.headers, 'x-custom')).toEqual(['yes'])
    expect(valuesOf(result.headers, 'content-length')).toEqual(['7'])
    expect(result.body).toBe('created')
  })

  it('drops hop-by-hop headers, including the ones Connection names, and keeps Date', async () => {
    const result = await run((_req, res) => {
      res.setHeader('Connection', 'close, X-Private')
      res.setHeader('X-Private', '1')
      res.setHeader('Keep-Alive', 'timeout=5')
      res.setHeader('Proxy-Authenticate', 'Basic')
      res.write('a')
      res.end('b')
    })
    for (const name of [
      'connection',
      'x-private',
      'keep-alive',
      'transfer-encoding',
      'proxy-authenticate',
    ]) {
      expect(names(result.headers)).not.toContain(name)
    }
    expect(names(result.headers)).toContain('date')
    expect(result.body).toBe('ab')
  })

  it('keeps three Set-Cookie headers separate and in order', async () => {
    const result = await run((_req, res) => {
      res.setHeader('Set-Cookie', ['a=1; Path=/', 'b=2'])
      res.appendHeader('Set-Cookie', 'c=3, with comma')
      res.end()
    })
    expect(valuesOf(result.headers, 'set-cookie')).toEqual([
      'a=1; Path=/',
      'b=2',
      'c=3, with comma',
    ])
  })

  it('takes writeHead with a flat array and with an array of pairs', async () => {
    const flat = await run((_req, res) => {
      res.writeHead(200, 'Fine', ['X-A', '1', 'X-B', '2', 'X-A', '3'])
      res.end('x')
    })
    expect(flat.status).toBe('200 Fine')
    expect(valuesOf(flat.headers, 'x-a')).toEqual(['1', '3'])
    expect(valuesOf(flat.headers, 'x-b')).toEqual(['2'])
    const pairs = await run((_req, res) => {
      res.writeHead(202, [
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
      ] as unknown as string[])
      res.end()
    })
    expect(pairs.status).toBe('202 Accepted')
    expect(valuesOf(pairs.headers, 'set-cookie')).toEqual(['a=1', 'b=2'])
  })

  it('lets the listener read back what setHeader set', async () => {
    let seen: unknown
    const result = await run((_req, res) => {
      res.setHeader('X-Number', 42)
      res.setHeader('X-List', ['a', 'b'])
      seen = [res.getHeader('x-number'), res.getHeader('X-List'), res.hasHeader('x-nope')]
      res.end()
    })
    expect(seen).toEqual([42, ['a', 'b'], false])
    expect(valuesOf(result.headers, 'x-number')).toEqual(['42'])
    expect(valuesOf(result.headers, 'x-list')).toEqual(['a', 'b'])
  })

  it.each([
    ['HEAD', 200, '200 OK'],
    ['GET', 204, '204 No Content'],
    ['GET', 304, '304 Not Modified'],
  ])('sends no body bytes for %s with status %i', async (method, code, status) => {
    const result = await run(
      (_req, res) => {
        res.statusCode = code
        res.setHeader('Content-Length', '5')
        res.write('hello')
        res.end()
      },
      makeEnviron({ REQUEST_METHOD: method }),
    )
    expect(result.status).toBe(status)
    expect(result.body).toBe('')
    expect(names(result.headers)).not.toContain('transfer-encoding')
  })

  it('calls startResponse before any body byte after flushHeaders, and streams each write', async () => {
    const { started, startResponse } = recorder()
    let write: ((s: string) => void) | undefined
    let end: (() => void) | undefined
    const app = fromNodeListener((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' })
      res.flushHeaders()
      write = (s) => res.write(s)
      end = () => res.end()
    })
    const body = await app(makeEnviron(), startResponse)
    expect(started).toHaveLength(1)
    expect(started[0]?.status).toBe('200 OK')
    const it = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
    const first = await it.next()
    expect(first).toEqual({ done: false, value: new Uint8Array(0) })
    const pending = it.next()
    write?.('data: 1\n\n')
    expect(Buffer.from((await pending).value as Uint8Array).toString()).toBe('data: 1\n\n')
    write?.('data: 2\n\n')
    expect(Buffer.from((await it.next()).value as Uint8Array).toString()).toBe('data: 2\n\n')
    end?.()
    expect((await it.next()).done).toBe(true)
    await body.close?.()
  })

  it('makes res.write() return false for a slow consumer, then emits drain', async () => {
    const log: string[] = []
    let writesBeforeFalse = 0
    const chunk = Buffer.alloc(16 * 1024, 0x61)
    const app = fromNodeListener(
      (_req, res) => {
        while (res.write(chunk)) writesBeforeFalse++
        log.push(`needDrain:${res.writableNeedDrain}`)
        res.once('drain', () => {
          log.push(`drain needDrain:${res.writableNeedDrain}`)
          res.end('end')
        })
      },
      { highWaterMark: 64 * 1024 },
    )
    const { startResponse } = recorder()
    const body = await app(makeEnviron(), startResponse)
    await sleep(10)
    // Nothing was pulled yet, so no drain either.
    expect(log).toEqual(['needDrain:true'])
    expect(writesBeforeFalse).toBeLessThan(5)
    const received = Buffer.concat(await collect(body))
    expect(log).toEqual(['needDrain:true', 'drain needDrain:false'])
    expect(received.length).toBe((writesBeforeFalse + 1) * chunk.length + 3)
  })

  it('keeps a piped response bounded when the consumer is slow', async () => {
    const total = 8 * 1024 * 1024
    const size = 16 * 1024
    let produced = 0
    let maxAhead = 0
    let consumed = 0
    const source = new Readable({
      read() {
        if (produced >= total) {
          this.push(null)
          return
        }
        produced += size
        this.push(Buffer.alloc(size, produced / size))
      },
    })
    const app = fromNodeListener((_req, res) => {
      void pipeline(source, res)
    })
    const { startResponse } = recorder()
    const body = await app(makeEnviron(), startResponse)
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      consumed += chunk.length
      maxAhead = Math.max(maxAhead, produced - consumed)
      if (consumed % (1024 * 1024) === 0) await tick()
    }
    await body.close?.()
    expect(consumed).toBe(total)
    // The socket's 64 KiB high-water mark, the pipe's 16 KiB and a chunk or two in flight.
    expect(maxAhead).toBeLessThan(256 * 1024)
  })

  it('streams a 50 MiB request body in order with bounded read-ahead', async () => {
    const total = 50 * 1024 * 1024
    const size = 64 * 1024
    let produced = 0
    let consumed = 0
    let maxAhead = 0
    let pulls = 0
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; produced < total; i++) {
        pulls++
        produced += size
        yield Buffer.alloc(size, i & 0xff)
        await Promise.resolve()
      }
    }
    let inOrder = true
    const app = fromNodeListener(async (req, res) => {
      let index = 0
      for await (const chunk of req as AsyncIterable<Buffer>) {
        for (let off = 0; off < chunk.length; off += size) {
          if (chunk[off] !== (index & 0xff)) inOrder = false
          index++
        }
        consumed += chunk.length
        maxAhead = Math.max(maxAhead, produced - consumed)
        if (index % 64 === 0) await tick()
      }
      res.end(`${consumed} ${req.complete}`)
    })
    const environ = makeEnviron({
      REQUEST_METHOD: 'POST',
      CONTENT_LENGTH: String(total),
      'wsgi.input': new InputReader(source()),
    })
    const { startResponse } = recorder()
    const body = await app(environ, startResponse)
    expect(Buffer.concat(await collect(body)).toString()).toBe(`${total} true`)
    expect(inOrder).toBe(true)
    expect(pulls).toBe(total / size)
    expect(maxAhead).toBeLessThanOrEqual(4 * size)
  })

  it('gives a body listener attached after an await all the data and end', async () => {
    const result = await run(
      async (req, res) => {
        await sleep(20)
        const parts: Buffer[] = []
        req.on('data', (c: Buffer) => parts.push(c))
        await new Promise((resolve) => req.once('end', resolve))
        res.end(`${Buffer.concat(parts).toString()}|${req.complete}`)
      },
      makeEnviron({
        REQUEST_METHOD: 'POST',
        CONTENT_LENGTH: '11',
        'wsgi.input': new ChunkInput(['hello', ' ', 'world']),
      }),
    )
    expect(result.body).toBe('hello world|true')
  })

  it('reads no more than CONTENT_LENGTH and nothing at all without a body', async () => {
    const input = new ChunkInput(['abcdef', 'ghi'])
    const sized = await run(
      async (req, res) => {
        const parts: Buffer[] = []
        for await (const c of req as AsyncIterable<Buffer>) parts.push(c)
        res.end(Buffer.concat(parts))
      },
      makeEnviron({ REQUEST_METHOD: 'POST', CONTENT_LENGTH: '4', 'wsgi.input': input }),
    )
    expect(sized.body).toBe('abcd')
    const empty = new ChunkInput(['never read'])
    const none = await run(
      async (req, res) => {
        let n = 0
        for await (const c of req as AsyncIterable<Buffer>) n += c.length
        res.end(`${n} ${req.complete}`)
      },
      makeEnviron({ 'wsgi.input': empty, 'wsgi.input_terminated': false }),
    )
    expect(none.body).toBe('0 true')
    expect(empty.reads).toBe(0)
  })

  it('reads to EOF when there is no CONTENT_LENGTH but a Transfer-Encoding', async () => {
    let headers: IncomingMessage['headers'] = {}
    const result = await run(
      async (req, res) => {
        headers = req.headers
        const parts: Buffer[] = []
        for await (const c of req as AsyncIterable<Buffer>) parts.push(c)
        res.end(Buffer.concat(parts))
      },
      makeEnviron({
        REQUEST_METHOD: 'POST',
        HTTP_TRANSFER_ENCODING: 'chunked',
        'wsgi.input_terminated': false,
        'wsgi.input': new ChunkInput(['chunk1', 'chunk2']),
      }),
    )
    expect(result.body).toBe('chunk1chunk2')
    expect(headers['transfer-encoding']).toBe('chunked')
    expect(headers['content-length']).toBeUndefined()
  })

  it("emits 'finish' then 'close' on the response, and 'end' and 'close' on the request", async () => {
    const log: string[] = []
    const closed = new Promise<void>((resolve) => {
      void run((req, res) => {
        events(res, log, 'res', 'finish', 'close')
        events(req, log, 'req', 'end', 'close', 'aborted')
        res.on('close', () => {
          log.push(`writableEnded:${res.writableEnded}`)
          setTimeout(resolve, 5)
        })
        res.end('ok')
      })
    })
    await closed
    expect(log.indexOf('res:finish')).toBeGreaterThanOrEqual(0)
    expect(log.indexOf('res:finish')).toBeLessThan(log.indexOf('res:close'))
    expect(log).toContain('req:end')
    expect(log).toContain('req:close')
    expect(log).not.toContain('req:aborted')
    expect(log).toContain('writableEnded:true')
  })

  it('hands trailers to environ["wsgits.add_trailers"] after the last chunk', async () => {
    const calls: string[] = []
    const environ = makeEnviron({
      'wsgits.add_trailers': (trailers: HeaderList) =>
        calls.push(`trailers:${JSON.stringify(trailers)}`),
    })
    const { startResponse } = recorder()
    const body = await fromNodeListener((_req, res) => {
      res.setHeader('Trailer', 'X-Checksum')
      res.write('part')
      res.addTrailers({ 'X-Checksum': 'abc123', 'X-Extra': 'caf\xe9' })
      res.end()
    })(environ, startResponse)
    for await (const chunk of body as AsyncIterable<Uint8Array>)
      calls.push(`chunk:${Buffer.from(chunk).toString()}`)
    await body.close?.()
    expect(calls).toEqual([
      'chunk:part',
      `trailers:${JSON.stringify([
        ['X-Checksum', 'abc123'],
        ['X-Extra', 'caf\xe9'],
      ])}`,
    ])
  })

  it('drops trailers and the Trailer header when the server cannot send trailers', async () => {
    const result = await run((_req, res) => {
      res.setHeader('Trailer', 'X-Checksum')
      res.write('part')
      res.addTrailers({ 'X-Checksum': 'abc123' })
      res.end()
    })
    expect(result.body).toBe('part')
    expect(names(result.headers)).not.toContain('trailer')
  })

  it('passes latin-1 header values through unchanged, next to a UTF-8 body', async () => {
    let seen: string | undefined
    const result = await run(
      (req, res) => {
        seen = req.headers['x-name'] as string
        res.setHeader('X-Reply', 'na\xefve \xff')
        res.end('h\u00e9llo \u20ac')
      },
      makeEnviron({ HTTP_X_NAME: 'caf\xe9' }),
    )
    expect(seen).toBe('caf\xe9')
    expect(valuesOf(result.headers, 'x-reply')).toEqual(['na\xefve \xff'])
    expect(Buffer.concat(result.chunks).toString('utf8')).toBe('h\u00e9llo \u20ac')
  })

  it('drops interim responses written with writeContinue and writeEarlyHints', async () => {
    const result = await run((_req, res) => {
      res.writeContinue()
      res.writeEarlyHints({ link: '</style.css>; rel=preload' })
      res.end('final')
    })
    expect(result.status).toBe('200 OK')
    expect(result.body).toBe('final')
  })

  it('passes an unchunked body through for an HTTP/1.0 request', async () => {
    let version = ''
    const result = await run(
      (req, res) => {
        version = req.httpVersion
        res.write('one ')
        res.end('two')
      },
      makeEnviron({ SERVER_PROTOCOL: 'HTTP/1.0' }),
    )
    expect(version).toBe('1.0')
    expect(result.body).toBe('one two')
    expect(names(result.headers)).not.toContain('connection')
  })

  it('keeps chunking (and trailers) for an HTTP/2 request', async () => {
    const trailers: HeaderList[] = []
    let version = ''
    const result = await run(
      (req, res) => {
        version = req.httpVersion
        res.write('a')
        res.addTrailers({ 'X-T': '1' })
        res.end('b')
      },
      makeEnviron({
        SERVER_PROTOCOL: 'HTTP/2',
        'wsgits.add_trailers': (t: HeaderList) => trailers.push(t),
      }),
    )
    expect(version).toBe('2.0')
    expect(result.body).toBe('ab')
    expect(trailers).toEqual([[['X-T', '1']]])
  })
})

describe('fromNodeListener(listener): a response ended at once', () => {
  const answer = async (
    listener: NodeListener,
    environ: WSGIEnvironment = makeEnviron(),
  ): Promise<{ body: ResponseBody; finished: boolean; text: string }> => {
    let finished = false
    const { startResponse } = recorder()
    const body = await fromNodeListener((req, res) => {
      res.on('finish', () => {
        finished = true
      })
      return listener(req, res)
    })(environ, startResponse)
    const wasFinished = finished
    const text = Buffer.concat(await collect(body)).toString('latin1')
    return { body, finished: wasFinished, text }
  }

  it('is a one-item list when the head gives the length of every byte written', async () => {
    const now = await answer((_req, res) => {
      res.setHeader('Content-Type', 'text/plain')
      res.end('all at once')
    })
    expect(Array.isArray(now.body)).toBe(true)
    expect(now.body).toHaveLength(1)
    // Node's response is done with: its 'finish' came before the list was handed out.
    expect(now.finished).toBe(true)
    expect(now.text).toBe('all at once')
    const parts = await answer((_req, res) => {
      res.writeHead(200, { 'Content-Length': '9' })
      res.write('one ')
      res.write(Buffer.from('two'))
      res.end('!!')
    })
    expect(parts.body).toHaveLength(1)
    expect(parts.text).toBe('one two!!')
  })

  it('streams a body ended later, chunked, empty, short of its length, or for HEAD', async () => {
    const cases: [NodeListener, WSGIEnvironment?][] = [
      [
        async (_req, res) => {
          res.setHeader('Content-Length', '6')
          res.write('one')
          await tick()
          res.end('two')
        },
      ],
      [
        (_req, res) => {
          res.setHeader('Transfer-Encoding', 'chunked')
          res.end('chunked')
        },
      ],
      [
        (_req, res) => {
          res.end()
        },
      ],
      [
        (_req, res) => {
          res.setHeader('Content-Length', '10')
          res.end('short')
        },
      ],
      [
        (_req, res) => {
          res.end('for HEAD')
        },
        makeEnviron({ REQUEST_METHOD: 'HEAD' }),
      ],
    ]
    for (const [listener, environ] of cases) {
      const { body } = await answer(listener, environ)
      expect(Array.isArray(body)).toBe(false)
    }
  })

  it('streams a response to a request whose body the listener left unread', async () => {
    const environ = makeEnviron({
      REQUEST_METHOD: 'POST',
      CONTENT_LENGTH: '5',
      'wsgi.input': new ChunkInput(['hello']),
    })
    const unread = await answer((_req, res) => {
      res.end('ignored')
    }, environ)
    expect(Array.isArray(unread.body)).toBe(false)
    expect(unread.text).toBe('ignored')
    const read = await answer(
      async (req, res) => {
        for await (const chunk of req) res.setHeader('X-Read', String((chunk as Buffer).length))
        res.end('read')
      },
      makeEnviron({
        REQUEST_METHOD: 'POST',
        CONTENT_LENGTH: '5',
        'wsgi.input': new ChunkInput(['hello']),
      }),
    )
    expect(read.body).toHaveLength(1)
  })
})

describe('fromNodeListener(listener): abort and errors', () => {
  it("aborts on environ['wsgits.signal']: req 'aborted'/'close', res 'close' without 'finish'", async () => {
    const controller = new AbortController()
    const log: string[] = []
    let response: ServerResponse | undefined
    const app = fromNodeListener((req, res) => {
      response = res
      events(req, log, 'req', 'aborted', 'close', 'end')
      events(res, log, 'res', 'finish', 'close')
      req.on('error', (e: NodeJS.ErrnoException) => log.push(`req:error:${e.code}`))
      res.writeHead(200)
      res.flushHeaders()
    })
    const environ = makeEnviron({
      REQUEST_METHOD: 'POST',
      CONTENT_LENGTH: '10',
      'wsgi.input': new ChunkInput(['0123456789']),
      'wsgits.signal': controller.signal,
    })
    const body = await app(environ, recorder().startResponse)
    const it = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
    expect((await it.next()).value).toEqual(new Uint8Array(0))
    const pending = it.next()
    controller.abort()
    await expect(pending).rejects.toMatchObject({ message: 'aborted', code: 'ECONNRESET' })
    await sleep(5)
    await body.close?.()
    expect(log).toContain('req:aborted')
    expect(log).toContain('req:close')
    expect(log).toContain('req:error:ECONNRESET')
    expect(log).toContain('res:close')
    expect(log).not.toContain('res:finish')
    expect(log.indexOf('req:aborted')).toBeLessThan(log.indexOf('res:close'))
    expect(response?.writableEnded).toBe(false)
  })

  it('rejects the app when the signal aborts a listener that never responds', async () => {
    const controller = new AbortController()
    const log: string[] = []
    const app = fromNodeListener((req, res) => {
      events(req, log, 'req', 'aborted', 'close')
      events(res, log, 'res', 'close')
    })
    const pending = app(
      makeEnviron({ 'wsgits.signal': controller.signal }),
      recorder().startResponse,
    )
    await sleep(5)
    controller.abort(new Error('client gone'))
    await expect(pending).rejects.toMatchObject({ code: 'ECONNRESET' })
    await sleep(5)
    expect(log).toEqual(expect.arrayContaining(['res:close', 'req:close']))
  })

  it('does not call the listener when the signal is already aborted', async () => {
    const listener = vi.fn()
    const environ = makeEnviron({ 'wsgits.signal': AbortSignal.abort() })
    await expect(
      fromNodeListener(listener)(environ, recorder().startResponse),
    ).rejects.toMatchObject({
      code: 'ECONNRESET',
    })
    expect(listener).not.toHaveBeenCalled()
  })

  it('tears the exchange down when the consumer stops early', async () => {
    const log: string[] = []
    let writes = 0
    const app = fromNodeListener((req, res) => {
      events(req, log, 'req', 'aborted', 'close')
      events(res, log, 'res', 'finish', 'close')
      const timer = setInterval(() => {
        writes++
        res.write('tick\n')
      }, 1)
      res.on('close', () => {
        clearInterval(timer)
      })
    })
    const environ = makeEnviron({
      REQUEST_METHOD: 'PUT',
      CONTENT_LENGTH: '3',
      'wsgi.input': new ChunkInput(['abc']),
    })
    const body = await app(environ, recorder().startResponse)
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      if (chunk.length > 0) break
    }
    await body.close?.()
    await body.close?.()
    await sleep(10)
    const after = writes
    await sleep(10)
    expect(writes).toBe(after)
    expect(log).toEqual(expect.arrayContaining(['req:aborted', 'req:close', 'res:close']))
    expect(log).not.toContain('res:finish')
  })

  it('rejects the app when the listener throws before the head', async () => {
    const log: string[] = []
    const error = new Error('boom')
    const app = fromNodeListener((_req, res) => {
      events(res, log, 'res', 'close')
      res.setHeader('X-A', '1')
      throw error
    })
    const { started, startResponse } = recorder()
    await expect(app(makeEnviron(), startResponse)).rejects.toBe(error)
    expect(started).toEqual([])
    await sleep(5)
    expect(log).toEqual(['res:close'])
  })

  it('rejects the app when the listener destroys its response with no native one to cut', async () => {
    // No `wsgits.node_response` (a fetch host, CGI): a listener error, as before the head.
    const app = fromNodeListener((_req, res) => {
      res.destroy()
    })
    await expect(app(makeEnviron(), recorder().startResponse)).rejects.toMatchObject({
      code: 'ECONNRESET',
    })
  })

  it('rejects the app when an async listener rejects before the head', async () => {
    const error = new Error('async boom')
    const app = fromNodeListener(async () => {
      await sleep(1)
      throw error
    })
    await expect(app(makeEnviron(), recorder().startResponse)).rejects.toBe(error)
  })

  it('throws from the body iterator when the listener fails after the head', async () => {
    const error = new Error('late boom')
    const app = fromNodeListener(async (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' })
      res.write('partial')
      await sleep(5)
      throw error
    })
    const { started, startResponse } = recorder()
    const body = await app(makeEnviron(), startResponse)
    expect(started[0]?.status).toBe('200 OK')
    const seen: string[] = []
    await expect(
      (async () => {
        for await (const chunk of body as AsyncIterable<Uint8Array>)
          seen.push(Buffer.from(chunk).toString())
      })(),
    ).rejects.toBe(error)
    expect(seen).toEqual(['partial'])
    await body.close?.()
  })

  it('logs a listener failure after the response ended to wsgi.errors', async () => {
    let logged: (line: string) => void = () => undefined
    const line = new Promise<string>((resolve) => (logged = resolve))
    const environ = makeEnviron({
      'wsgi.errors': {
        write: (s: string) => {
          logged(s)
        },
        writelines: () => undefined,
        flush: () => undefined,
      },
    })
    const result = await run(async (_req, res) => {
      res.end('done')
      await sleep(5)
      throw new Error('after the end')
    }, environ)
    expect(result.body).toBe('done')
    expect(await line).toContain('after the end')
  })

  it("surfaces a wsgi.input failure as 'error' on the request", async () => {
    const failure = new Error('input broke')
    const input = new ChunkInput([])
    input.read = () => Promise.reject(failure)
    const seen: unknown[] = []
    const app = fromNodeListener((req, res) => {
      req.on('error', (e) => seen.push(e))
      req.on('aborted', () => seen.push('aborted'))
      req.resume()
      res.on('close', () => seen.push('res:close'))
    })
    const environ = makeEnviron({
      REQUEST_METHOD: 'POST',
      CONTENT_LENGTH: '5',
      'wsgi.input': input,
    })
    await expect(app(environ, recorder().startResponse)).rejects.toBe(failure)
    await sleep(5)
    expect(seen).toEqual(expect.arrayContaining(['aborted', failure, 'res:close']))
  })

  it('destroys the request when wsgi.input ends before CONTENT_LENGTH bytes', async () => {
    let caught: (value: NodeJS.ErrnoException) => void = () => undefined
    const readError = new Promise<NodeJS.ErrnoException>((resolve) => (caught = resolve))
    const app = fromNodeListener(async (req) => {
      try {
        for await (const chunk of req as AsyncIterable<Buffer>)
          expect(chunk.length).toBeGreaterThan(0)
      } catch (e) {
        caught(e as NodeJS.ErrnoException)
      }
    })
    const environ = makeEnviron({
      REQUEST_METHOD: 'POST',
      CONTENT_LENGTH: '10',
      'wsgi.input': new ChunkInput(['short']),
    })
    // The connection is as good as gone: the app rejects, and the listener's read fails.
    await expect(app(environ, recorder().startResponse)).rejects.toMatchObject({
      code: 'ECONNRESET',
    })
    expect((await readError).code).toBe('ECONNRESET')
  })

  it('rejects a listener that is not a function and bad options', () => {
    expect(() => fromNodeListener('nope' as unknown as NodeListener)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
    expect(() => fromNodeListener(() => undefined, { readSize: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })
})

describe('fromNodeListener(listener, options)', () => {
  it('gives the full path with fullPath, and the mounted path without', async () => {
    const seen: string[] = []
    const listener: NodeListener = (req, res) => {
      seen.push(`${req.url} ${(req as IncomingMessage & { originalUrl: string }).originalUrl}`)
      res.end()
    }
    const environ = (): WSGIEnvironment =>
      makeEnviron({ SCRIPT_NAME: '/mount', PATH_INFO: '/a b', QUERY_STRING: 'q=1' })
    await run(listener, environ())
    await run(listener, environ(), { fullPath: true })
    expect(seen).toEqual(['/a%20b?q=1 /mount/a%20b?q=1', '/mount/a%20b?q=1 /mount/a%20b?q=1'])
  })

  it('calls prepare with the request, response and environ before the listener', async () => {
    const order: string[] = []
    const environ = makeEnviron({ SCRIPT_NAME: '/base' })
    const result = await run(
      (req, res) => {
        order.push('listener')
        res.end((req as IncomingMessage & { baseUrl?: string }).baseUrl)
      },
      environ,
      {
        prepare: (req, res, env) => {
          order.push(`prepare ${res.req === req} ${env === environ}`)
          Object.assign(req, { baseUrl: env.SCRIPT_NAME })
        },
      },
    )
    expect(order).toEqual(['prepare true true', 'listener'])
    expect(result.body).toBe('/base')
  })
})

describe('fromNodeListener(listener): completion is not an abort', () => {
  it("ends a POST whose body was read without 'aborted'", async () => {
    const log: string[] = []
    await run(
      async (req, res) => {
        events(req, log, 'req', 'aborted', 'end', 'close')
        events(res, log, 'res', 'finish', 'close')
        for await (const chunk of req as AsyncIterable<Buffer>) log.push(`data:${chunk.length}`)
        res.end('ok')
      },
      makeEnviron({
        REQUEST_METHOD: 'POST',
        CONTENT_LENGTH: '3',
        'wsgi.input': new ChunkInput(['abc']),
      }),
    )
    await sleep(5)
    expect(log).toEqual(['data:3', 'req:end', 'req:close', 'res:finish', 'res:close'])
  })

  it("ends a POST whose body was never read without 'aborted' and without reading wsgi.input", async () => {
    const log: string[] = []
    const input = new ChunkInput(['never read'])
    await run(
      (req, res) => {
        events(req, log, 'req', 'aborted', 'end', 'close')
        res.end('ignored the body')
      },
      makeEnviron({ REQUEST_METHOD: 'POST', CONTENT_LENGTH: '10', 'wsgi.input': input }),
    )
    await sleep(5)
    expect(log).toEqual(['req:end', 'req:close'])
    expect(input.reads).toBe(0)
  })

  it('calls write callbacks once the consumer took the bytes', async () => {
    const log: string[] = []
    const { startResponse } = recorder()
    const body = await fromNodeListener((_req, res) => {
      res.write('one', () => log.push('written:one'))
      res.end('two', () => log.push('ended'))
    })(makeEnviron(), startResponse)
    await sleep(5)
    expect(log).toEqual([])
    for await (const chunk of body as AsyncIterable<Uint8Array>)
      log.push(`pulled:${Buffer.from(chunk).toString()}`)
    await body.close?.()
    await sleep(5)
    expect(log).toEqual(['pulled:one', 'pulled:two', 'written:one', 'ended'])
  })
})
