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

/** Send `request` (then the closer, unless `abortAfter`) and read until the server closes. */
function send(port: number, request: string | Buffer, abortAfter?: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', () => {
      // A cut connection: what arrived before it is the answer.
    })
    socket.on('close', () => {
      resolve(mask(Buffer.concat(chunks).toString('latin1')))
    })
    socket.write(request)
    if (abortAfter === undefined) {
      socket.write(CLOSER)
    } else {
      setTimeout(() => socket.destroy(), abortAfter)
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
 * Serve `app` both ways and run each request on both, one at a time, on a connection of its own.
 * `abortAfter` (ms) makes the client leave instead of waiting (no closer is sent then).
 */
export async function differential(
  app: WSGIApplication,
  requests: readonly { readonly raw: string | Buffer; readonly abortAfter?: number }[],
): Promise<Differential[]> {
  const fast = await serve(app)
  const synthetic = await serve((environ, startResponse) => app(environ, startResponse))
  const results: Differential[] = []
  let closers = 0
  try {
    for (const { raw, abortAfter } of requests) {
      const one: Exchange[] = []
      if (abortAfter === undefined) closers++
      for (const side of [fast, synthetic]) {
        const before = side.log.accessLines().length
        const bytes = await send(side.server.serverPort, raw, abortAfter)
        await settle(side.log, closers)
        if (abortAfter !== undefined) await new Promise((resolve) => setTimeout(resolve, 50))
        one.push({ bytes, log: side.log.accessLines().slice(before) })
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
