/**
 * docs/deploy.md's last recipe: `wsgi serve --workers 2` behind a reverse proxy, the app wrapped
 * in `proxyFix` for that one proxy. The proxy here is a small node:http one that does what nginx
 * does with `X-Forwarded-For $proxy_add_x_forwarded_for` and `X-Forwarded-Proto`, and connects
 * upstream from 127.0.0.2, so the proxy's address and the client's differ.
 *
 * @module
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, request } from 'node:http'
import type { IncomingMessage, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'

const core = fileURLToPath(new URL('..', import.meta.url))
const bin = join(core, 'dist', 'bin', 'wsgi.js')

beforeAll(() => {
  if (!existsSync(bin) || !existsSync(join(core, 'dist', 'index.js'))) {
    execFileSync('pnpm', ['exec', 'tsc', '-b'], { cwd: join(core, '..', '..'), stdio: 'pipe' })
  }
}, 120_000)

/** `wsgi serve --workers 2 behind-proxy.mjs` on a free port; killed after the test. */
async function serveWorkers(): Promise<number> {
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--host', '127.0.0.1', '--port', '0', '--workers', '2', 'behind-proxy.mjs'],
    { cwd: join(core, 'test', 'fixtures', 'cli'), stdio: ['ignore', 'pipe', 'pipe'] },
  )
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let stdout = ''
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
  return new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text
      const match = /port (\d+)/.exec(stdout)
      if (match) resolve(Number(match[1]))
    })
    child.once('exit', (code) => {
      reject(new Error(`wsgi exited with ${code} before listening:\n${stderr}`))
    })
  })
}

/** A reverse proxy to 127.0.0.1:`upstream`, adding X-Forwarded-For/-Proto as nginx does. */
async function reverseProxy(upstream: number): Promise<number> {
  const server: Server = createServer((incoming, outgoing) => {
    const client = incoming.socket.remoteAddress ?? ''
    // Node joins repeated X-Forwarded-For headers into one string.
    const forwarded = incoming.headers['x-forwarded-for'] as string | undefined
    const headers = {
      ...incoming.headers,
      'x-forwarded-for': forwarded === undefined ? client : `${forwarded}, ${client}`,
      'x-forwarded-proto': 'https',
    }
    const upstreamRequest = request(
      {
        host: '127.0.0.1',
        port: upstream,
        localAddress: '127.0.0.2',
        method: incoming.method,
        path: incoming.url,
        headers,
        agent: false,
      },
      (response: IncomingMessage) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers)
        response.pipe(outgoing)
      },
    )
    upstreamRequest.on('error', () => outgoing.destroy())
    incoming.pipe(upstreamRequest)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => {
    server.closeAllConnections()
    server.close()
  })
  return (server.address() as AddressInfo).port
}

interface Seen {
  pid: number
  remoteAddr: string
  scheme: string
  proxyAddr: string
}

/** One request through the proxy on a fresh connection, so the workers share them. */
async function through(port: number, headers: Record<string, string> = {}): Promise<Seen> {
  const response = await fetch(`http://127.0.0.1:${port}/`, {
    headers: { connection: 'close', ...headers },
  })
  return (await response.json()) as Seen
}

describe('wsgi serve --workers 2 behind a reverse proxy, with proxyFix', () => {
  it('sees the client address and scheme the proxy forwarded, on both workers', async () => {
    const proxy = await reverseProxy(await serveWorkers())
    const seen: Seen[] = []
    for (let i = 0; i < 10; i++) seen.push(await through(proxy))
    for (const one of seen) {
      expect(one).toMatchObject({
        remoteAddr: '127.0.0.1',
        scheme: 'https',
        proxyAddr: '127.0.0.2',
      })
    }
    expect(new Set(seen.map((one) => one.pid)).size).toBe(2)
  })

  it('trusts one hop only: an X-Forwarded-For the client sent itself is not taken', async () => {
    const proxy = await reverseProxy(await serveWorkers())
    const seen = await through(proxy, { 'x-forwarded-for': '198.51.100.66' })
    expect(seen.remoteAddr).toBe('127.0.0.1')
  })
})
