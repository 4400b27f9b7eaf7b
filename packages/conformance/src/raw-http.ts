/**
 * A raw HTTP/1.1 client over `node:net` for checks that must see the exact bytes: interim
 * responses, trailers, a missing chunked terminator, a connection cut or kept alive.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { connect } from 'node:net'
import type { Socket } from 'node:net'

/** One parsed response. */
export interface RawResponse {
  /** The status line and header block, as sent (latin-1). */
  readonly head: string
  readonly status: number
  /** Header names lower-cased; repeated headers keep every value. */
  readonly headers: ReadonlyMap<string, string[]>
  readonly body: Buffer
  readonly trailers: ReadonlyMap<string, string[]>
  /** False when the connection closed before the body was complete. */
  readonly complete: boolean
}

function parseFields(block: string): Map<string, string[]> {
  const fields = new Map<string, string[]>()
  for (const line of block.split('\r\n')) {
    if (line === '') continue
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).toLowerCase()
    const list = fields.get(name) ?? []
    list.push(line.slice(colon + 1).trim())
    fields.set(name, list)
  }
  return fields
}

/**
 * Parse the first response in `buf`. `noBody` is true for the answer to a HEAD request;
 * `closed` says the connection has ended (a body without length runs to the end).
 * Returns undefined when more bytes are needed.
 */
export function parseResponse(
  buf: Buffer,
  noBody: boolean,
  closed: boolean,
): { response: RawResponse; rest: Buffer } | undefined {
  const end = buf.indexOf('\r\n\r\n')
  if (end < 0) return undefined
  const head = buf.subarray(0, end + 4).toString('latin1')
  const lines = head.split('\r\n')
  const status = Number((lines[0] ?? '').split(' ')[1])
  const headers = parseFields(lines.slice(1).join('\r\n'))
  let rest = buf.subarray(end + 4)
  const done = (body: Buffer, complete: boolean, trailers = new Map<string, string[]>()) => ({
    response: { head, status, headers, body, trailers, complete },
    rest,
  })
  if (noBody || (status >= 100 && status < 200) || status === 204 || status === 304) {
    return done(Buffer.alloc(0), true)
  }
  if (headers.get('transfer-encoding')?.at(-1)?.toLowerCase() === 'chunked') {
    const parts: Buffer[] = []
    let pos = 0
    for (;;) {
      const lineEnd = rest.indexOf('\r\n', pos)
      if (lineEnd < 0) break
      const size = Number.parseInt(rest.subarray(pos, lineEnd).toString('latin1'), 16)
      if (size === 0) {
        const trailerEnd = rest.indexOf('\r\n\r\n', lineEnd)
        const emptyEnd = rest.subarray(lineEnd, lineEnd + 4).equals(Buffer.from('\r\n\r\n'))
        if (emptyEnd) {
          const r = rest
          rest = r.subarray(lineEnd + 4)
          return done(Buffer.concat(parts), true)
        }
        if (trailerEnd < 0) break
        const trailers = parseFields(rest.subarray(lineEnd + 2, trailerEnd).toString('latin1'))
        const r = rest
        rest = r.subarray(trailerEnd + 4)
        return done(Buffer.concat(parts), true, trailers)
      }
      if (rest.length < lineEnd + 2 + size + 2) break
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size))
      pos = lineEnd + 2 + size + 2
    }
    if (!closed) return undefined
    return done(Buffer.concat(parts), false)
  }
  const length = headers.get('content-length')?.[0]
  if (length !== undefined) {
    const n = Number(length)
    if (rest.length >= n) {
      const body = rest.subarray(0, n)
      rest = rest.subarray(n)
      return done(body, true)
    }
    if (!closed) return undefined
    return done(rest, false)
  }
  if (!closed) return undefined
  const body = rest
  rest = Buffer.alloc(0)
  return done(body, true)
}

// With a Content-Length, how many bytes the first response needs in all (0 when unknown), so
// that a large body is parsed once, when it is complete.
function bytesNeeded(buf: Buffer): number {
  const end = buf.indexOf('\r\n\r\n')
  if (end < 0) return 0
  const match = /\r\ncontent-length: *(\d+)/i.exec(buf.subarray(0, end).toString('latin1'))
  return match?.[1] === undefined ? 0 : end + 4 + Number(match[1])
}

/** A connection to a test server that reads responses one by one. */
export class RawClient {
  readonly socket: Socket
  /** Resolves when the connection closed (by either side, or by an error). */
  readonly closed: Promise<void>
  // Received chunks, joined only when a response is parsed (joining on every 'data' event
  // would copy a large body over and over).
  #chunks: Buffer[] = []
  #size = 0
  #need = 0
  #ended = false
  #wake: (() => void) | undefined = undefined

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk)
      this.#size += chunk.length
      if (this.#size >= this.#need) this.#wake?.()
    })
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.#ended = true
        this.#wake?.()
        resolve()
      })
    })
    socket.on('error', () => {
      // A reset ends the connection; `closed` reports it.
    })
  }

  /** Connect to `host:port` (default host `127.0.0.1`). */
  static open(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host)
      socket.once('connect', () => {
        resolve(new RawClient(socket))
      })
      socket.once('error', reject)
    })
  }

  /** True once the server closed the connection. */
  get ended(): boolean {
    return this.#ended
  }

  /** Everything received and not yet parsed (latin-1). */
  get pending(): string {
    return this.#buffer().toString('latin1')
  }

  #buffer(): Buffer {
    if (this.#chunks.length !== 1) this.#chunks = [Buffer.concat(this.#chunks, this.#size)]
    return this.#chunks[0] ?? Buffer.alloc(0)
  }

  #consume(rest: Buffer): void {
    this.#chunks = [rest]
    this.#size = rest.length
  }

  write(data: string | Uint8Array): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data)
  }

  /** Wait for the next whole response (or the connection's end). */
  async response(noBody = false, timeoutMs = 10_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const buffer = this.#buffer()
      const parsed = parseResponse(buffer, noBody, this.#ended)
      if (parsed !== undefined) {
        this.#need = 0
        this.#consume(parsed.rest)
        return parsed.response
      }
      if (this.#ended)
        throw new Error(`connection closed; received ${JSON.stringify(this.pending)}`)
      this.#need = bytesNeeded(buffer)
      await this.#waitData(deadline)
    }
  }

  /** Wait until the received bytes (latin-1) satisfy `test`. */
  async until(test: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    while (!test(this.pending)) {
      if (this.#ended)
        throw new Error(`connection closed; received ${JSON.stringify(this.pending)}`)
      await this.#waitData(deadline)
    }
    return this.pending
  }

  /** Wait until the server closed the connection; returns all unparsed bytes. */
  async untilClosed(timeoutMs = 10_000): Promise<string> {
    const timer = setTimeout(() => this.socket.destroy(), timeoutMs)
    await this.closed
    clearTimeout(timer)
    return this.pending
  }

  destroy(): void {
    this.socket.destroy()
  }

  #waitData(deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.#wake = undefined
          reject(new Error(`timed out; received ${JSON.stringify(this.pending)}`))
        },
        Math.max(0, deadline - Date.now()),
      )
      this.#wake = () => {
        clearTimeout(timer)
        this.#wake = undefined
        resolve()
      }
    })
  }
}

/** Send `request` on a new connection and collect everything until the server closes it. */
export async function exchange(
  port: number,
  request: string | Uint8Array,
  host = '127.0.0.1',
): Promise<string> {
  const client = await RawClient.open(port, host)
  client.write(request)
  return client.untilClosed()
}
