/**
 * Test scaffolding for HTTPS: a self-signed certificate for 127.0.0.1 made with openssl for one
 * test, and a GET over a real https client that trusts it.
 *
 * @module
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { onTestFinished } from 'vitest'

/** A certificate and its key, as PEM bytes and as the files they were written to. */
export interface SelfSigned {
  readonly key: Buffer
  readonly cert: Buffer
  readonly keyFile: string
  readonly certFile: string
}

/**
 * A self-signed certificate for `127.0.0.1` (valid one day), written as `key.pem` and `cert.pem`
 * into `dir`, or into a temporary folder removed when the test finishes.
 */
export function selfSignedCert(dir?: string): SelfSigned {
  let folder = dir
  if (folder === undefined) {
    const made = mkdtempSync(join(tmpdir(), 'wsgi-tls-'))
    onTestFinished(() => {
      rmSync(made, { recursive: true, force: true })
    })
    folder = made
  }
  const keyFile = join(folder, 'key.pem')
  const certFile = join(folder, 'cert.pem')
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
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), keyFile, certFile }
}

/** GET `path` from `https://127.0.0.1:port`, trusting `ca`; resolves with the body as text. */
export function httpsGetText(port: number, ca: Buffer, path = '/'): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
      res.on('end', () => {
        resolve(text)
      })
    })
    req.on('error', reject)
    req.end()
  })
}
