import { describe, expect, it, onTestFinished } from 'vitest'

import { httpsGetText, selfSignedCert } from '../../test/helpers/tls.ts'

import { demoApp, makeServer } from './index.ts'

describe('makeServer(host, port, app, { tls })', () => {
  it('serves HTTPS to a client that trusts the certificate, as wsgi.url_scheme https', async () => {
    const { key, cert } = selfSignedCert()
    const tls = { key, cert }
    const server = await makeServer('127.0.0.1', 0, demoApp, { tls, accessLog: false })
    void server.serveForever()
    onTestFinished(() => server.shutdown())
    const body = await httpsGetText(server.serverPort, tls.cert)
    expect(body).toContain("wsgi.url_scheme = 'https'")
    expect(body).toContain("HTTPS = 'on'")
    expect(body).toContain(`SERVER_PORT = '${server.serverPort}'`)
  })
})
