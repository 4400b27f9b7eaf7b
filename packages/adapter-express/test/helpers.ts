/**
 * Test helpers: real sockets on 127.0.0.1, closed when the test finishes.
 *
 * @module
 */
import { rawBytes } from '@wsgi/conformance'
import type { ResponseBody, StartResponse, WSGIEnvironment } from '@wsgi/core/types'

/** Serve `listener` on a fresh port; the server closes when the test finishes. */
export { listenForTest as listen } from '@wsgi/conformance'

/**
 * Send raw bytes, read until the server closes the connection, return everything as latin-1.
 * The client never half-closes (Node's server would take that as the client leaving): send
 * `Connection: close` to have the server end the exchange.
 */
export async function rawRequest(base: string, request: string | Uint8Array): Promise<string> {
  return (await rawBytes(base, request)).toString('latin1')
}

/** UTF-8 bytes of a string. */
export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s)
}

/** A gateway app that answers with its environ's mount keys (and requestURI) as JSON. */
export function jsonApp(
  pick: (environ: WSGIEnvironment) => unknown,
): (environ: WSGIEnvironment, startResponse: StartResponse) => ResponseBody {
  return (environ, startResponse) => {
    startResponse('200 OK', [['Content-Type', 'application/json']])
    return [bytes(JSON.stringify(pick(environ)))]
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Decode a chunked transfer-coded body. */
export function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = []
  let pos = 0
  for (;;) {
    const eol = data.indexOf('\r\n', pos)
    const size = Number.parseInt(data.subarray(pos, eol).toString('latin1'), 16)
    if (size === 0 || Number.isNaN(size)) return Buffer.concat(parts)
    parts.push(data.subarray(eol + 2, eol + 2 + size))
    pos = eol + 2 + size + 2
  }
}

/** Split a raw HTTP/1.1 response into its head and its body bytes (de-chunked when chunked). */
export function splitResponse(raw: string): { head: string; body: Buffer } {
  const split = raw.indexOf('\r\n\r\n')
  const head = raw.slice(0, split)
  const rest = Buffer.from(raw.slice(split + 4), 'latin1')
  return { head, body: /\r\ntransfer-encoding: chunked/i.test(head) ? dechunk(rest) : rest }
}

/** A reader of a fetch response body, typed as the bytes it yields. */
export function bodyReader(res: Response): ReadableStreamDefaultReader<Uint8Array> {
  if (res.body === null) throw new Error('The response has no body')
  return res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>
}
