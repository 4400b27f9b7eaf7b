/**
 * Security of core's servers against hostile input, over raw sockets: path traversal through
 * `staticFiles` in every spelling, and the header and body size limits a user sets (431, 413).
 * The malformed-request catalogue runs in `suite.test.ts`.
 *
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { StringErrorStream } from '../../src/streams.ts'
import { toNodeListener } from '../../src/node/index.ts'
import { staticFiles } from '../../src/static-files/index.ts'
import { makeServer } from '../../src/simple-server/index.ts'
import type { WSGIApplication } from '../../src/types.ts'
import { exchange } from '../../../../reliability/lib/raw-http.mjs'
import { echoApp } from '../../../../reliability/lib/malformed.mjs'

describe('path traversal through staticFiles', () => {
  let root: string
  const SECRET = 'TOP-SECRET-CONTENT'
  const DOTFILE = 'DOT-SECRET-CONTENT'
  const notFound: WSGIApplication = (_environ, startResponse) => {
    startResponse('404 Not Found', [['Content-Type', 'text/plain']])
    return [new TextEncoder().encode('no such file')]
  }

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'wsgi-reliability-'))
    mkdirSync(join(root, 'public', 'sub'), { recursive: true })
    writeFileSync(join(root, 'public', 'index.txt'), 'public file')
    writeFileSync(join(root, 'public', 'sub', 'page.txt'), 'sub page')
    writeFileSync(join(root, 'public', '.env'), DOTFILE)
    writeFileSync(join(root, 'secret.txt'), SECRET)
    symlinkSync(join(root, 'secret.txt'), join(root, 'public', 'link.txt'))
  })
  afterAll(() => {
    rmSync(root, { recursive: true, force: true })
  })

  const ATTEMPTS = [
    '/static/../secret.txt',
    '/static/%2e%2e/secret.txt',
    '/static/%2E%2E%2Fsecret.txt',
    '/static/..%2fsecret.txt',
    '/static/..%5csecret.txt',
    '/static/..\\secret.txt',
    '/static/%252e%252e/secret.txt',
    '/static/sub/../../secret.txt',
    '/static/sub/%2e%2e/%2e%2e/secret.txt',
    '/static//..//secret.txt',
    '/static/....//secret.txt',
    '/static/..%c0%af..%c0%afsecret.txt',
    '/static/%00../secret.txt',
    '/static/secret.txt%00.txt',
    '/static/.env',
    '/static/%2eenv',
    '/static/link.txt',
    '/static/sub/..%2f..%2fsecret.txt',
  ]

  describe.each([
    ['makeServer', 'simple'],
    ['toNodeListener', 'listener'],
  ])('served by %s', (_name, kind) => {
    let running: { port: number; close(): Promise<void> } | undefined

    afterEach(async () => {
      await running?.close()
      running = undefined
    })

    it('never sends a file outside the directory, a dotfile, or a symlink out of it', async () => {
      const app = staticFiles(notFound, { '/static': join(root, 'public') })
      if (kind === 'simple') {
        const server = await makeServer('127.0.0.1', 0, app)
        server.stderr = new StringErrorStream()
        running = { port: server.serverPort, close: () => server.shutdown() }
      } else {
        const { createServer } = await import('node:http')
        const server = createServer(toNodeListener(app, { errors: new StringErrorStream() }))
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
        const address = server.address() as { port: number }
        running = {
          port: address.port,
          close: () =>
            new Promise<void>((resolve) => {
              server.closeAllConnections()
              server.close(() => {
                resolve()
              })
            }),
        }
      }
      const leaks: string[] = []
      const targets = [...ATTEMPTS, ...ATTEMPTS.slice(0, 4).map((p) => `http://localhost${p}`)]
      for (const target of targets) {
        const result = await exchange(
          running.port,
          `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
        )
        for (const response of result.responses) {
          const body = response.body.toString('latin1')
          if (body.includes(SECRET) || body.includes(DOTFILE) || response.status === 200) {
            leaks.push(`${target}: ${response.status} ${body.slice(0, 40)}`)
          }
        }
      }
      expect(leaks).toEqual([])
      // The directory itself still serves.
      const ok = await exchange(
        running.port,
        'GET /static/sub/page.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      )
      expect(ok.responses[0]?.body.toString('latin1')).toBe('sub page')
    })
  })
})

describe('size limits a user sets', () => {
  let running: { port: number; close(): Promise<void> } | undefined

  afterEach(async () => {
    await running?.close()
    running = undefined
  })

  it('answers 431 for headers over makeServer({ serverOptions: { maxHeaderSize } })', async () => {
    const server = await makeServer('127.0.0.1', 0, echoApp, {
      serverOptions: { maxHeaderSize: 1024 },
    })
    server.stderr = new StringErrorStream()
    running = { port: server.serverPort, close: () => server.shutdown() }
    const big = await exchange(
      server.serverPort,
      `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(1500)}\r\n\r\n`,
    )
    expect(big.responses.map((r) => r.status)).toEqual([431])
    expect(big.closed).toBe(true)
    const small = await exchange(
      server.serverPort,
      `GET / HTTP/1.1\r\nHost: a\r\nX-Small: ${'s'.repeat(500)}\r\nConnection: close\r\n\r\n`,
    )
    expect(small.responses.map((r) => r.status)).toEqual([200])
  })

  it('answers 413 with a coded log line for a body over makeServer({ inputLimit })', async () => {
    const server = await makeServer('127.0.0.1', 0, echoApp, { inputLimit: 1000 })
    const errors = new StringErrorStream()
    server.stderr = errors
    running = { port: server.serverPort, close: () => server.shutdown() }
    const over = await exchange(
      server.serverPort,
      `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(5000)}`,
    )
    expect(over.responses.map((r) => r.status)).toEqual([413])
    expect(over.responses[0]?.body.toString()).not.toContain('Error')
    expect(errors.getValue()).toContain('ERR_WSGI_BODY_TOO_LARGE')
    const under = await exchange(
      server.serverPort,
      `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n${'x'.repeat(1000)}`,
    )
    expect(under.responses.map((r) => r.status)).toEqual([200])
    expect(under.responses[0]?.body.length).toBeGreaterThanOrEqual(1000)
  })

  it('answers 413 with a coded log line for a body over toNodeListener({ inputLimit })', async () => {
    const { createServer } = await import('node:http')
    const errors = new StringErrorStream()
    const server = createServer(
      toNodeListener(echoApp as unknown as WSGIApplication, { errors, inputLimit: 1000 }),
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    running = {
      port,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => {
            resolve()
          })
        }),
    }
    const over = await exchange(
      port,
      `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(5000)}`,
    )
    expect(over.responses.map((r) => r.status)).toEqual([413])
    expect(over.responses[0]?.body.toString()).not.toContain('Error')
    expect(errors.getValue()).toContain('ERR_WSGI_BODY_TOO_LARGE')
    const under = await exchange(
      port,
      `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 500\r\nConnection: close\r\n\r\n${'x'.repeat(500)}`,
    )
    expect(under.responses.map((r) => r.status)).toEqual([200])
  })
})
