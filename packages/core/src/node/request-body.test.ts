import { once } from 'node:events'
import { createServer } from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { isWSGIError } from '../errors.ts'
import type { InputStream } from '../types.ts'
import type { BodySource } from './request-body.ts'
import {
  ConsumedInput,
  bodySource,
  bodyWasRead,
  hasBody,
  inputOf,
  replayEnviron,
} from './request-body.ts'

// What the server saw, per request: the decision taken once the test's "parser" ran.
type Prepare = (req: IncomingMessage) => Promise<void>
interface Seen {
  readonly hasBody: boolean
  readonly wasRead: boolean
  readonly source: BodySource
}

const prepares = new Map<string, Prepare>()
const server = createServer((req, res) => {
  const prepare = prepares.get(req.url ?? '') ?? (() => Promise.resolve())
  void prepare(req).then(() => {
    const seen: Seen = { hasBody: hasBody(req), wasRead: bodyWasRead(req), source: bodySource(req) }
    const source =
      seen.source.kind === 'replay'
        ? { kind: 'replay', bytes: Buffer.from(seen.source.bytes).toString('latin1') }
        : seen.source
    res.setHeader('connection', 'close')
    res.end(JSON.stringify({ ...seen, source }))
    req.resume()
  })
})
let base = ''

beforeAll(async () => {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => {
  server.close()
})

async function ask(path: string, prepare: Prepare, init: RequestInit = {}): Promise<unknown> {
  prepares.set(path, prepare)
  const res = await fetch(base + path, init)
  return res.json()
}

const readAll = async (req: IncomingMessage): Promise<void> => {
  req.resume()
  await once(req, 'end')
}

describe('bodySource(req) on real requests', () => {
  it('streams a body nobody read', async () => {
    const seen = await ask('/untouched', () => Promise.resolve(), { method: 'POST', body: 'hello' })
    expect(seen).toEqual({ hasBody: true, wasRead: false, source: { kind: 'stream' } })
  })

  it('reports a body read to its end, with no bytes kept, as consumed', async () => {
    const seen = await ask('/drained', readAll, { method: 'POST', body: 'hello' })
    expect(seen).toEqual({ hasBody: true, wasRead: true, source: { kind: 'consumed' } })
  })

  it('reports a partly read body as consumed: it cannot be offered whole again', async () => {
    const partly: Prepare = async (req) => {
      await once(req, 'readable')
      req.read(1)
    }
    const seen = await ask('/partly', partly, { method: 'POST', body: 'x'.repeat(100_000) })
    expect(seen).toMatchObject({ wasRead: true, source: { kind: 'consumed' } })
  })

  it('counts a chunked upload as a body', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('chunk'))
        controller.close()
      },
    })
    const init = { method: 'POST', body, duplex: 'half' } as RequestInit
    const seen = await ask('/chunked', readAll, init)
    expect(seen).toEqual({ hasBody: true, wasRead: true, source: { kind: 'consumed' } })
  })

  it('replays nothing, without an error, for a resumed request that had no body', async () => {
    const seen = await ask('/get', readAll)
    expect(seen).toEqual({ hasBody: false, wasRead: true, source: { kind: 'replay', bytes: '' } })
  })

  it('replays the bytes a verify callback kept in req.rawBody', async () => {
    const keep: Prepare = async (req) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      await once(req, 'end')
      ;(req as IncomingMessage & { rawBody?: Buffer }).rawBody = Buffer.concat(chunks)
    }
    const seen = await ask('/raw-body', keep, { method: 'POST', body: 'kept' })
    expect(seen).toMatchObject({ source: { kind: 'replay', bytes: 'kept' } })
  })
})

describe('bodySource(req, keptBytes)', () => {
  it("asks the host's keptBytes only once the body was read", async () => {
    let asked = 0
    const keptBytes = (): Uint8Array => {
      asked++
      return new Uint8Array([0x61])
    }
    let source: BodySource | undefined
    const server2 = createServer((req, res) => {
      source = bodySource(req, keptBytes)
      req.resume()
      req.on('end', () => {
        const after = bodySource(req, keptBytes)
        res.end(JSON.stringify({ before: source?.kind, after: after.kind, asked }))
      })
    })
    server2.listen(0, '127.0.0.1')
    await once(server2, 'listening')
    const port = (server2.address() as AddressInfo).port
    const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'z' })
    expect(await res.json()).toEqual({ before: 'stream', after: 'replay', asked: 1 })
    server2.close()
  })
})

describe('ConsumedInput', () => {
  it.each(['read', 'readline', 'readlines'] as const)(
    'rejects %s() at once with ERR_WSGI_BODY_ALREADY_READ and the advice',
    async (method) => {
      const input = new ConsumedInput('keep the bytes')
      const error: unknown = await input[method]().catch((e: unknown) => e)
      expect(isWSGIError(error) && error.code).toBe('ERR_WSGI_BODY_ALREADY_READ')
      expect((error as Error).message).toMatch(/already read .*; keep the bytes$/)
    },
  )

  it('rejects iteration too', async () => {
    const iterator = new ConsumedInput('x')[Symbol.asyncIterator]()
    await expect(iterator.next()).rejects.toMatchObject({ code: 'ERR_WSGI_BODY_ALREADY_READ' })
  })
})

describe('inputOf(source) and replayEnviron()', () => {
  const stream = { read: () => Promise.resolve(new Uint8Array()) } as unknown as InputStream

  it('serves the stream, the kept bytes, or an input that fails', async () => {
    expect(inputOf({ kind: 'stream' }, () => stream, 'x')).toBe(stream)
    const replay = inputOf({ kind: 'replay', bytes: Buffer.from('ab') }, () => stream, 'x')
    expect(Buffer.from(await replay.read()).toString()).toBe('ab')
    expect(inputOf({ kind: 'consumed' }, () => stream, 'x')).toBeInstanceOf(ConsumedInput)
  })

  it('gives a replayed body its own length and no codings', () => {
    const environ: Record<string, unknown> = {
      CONTENT_LENGTH: '10',
      HTTP_CONTENT_ENCODING: 'gzip',
      HTTP_TRANSFER_ENCODING: 'chunked',
    }
    replayEnviron(environ, new Uint8Array(3))
    expect(environ).toEqual({ CONTENT_LENGTH: '3' })
  })
})
