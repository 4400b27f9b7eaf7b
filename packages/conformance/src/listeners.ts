/**
 * The reference behaviours of `apps.ts`, written as Node `(req, res)` listeners, for bridges
 * that run a Node listener as a gateway app (`fromNodeListener`, `fromExpress`, `fromKoa`…).
 * They report to the same {@link Probe}: `closes` counts `'close'` events of `res`, `aborted`
 * says `res` closed before it ended.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import type { EchoReport, UploadReport } from './apps.ts'
import { CHUNK_SIZE, paramsOf, patternChunk } from './probe.ts'
import type { Probe } from './probe.ts'

/** A Node request listener, as the reference listeners are. */
export type ReferenceListener = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

function split(url: string | undefined): { path: string; query: string } {
  const target = url ?? '/'
  const q = target.indexOf('?')
  return q < 0
    ? { path: target, query: '' }
    : { path: target.slice(0, q), query: target.slice(q + 1) }
}

/** Report `res`'s `'close'` (and whether it came before the end) to the probe record `id`. */
function watch(probe: Probe, id: string, res: ServerResponse): void {
  res.on('close', () => {
    const early = !res.writableEnded
    probe.update(id, (r) => {
      r.closes++
      if (early) r.aborted = true
    })
  })
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Every reference listener, by path. */
export function referenceListeners(probe: Probe): Readonly<Record<string, ReferenceListener>> {
  return {
    '/hello': (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '13' })
      res.end('Hello, world!')
    },

    '/echo': async (req, res) => {
      const body = await readAll(req)
      const { path, query } = split(req.url)
      const headers: [string, string][] = []
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
        const name = (req.rawHeaders[i] ?? '').toUpperCase().replaceAll('-', '_')
        const key = name === 'CONTENT_TYPE' || name === 'CONTENT_LENGTH' ? name : `HTTP_${name}`
        const value = req.rawHeaders[i + 1] ?? ''
        const existing = headers.find(([k]) => k === key)
        if (existing === undefined) headers.push([key, value])
        else existing[1] += `,${value}`
      }
      headers.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      const report: EchoReport = {
        method: req.method ?? '',
        scriptName: '',
        path: decodeURIComponentLatin1(path),
        query,
        headers,
        body: body.toString('latin1'),
      }
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify(report))
    },

    '/stream': async (req, res) => {
      const { id, n } = paramsOf(split(req.url).query)
      watch(probe, id, res)
      res.writeHead(200, { 'Content-Type': 'text/plain' })
      for (let i = 0; i < n; i++) {
        res.write(`chunk ${i}\n`)
        await new Promise((resolve) => setImmediate(resolve))
      }
      res.end()
      probe.update(id, (r) => {
        r.finished = true
      })
    },

    '/sse': async (req, res) => {
      const { id } = paramsOf(split(req.url).query)
      watch(probe, id, res)
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' })
      res.flushHeaders()
      res.write('data: first\n\n')
      await probe.gate(id)
      res.end('data: last\n\n')
      probe.update(id, (r) => {
        r.finished = true
      })
    },

    '/download': (req, res) => pattern(probe, req, res, true),
    '/slow': (req, res) => pattern(probe, req, res, false),

    '/cookies': (_req, res) => {
      res.setHeader('Content-Type', 'text/plain')
      res.setHeader('Set-Cookie', [
        'a=1; Path=/',
        'b=2; HttpOnly',
        'c=3; Expires=Wed, 21 Oct 2037 07:28:00 GMT',
      ])
      res.setHeader('X-Dup', ['one', 'two'])
      res.end('cookies')
    },

    '/head': (req, res) => {
      const { id } = paramsOf(split(req.url).query)
      watch(probe, id, res)
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '1000' })
      res.end(Buffer.alloc(1000, 0x78))
    },

    // One response with a length, sent three ways: at once, in parts within one call, and with
    // its last part later. A bridge may pass the first two on whole; the bytes must not differ.
    '/length/now': (_req, res) => {
      lengthHead(res)
      res.end(LENGTH_BODY)
    },
    '/length/parts': (_req, res) => {
      lengthHead(res)
      res.write(LENGTH_BODY.slice(0, 9))
      res.write(Buffer.from(LENGTH_BODY.slice(9, 20)))
      res.end(LENGTH_BODY.slice(20))
    },
    '/length/later': async (_req, res) => {
      lengthHead(res)
      res.write(LENGTH_BODY.slice(0, 9))
      await new Promise((resolve) => setImmediate(resolve))
      res.end(LENGTH_BODY.slice(9))
    },

    '/204': (req, res) => {
      const { id } = paramsOf(split(req.url).query)
      watch(probe, id, res)
      res.writeHead(204)
      res.end('must not be sent')
    },

    '/304': (req, res) => {
      const { id } = paramsOf(split(req.url).query)
      watch(probe, id, res)
      res.writeHead(304, { ETag: '"v1"' })
      res.end('must not be sent')
    },

    '/error-before': () => {
      throw new Error('conformance: secret failure before the response')
    },

    '/error-after': async (req, res) => {
      const { id } = paramsOf(split(req.url).query)
      watch(probe, id, res)
      res.writeHead(200, { 'Content-Type': 'text/plain' })
      res.write('first part; ')
      await new Promise((resolve) => setTimeout(resolve, 5))
      res.destroy(new Error('conformance: failure after the response started'))
    },

    '/abort': (req, res) => {
      const { id } = paramsOf(split(req.url).query)
      watch(probe, id, res)
      res.writeHead(200, { 'Content-Type': 'text/plain' })
      res.write('waiting for the client to leave\n')
    },

    '/signal-check': async (req, res) => {
      const { id } = paramsOf(split(req.url).query)
      watch(probe, id, res)
      const body = await readAll(req)
      res.writeHead(200, { 'Content-Type': 'text/plain' })
      res.end(`read ${body.length}`)
    },

    '/upload': async (req, res) => {
      const hash = createHash('sha256')
      let length = 0
      for await (const chunk of req) {
        hash.update(chunk as Buffer)
        length += (chunk as Buffer).length
      }
      const report: UploadReport = { length, sha256: hash.digest('hex') }
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify(report))
    },
  }
}

