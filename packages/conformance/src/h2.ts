/**
 * HTTP/2 scaffolding for the packages' tests: a listener served over h2c or h2 (TLS with core's
 * test-only self-signed certificate) on 127.0.0.1, a connected client session closed when the
 * test finishes, and one request on it.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { connect, createSecureServer, createServer } from 'node:http2'
import type {
  ClientHttp2Session,
  Http2ServerRequest,
  Http2ServerResponse,
  IncomingHttpHeaders,
  OutgoingHttpHeaders,
} from 'node:http2'
import type { AddressInfo } from 'node:net'

import { onTestFinished } from 'vitest'

const fixtures = new URL('../../core/test/fixtures/tls/', import.meta.url)
// A test-only self-signed key and certificate (see packages/core/test/fixtures/tls/README.md).
// Read on first use: most users of this package never serve h2.
let tlsFiles: { key: Buffer; cert: Buffer } | undefined

function testTls(): { key: Buffer; cert: Buffer } {
  return (tlsFiles ??= {
    key: readFileSync(new URL('localhost-key.pem', fixtures)),
    cert: readFileSync(new URL('localhost-cert.pem', fixtures)),
  })
}

/** Serve `listener` over h2c or h2 on 127.0.0.1; a connected client session. */
export async function h2Session(
  secure: boolean,
  listener: (req: Http2ServerRequest, res: Http2ServerResponse) => void,
): Promise<ClientHttp2Session> {
  const tls = testTls()
  const server = secure
    ? createSecureServer({ ...tls, allowHTTP1: false }, listener)
    : createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const session = connect(
    `${secure ? 'https' : 'http'}://127.0.0.1:${port}`,
    secure ? { ca: tls.cert } : {},
  )
  onTestFinished(async () => {
    session.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return session
}

/** One request on `session`: the response headers and body. */
export function h2Request(
  session: ClientHttp2Session,
  headers: OutgoingHttpHeaders,
  body?: string,
): Promise<{ headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined })
    if (body !== undefined) stream.end(body)
    let responseHeaders: IncomingHttpHeaders = {}
    let text = ''
    stream.setEncoding('utf8')
    stream.on('response', (h) => (responseHeaders = h))
    stream.on('data', (chunk: string) => (text += chunk))
    stream.on('end', () => {
      resolve({ headers: responseHeaders, body: text })
    })
    stream.on('error', reject)
  })
}
