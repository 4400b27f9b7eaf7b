/**
 * Keep-alive uploads for the middleware round trips of every adapter: POSTs with a body on one
 * reused connection, then a batch in parallel, each answered by an echo of its body; and a
 * watch on what the process writes to its error log meanwhile (a drain racing the host's body
 * reader shows as `aborted` stacks there and as reset connections).
 *
 * @module
 */
import { Agent, request } from 'node:http'

import { expect } from 'vitest'

/** The outcome of one POST: status, whether the echo matched, and the client's socket port. */
export interface PostOutcome {
  readonly status: number
  readonly echoed: boolean
  readonly socketPort: number
}

/** How many POSTs {@link keepAlivePosts} sends, and how large. */
export interface KeepAliveOptions {
  readonly sequential?: number
  readonly parallel?: number
  readonly size?: number
}

/** What {@link keepAlivePosts} saw. */
export interface KeepAliveReport {
  /** The sequential POSTs, on one connection when it was kept alive. */
  readonly sequential: (PostOutcome | string)[]
  /** The parallel batch. */
  readonly parallel: (PostOutcome | string)[]
}

function bodyOf(index: number, size: number): Buffer {
  return Buffer.alloc(size, 97 + (index % 26))
}

function post(
  port: number,
  path: string,
  agent: Agent,
  body: Buffer,
): Promise<PostOutcome | string> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/octet-stream', 'content-length': body.length },
      },
      (res) => {
        const socketPort = res.socket.localPort ?? -1
        const parts: Buffer[] = []
        res.on('data', (chunk: Buffer) => parts.push(chunk))
        res.on('end', () => {
          const echoed = Buffer.concat(parts).equals(body)
          resolve({ status: res.statusCode ?? 0, echoed, socketPort })
        })
        res.on('error', (error: NodeJS.ErrnoException) => {
          resolve(`response ${error.code ?? error.message}`)
        })
      },
    )
    req.on('error', (error: NodeJS.ErrnoException) => {
      resolve(`request ${error.code ?? error.message}`)
    })
    req.end(body)
  })
}

/**
 * `sequential` POSTs of `size` bytes one after another on one keep-alive connection, then
 * `parallel` at once on keep-alive connections, to `http://127.0.0.1:<port><path>`, which must
 * echo the body.
 */
export async function keepAlivePosts(
  port: number,
  path: string,
  { sequential = 3, parallel = 20, size = 64 * 1024 }: KeepAliveOptions = {},
): Promise<KeepAliveReport> {
  const one = new Agent({ keepAlive: true, maxSockets: 1 })
  const many = new Agent({ keepAlive: true, maxSockets: parallel })
  try {
    const first: (PostOutcome | string)[] = []
    for (let i = 0; i < sequential; i++) first.push(await post(port, path, one, bodyOf(i, size)))
    const batch = await Promise.all(
      Array.from({ length: parallel }, (_, i) => post(port, path, many, bodyOf(i, size))),
    )
    return { sequential: first, parallel: batch }
  } finally {
    one.destroy()
    many.destroy()
  }
}

/**
 * Collect what `console.error` and `process.stderr` receive until `stop()` (which puts them back
 * and returns the text): a test runner may route either one elsewhere.
 */
export function watchErrorLog(): { stop(): string } {
  const text: string[] = []
  const write = process.stderr.write.bind(process.stderr)
  const error = console.error
  process.stderr.write = (chunk: string | Uint8Array) => {
    text.push(String(chunk))
    return true
  }
  console.error = (...args: unknown[]) => {
    text.push(args.map(String).join(' '))
  }
  return {
    stop() {
      process.stderr.write = write
      console.error = error
      return text.join('\n')
    },
  }
}

/**
 * Assert what a keep-alive run must show: nothing in the error log, every POST answered 200 with
 * its body echoed, and the sequential POSTs on one connection (none reset or closed for its body).
 */
export function expectAllAnswered(report: KeepAliveReport, logged: string): void {
  expect(logged).toBe('')
  for (const outcome of [...report.sequential, ...report.parallel]) {
    expect(outcome).toMatchObject({ status: 200, echoed: true })
  }
  const ports = report.sequential.map((outcome) =>
    typeof outcome === 'string' ? outcome : outcome.socketPort,
  )
  expect(new Set(ports).size).toBe(1)
}
