/**
 * Test helpers: an in-memory environ and a tiny gateway server loop (wsgiref's `run_amock` idea),
 * without depending on the core server, which is written elsewhere; and a fetch handler served by
 * `@hono/node-server`, the native baseline the fetch tests compare with.
 *
 * @module
 */
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'

import { serve } from '@hono/node-server'
import { onTestFinished } from 'vitest'

import { MemoryErrors } from '@wsgi/conformance'

import type {
  HeaderList,
  InputStream,
  StartResponse,
  WSGIApplication,
  WSGIEnvironment,
} from '@wsgi/core/types'

/** `wsgi.errors` that keeps what was written. */
export { MemoryErrors }

/** `wsgi.input` over fixed chunks, recording each read size (to prove reads are on demand). */
export class ChunkInput implements InputStream {
  readonly reads: number[] = []
  #chunks: Uint8Array[]
  #failAfter: number

  constructor(chunks: (Uint8Array | string)[], failAfter = Infinity) {
    this.#chunks = chunks.map((c) => (typeof c === 'string' ? new TextEncoder().encode(c) : c))
    this.#failAfter = failAfter
  }

  read(size = -1): Promise<Uint8Array> {
    this.reads.push(size)
    if (this.reads.length > this.#failAfter) {
      return Promise.reject(new Error('client went away'))
    }
    const first = this.#chunks[0]
    if (first === undefined) return Promise.resolve(new Uint8Array(0))
    if (size < 0 || size >= first.length) {
      this.#chunks.shift()
      return Promise.resolve(first)
    }
    this.#chunks[0] = first.subarray(size)
    return Promise.resolve(first.subarray(0, size))
  }

  async readline(): Promise<Uint8Array> {
    return this.read()
  }

  async readlines(): Promise<Uint8Array[]> {
    return [await this.read()]
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = await this.read()
      if (chunk.length === 0) return
      yield chunk
    }
  }
}

/** An environ for `GET http://example.com/`, with `overrides` applied. */
export function makeEnviron(overrides: Partial<WSGIEnvironment> = {}): WSGIEnvironment {
  return {
    REQUEST_METHOD: 'GET',
    SCRIPT_NAME: '',
    PATH_INFO: '/',
    QUERY_STRING: '',
    SERVER_NAME: 'example.com',
    SERVER_PORT: '80',
    SERVER_PROTOCOL: 'HTTP/1.1',
    HTTP_HOST: 'example.com',
    'wsgi.version': [1, 0],
    'wsgi.url_scheme': 'http',
    'wsgi.input': new ChunkInput([]),
    'wsgi.errors': new MemoryErrors(),
    'wsgi.multithread': false,
    'wsgi.multiprocess': false,
    'wsgi.run_once': false,
    'wsgi.input_terminated': true,
    ...overrides,
  }
}

/** What {@link runApp} saw. */
export interface AppResult {
  status: string
  headers: HeaderList
  body: Uint8Array
  text: string
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

/**
 * Runs a gateway app to completion the way a server does: call it, iterate the body, and call
 * `close()` exactly once in `finally`.
 */
export async function runApp(
  app: WSGIApplication,
  environ: WSGIEnvironment = makeEnviron(),
): Promise<AppResult> {
  let status = ''
  let headers: HeaderList = []
  const written: Uint8Array[] = []
  const body = await app(environ, (s, h) => {
    status = s
    headers = h
    return (data) => {
      written.push(data)
    }
  })
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) written.push(chunk)
  } finally {
    await body.close?.()
  }
  const bytes = concat(written)
  return { status, headers, body: bytes, text: new TextDecoder().decode(bytes) }
}

/** Lower-case header lookup over a PEP 3333 list: every value of `name`. */
export function headerValues(headers: HeaderList, name: string): string[] {
  return headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v)
}

/** A startResponse that ignores what it is given (for calling an app by hand). */
export const ignoreStart: StartResponse = () => () => undefined

/** A typed byte reader of a body (`Request#body` and `Response#body` are typed loosely). */
export function readerOf(
  body: ReadableStream<Uint8Array> | null,
): ReadableStreamDefaultReader<Uint8Array> {
  if (body === null) throw new Error('no body')
  return body.getReader()
}

/** The text of a chunk read from a stream or an iterator. */
export function textOf(chunk: unknown): string {
  if (!(chunk instanceof Uint8Array)) throw new TypeError(`not a chunk of bytes: ${String(chunk)}`)
  return new TextDecoder().decode(chunk)
}

/**
 * Serve `fetch` with `@hono/node-server` on 127.0.0.1 at a free port, as a fetch framework runs
 * on its own; the server closes when the test ends. Returns the port.
 */
export async function serveOnNodeServer(
  fetch: (request: Request, env: unknown) => Response | Promise<Response>,
): Promise<number> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => {
      resolve(s)
    })
  })
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve()
        })
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  )
  return (server.address() as AddressInfo).port
}

/** One request on a raw socket (`Connection: close`); the whole answer as text. */
export function rawRequest(port: number, method: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
    })
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (data: string) => {
      text += data
    })
    socket.on('end', () => {
      resolve(text)
    })
    socket.on('error', reject)
  })
}
