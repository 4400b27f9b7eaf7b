/**
 * The differential check of `fromNodeListener`'s pass-through: the same gateway app served by
 * `makeServer` as it is (so a `from*` app gets the server's own `req`/`res`) and wrapped in
 * `(environ, startResponse) => app(environ, startResponse)` (another app, so the synthetic path
 * runs), each request sent over a raw socket, and the raw response bytes (`Date` values masked)
 * and access-log lines of both compared.
 *
 * @module
 */
import { connect } from 'node:net'

import { makeServer } from '@wsgi/core/simple-server'
import type { WSGIServer } from '@wsgi/core/simple-server'
import type { WSGIApplication } from '@wsgi/core/types'

/** What one request produced on one server. */
export interface Exchange {
  /** Every byte the server sent until it closed the connection, `Date` values masked. */
  readonly bytes: string
  /** The access-log lines of the exchange, the date masked. */
  readonly log: readonly string[]
}

/** The same request on the pass-through and on the synthetic path. */
export interface Differential {
  readonly fast: Exchange
  readonly synthetic: Exchange
}

// After each request, one more on the same connection that closes it: the bytes then also show
// whether the first response left the connection usable.
const CLOSER = 'GET /__closer HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'

function mask(text: string): string {
  return text
    .replace(/\r\nDate: [^\r]*/gi, '\r\nDate: <masked>')
    .replace(/\[\d\d\/\w{3}\/\d{4} \d\d:\d\d:\d\d\]/g, '[<date>]')
}

/**
 * One request of a {@link differential} check. `raw` is written at once; then the closer, unless
 * the client leaves (`abortAfter` ms later, without a closer) or ends its side (`halfClose`, for
 * a connection the server closes anyway). `continueBody` is held back until the server's first
 * bytes arrive, as a client waiting for `100 Continue` does: sent (with the closer) when they are
 * `100 Continue`, never otherwise.
 */
export interface DifferentialRequest {
  readonly raw: string | Buffer
  readonly abortAfter?: number
  readonly halfClose?: boolean
  readonly continueBody?: string | Buffer
}

/**
 * Send a request (see {@link DifferentialRequest}) and read until the server closes: the bytes,
 * and whether the closer was sent.
 */
function send(
  port: number,
  request: DifferentialRequest,
): Promise<{ text: string; closer: boolean }> {
  const { raw, abortAfter, halfClose, continueBody } = request
  let closer = abortAfter === undefined && halfClose !== true && continueBody === undefined
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => {
      if (chunks.length === 0 && continueBody !== undefined) {
        if (chunk.toString('latin1').startsWith('HTTP/1.1 100 Continue\r\n')) {
          socket.write(continueBody)
          socket.write(CLOSER)
          closer = true
        }
      }
      chunks.push(chunk)
    })
    socket.on('error', () => {
      // A cut connection: what arrived before it is the answer.
    })
    socket.on('close', () => {
      resolve({ text: mask(Buffer.concat(chunks).toString('latin1')), closer })
    })
    socket.write(raw)
    if (abortAfter !== undefined) {
      setTimeout(() => socket.destroy(), abortAfter)
    } else if (halfClose === true) {
      socket.end()
    } else if (continueBody === undefined) {
      socket.write(CLOSER)
    }
  })
}

/** Collects what the server writes to its stderr. */
class Collector {
  text = ''
  write(s: string): void {
    this.text += s
  }
  writelines(lines: Iterable<string>): void {
    for (const line of lines) this.write(line)
  }
  flush(): void {
    // Nothing held.
  }
  accessLines(): string[] {
    return mask(this.text)
      .split('\n')
      .filter((line) => / "[A-Z]+ [^"]* HTTP\/1\.[01]" \d{3} /.test(line))
      .filter((line) => !line.includes('/__closer'))
  }
}

/** A server for `app` whose stderr is collected. */
async function serve(app: WSGIApplication): Promise<{ server: WSGIServer; log: Collector }> {
  const server = await makeServer('127.0.0.1', 0, app)
  const log = new Collector()
  server.stderr = log
  return { server, log }
}

async function settle(log: Collector, expected: number): Promise<void> {
  // The closer's own line comes after the request's: wait for it (bounded).
  for (let i = 0; i < 100 && (log.text.match(/\/__closer/g) ?? []).length < expected; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/**
 * Serve `app` both ways and run each request on both, one at a time, on a connection of its own
 * (see {@link DifferentialRequest}).
 */
export async function differential(
  app: WSGIApplication,
  requests: readonly DifferentialRequest[],
): Promise<Differential[]> {
  const fast = await serve(app)
  const synthetic = await serve((environ, startResponse) => app(environ, startResponse))
  const results: Differential[] = []
  const closers = new Map([
    [fast, 0],
    [synthetic, 0],
  ])
  try {
    for (const request of requests) {
      const one: Exchange[] = []
      for (const side of [fast, synthetic]) {
        const before = side.log.accessLines().length
        const { text, closer } = await send(side.server.serverPort, request)
        const expected = (closers.get(side) ?? 0) + (closer ? 1 : 0)
        closers.set(side, expected)
        await settle(side.log, expected)
        // Without a closer there is no line to wait for: give the server a moment to log.
        if (!closer) await new Promise((resolve) => setTimeout(resolve, 50))
        one.push({ bytes: text, log: side.log.accessLines().slice(before) })
      }
      const [f, s] = one as [Exchange, Exchange]
      results.push({ fast: f, synthetic: s })
    }
  } finally {
    await fast.server.shutdown()
    await synthetic.server.shutdown()
  }
  return results
}