/** The body of the `/length/*` listeners. */
export const LENGTH_BODY = 'one body, sent whole or in parts'

function lengthHead(res: ServerResponse): void {
  res.statusCode = 201
  res.setHeader('Content-Type', 'text/plain')
  res.setHeader('Set-Cookie', ['a=1', 'b=2'])
  res.setHeader('Content-Length', String(LENGTH_BODY.length))
}

// Percent-decoding to latin-1, as PATH_INFO holds it (so both echo reports compare equal).
function decodeURIComponentLatin1(path: string): string {
  return path.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  )
}

async function pattern(
  probe: Probe,
  req: IncomingMessage,
  res: ServerResponse,
  withLength: boolean,
): Promise<void> {
  const { id, size } = paramsOf(split(req.url).query)
  watch(probe, id, res)
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    ...(withLength ? { 'Content-Length': String(size) } : {}),
  })
  const source = Readable.from(
    (function* () {
      for (let offset = 0; offset < size; offset += CHUNK_SIZE) {
        const length = Math.min(CHUNK_SIZE, size - offset)
        probe.update(id, (r) => {
          r.produced += length
        })
        const chunk = patternChunk(offset, length)
        yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
      }
      probe.update(id, (r) => {
        r.finished = true
      })
    })(),
    { objectMode: false, highWaterMark: CHUNK_SIZE },
  )
  try {
    await pipeline(source, res)
  } catch {
    // The client went away: `watch` recorded it.
  }
}

/** One listener serving every reference listener under its path, else 404. */
export function createNodeListener(probe: Probe): ReferenceListener {
  const listeners = referenceListeners(probe)
  return (req, res) => {
    const { path } = split(req.url)
    const listener = listeners[path] ?? (path.startsWith('/echo/') ? listeners['/echo'] : undefined)
    if (listener !== undefined) return listener(req, res)
    res.writeHead(404, { 'Content-Type': 'text/plain' })
    res.end(`no reference listener at ${path}`)
    return undefined
  }
}
