/**
 * Memory stays flat for any body size: 1 GiB up and 1 GiB down through `makeServer()`, and
 * through the Node bridge's round trip (`toNodeListener(fromNodeListener(toNodeListener(app)))`),
 * must grow the server's RSS by less than 64 MiB.
 *
 * The server runs in a child process from the built JS (`pnpm exec tsc -b` first), sampling its
 * own RSS, so that the client's memory does not count; the client makes and consumes the bytes
 * as streams.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync } from 'node:fs'
import { request } from 'node:http'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const GiB = 1024 * 1024 * 1024
const MiB = 1024 * 1024
const LIMIT = 64 * MiB
const dist = fileURLToPath(new URL('../dist/', import.meta.url))

// The server process: a download app (lazily made 64 KiB chunks, one buffer reused) and an
// upload app (reads wsgi.input in 64 KiB reads), on the simple server and on the round trip.
// It answers `reset` (new baseline) and `report` (peak growth since) on stdin.
const SERVER = `
import { makeServer, WSGIRequestHandler } from ${JSON.stringify(`${dist}simple-server/index.js`)}
import { attachListener, fromNodeListener, toNodeListener } from ${JSON.stringify(`${dist}node/index.js`)}
import { createServer } from 'node:http'

const block = new Uint8Array(65536).fill(7)
const app = async (environ, startResponse) => {
  if (environ.PATH_INFO === '/upload') {
    const input = environ['wsgi.input']
    let length = 0
    for (let c = await input.read(65536); c.length > 0; c = await input.read(65536)) length += c.length
    startResponse('200 OK', [['Content-Type', 'text/plain']])
    return [new TextEncoder().encode(String(length))]
  }
  const size = Number(new URLSearchParams(environ.QUERY_STRING).get('size'))
  startResponse('200 OK', [['Content-Length', String(size)]])
  return (function* () {
    for (let offset = 0; offset < size; offset += block.length) {
      yield size - offset >= block.length ? block : block.subarray(0, size - offset)
    }
  })()
}
class Quiet extends WSGIRequestHandler { logRequest() {} }
const simple = await makeServer('127.0.0.1', 0, app, { handlerClass: Quiet })
const errors = { write: (s) => process.stderr.write(s), writelines() {}, flush() {} }
const roundTrip = createServer()
attachListener(roundTrip, toNodeListener(fromNodeListener(toNodeListener(app, { errors })), { errors }))
await new Promise((resolve) => roundTrip.listen(0, '127.0.0.1', resolve))

let baseline = 0
let peak = 0
const sample = () => { const rss = process.memoryUsage.rss(); if (rss > peak) peak = rss }
setInterval(sample, 5).unref()
process.stdin.setEncoding('utf8')
let pending = ''
process.stdin.on('data', (data) => {
  pending += data
  let nl
  while ((nl = pending.indexOf('\\n')) >= 0) {
    const command = pending.slice(0, nl)
    pending = pending.slice(nl + 1)
    if (command === 'reset') {
      globalThis.gc?.()
      baseline = process.memoryUsage.rss()
      peak = baseline
      process.stdout.write('OK\\n')
    } else if (command === 'report') {
      sample()
      process.stdout.write(JSON.stringify({ baseline, peak, growth: peak - baseline }) + '\\n')
    } else if (command === 'exit') {
      process.exit(0)
    }
  }
})
process.stdout.write('READY ' + simple.serverPort + ' ' + roundTrip.address().port + '\\n')
`

class ServerProcess {
  readonly child: ChildProcessWithoutNullStreams
  readonly #lines: AsyncIterator<string>

  constructor() {
    this.child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', SERVER])
    this.child.stderr.pipe(process.stderr)
    this.#lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]()
  }

  async line(): Promise<string> {
    const next = await this.#lines.next()
    if (next.done === true) throw new Error('the server process ended')
    return next.value
  }

  async command(command: string): Promise<string> {
    this.child.stdin.write(`${command}\n`)
    return this.line()
  }
}

/** GET `size` bytes, counting them as they arrive (nothing is kept). */
function download(port: number, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path: `/download?size=${size}` }, (res) => {
      let received = 0
      res.on('data', (chunk: Buffer) => {
        received += chunk.length
      })
      res.on('end', () => {
        resolve(received)
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** POST `size` bytes made on the fly (one buffer, written with backpressure), chunked. */
function upload(port: number, size: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path: '/upload', method: 'POST' }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        resolve(body)
      })
    })
    req.on('error', reject)
    const block = Buffer.alloc(256 * 1024, 3)
    let sent = 0
    const pump = (): void => {
      while (sent < size) {
        const n = Math.min(block.length, size - sent)
        sent += n
        if (!req.write(n === block.length ? block : block.subarray(0, n))) {
          req.once('drain', pump)
          return
        }
      }
      req.end()
    }
    pump()
  })
}

describe('memory stays flat (1 GiB each way)', () => {
  let server: ServerProcess
  let simplePort = 0
  let roundTripPort = 0

  beforeAll(async () => {
    if (!existsSync(`${dist}simple-server/index.js`)) {
      throw new Error(`${dist}simple-server/index.js is missing: run \`pnpm exec tsc -b\` first`)
    }
    server = new ServerProcess()
    const ready = await server.line()
    const [, a, b] = ready.split(' ')
    simplePort = Number(a)
    roundTripPort = Number(b)
  })

  afterAll(async () => {
    server.child.stdin.write('exit\n')
    await new Promise((resolve) => server.child.once('exit', resolve))
  })

  async function growthDuring(work: () => Promise<void>): Promise<number> {
    expect(await server.command('reset')).toBe('OK')
    await work()
    const report = JSON.parse(await server.command('report')) as { growth: number }
    return report.growth
  }

  it.each([
    ['the simple server', () => simplePort],
    ['the round trip toNodeListener(fromNodeListener(toNodeListener(app)))', () => roundTripPort],
  ])(
    'downloads 1 GiB through %s with RSS growth under 64 MiB',
    async (_name, port) => {
      let received = 0
      const growth = await growthDuring(async () => {
        received = await download(port(), GiB)
      })
      expect(received).toBe(GiB)
      expect(growth).toBeLessThan(LIMIT)
    },
    60_000,
  )

  it.each([
    ['the simple server', () => simplePort],
    ['the round trip toNodeListener(fromNodeListener(toNodeListener(app)))', () => roundTripPort],
  ])(
    'uploads 1 GiB through %s with RSS growth under 64 MiB',
    async (_name, port) => {
      let answer = ''
      const growth = await growthDuring(async () => {
        answer = await upload(port(), GiB)
      })
      expect(answer).toBe(String(GiB))
      expect(growth).toBeLessThan(LIMIT)
    },
    60_000,
  )
})
