/**
 * Test scaffolding for a request body the app leaves unread: an app that answers without reading
 * it, a raw client that uploads as fast as the server takes it, one that trickles, and curl
 * streaming a large upload. Shared by core's drain tests and every adapter's.
 *
 * @module
 */
import { execFile } from 'node:child_process'

import { onTestFinished } from 'vitest'

import type { WSGIApplication } from '@wsgi/core/types'

import { RawClient } from './raw-http.ts'
import type { RawResponse } from './raw-http.ts'

/** Answers at once, reading none of the body; `413` under `/upload`. */
export const answerEarlyApp: WSGIApplication = (environ, startResponse) => {
  const tooLarge = environ.PATH_INFO === '/upload'
  startResponse(tooLarge ? '413 Content Too Large' : '200 OK', [['Content-Type', 'text/plain']])
  return [Buffer.from(tooLarge ? 'too large\n' : 'ok\n')]
}

/**
 * Writes `total` body bytes on `client` as fast as the server takes them (until `stop()`); the
 * codes of the socket's errors (a reset) are recorded in `errors`.
 */
export function uploadBody(
  client: RawClient,
  total: number,
): { errors: string[]; stop: () => void } {
  const errors: string[] = []
  client.socket.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? 'error'))
  const chunk = Buffer.alloc(64 * 1024, 0x61)
  let sent = 0
  const pump = (): void => {
    while (sent < total && !client.socket.destroyed && client.socket.writable) {
      const size = Math.min(chunk.length, total - sent)
      sent += size
      if (!client.socket.write(chunk.subarray(0, size))) {
        client.socket.once('drain', pump)
        return
      }
    }
  }
  pump()
  return {
    errors,
    stop: () => {
      sent = total
    },
  }
}

/**
 * Opens a connection to `port`, sends `method target` announcing a body of `total` bytes
 * (`Content-Length`) and uploads it with {@link uploadBody}, reading the answer meanwhile (as
 * Node's and undici's clients do); resolves once the response head and body are read, with the
 * client (for `untilClosed()`), the response and the upload's `errors` and `stop`.
 */
export async function startUpload(
  port: number,
  method: string,
  target: string,
  total: number,
): Promise<{ client: RawClient; response: RawResponse; errors: string[]; stop: () => void }> {
  const client = await RawClient.open(port)
  client.write(
    `${method} ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: ${String(total)}\r\n\r\n`,
  )
  const { errors, stop } = uploadBody(client, total)
  const response = await client.response()
  return { client, response, errors, stop }
}

/**
 * Sends a `POST /` announcing 1000 body bytes, then one byte every 50 ms: activity keeps Node's
 * idle timeouts from firing, and the body would take 50 s to arrive. Reads the response, then
 * waits (at most `timeoutMs`) for the connection to close; resolves with the response status and
 * whether the server closed it: its FIN, or (if trickled bytes were still unread then) a reset.
 */
export async function trickleUntilClosed(
  port: number,
  timeoutMs = 15_000,
): Promise<{ status: number; serverClosed: boolean }> {
  const client = await RawClient.open(port)
  let serverClosed = false
  client.socket.on('end', () => {
    serverClosed = true
  })
  client.socket.on('error', () => {
    serverClosed = true
  })
  client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n')
  const trickle = setInterval(() => {
    if (client.socket.writable) client.write('x')
  }, 50)
  onTestFinished(() => {
    clearInterval(trickle)
  })
  const { status } = await client.response()
  await client.untilClosed(timeoutMs)
  clearInterval(trickle)
  return { status, serverClosed }
}

/**
 * Sends a `POST /` with a whole body of `size` bytes, reads the response, then a `GET /` on the
 * same connection; resolves with both responses and whether the connection had ended by then.
 * The client is destroyed after.
 */
export async function postThenGet(
  port: number,
  size: number,
): Promise<{ first: RawResponse; second: RawResponse; ended: boolean }> {
  const client = await RawClient.open(port)
  try {
    const body = 'b'.repeat(size)
    client.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${String(body.length)}\r\n\r\n`)
    client.write(body)
    const first = await client.response()
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    const second = await client.response()
    return { first, second, ended: client.ended }
  } finally {
    client.destroy()
  }
}

/**
 * curl uploading 64 MiB of zeros from a pipe (`-T -`, so chunked), without
 * `Expect: 100-continue`, to `url`; resolves with the status code curl printed.
 */
export function curlUpload(url: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = execFile(
      'sh',
      [
        '-c',
        `head -c 67108864 /dev/zero | curl -sS -o /dev/null -w '%{http_code}' -H 'Expect:' ` +
          `-T - ${url}`,
      ],
      (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`${error.message}\n${stderr}`))
        else resolve(stdout)
      },
    )
    child.stdin?.end()
  })
}
