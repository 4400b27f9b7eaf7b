import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, it, onTestFinished } from 'vitest'

import { demoApp, makeServer } from './index.ts'

/** A self-signed certificate for 127.0.0.1, made with openssl for this test only. */
function selfSigned(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'wsgi-tls-'))
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true })
  })
  const keyFile = join(dir, 'key.pem')
  const certFile = join(dir, 'cert.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
    ].concat(['-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile]),
    { stdio: 'ignore' },
  )
  return { key: readFileSync(keyFile), cert: readFileSync(certFile) }
}

describe('makeServer(host, port, app, { tls })', () => {
  it('serves HTTPS to a client that trusts the certificate, as wsgi.url_scheme https', async () => {
    const tls = selfSigned()
    const server = await makeServer('127.0.0.1', 0, demoApp, { tls, accessLog: false })
    void server.serveForever()
    onTestFinished(() => server.shutdown())
    const body = await new Promise<string>((resolve, reject) => {
      const options = { host: '127.0.0.1', port: server.serverPort, ca: tls.cert, agent: false }
      const req = request(options, (res) => {
        let text = ''
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
        res.on('end', () => {
          resolve(text)
        })
      })
      req.on('error', reject)
      req.end()
    })
    expect(body).toContain("wsgi.url_scheme = 'https'")
    expect(body).toContain("HTTPS = 'on'")
    expect(body).toContain(`SERVER_PORT = '${server.serverPort}'`)
  })
})
