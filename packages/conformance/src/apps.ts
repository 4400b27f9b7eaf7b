/**
 * Reference gateway applications: one per behaviour the conformance suite checks. Each one
 * reports to a {@link Probe} (close() calls, abort, bytes produced) under the `id` of its query
 * string. {@link createGatewayApp} routes `/<name>` to each, so one server serves them all.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { createHash } from 'node:crypto'

import type { ResponseBody, WSGIApplication, WSGIEnvironment } from '@wsgi/core'

import { CHUNK_SIZE, paramsOf, patternChunk } from './probe.ts'
import type { Probe } from './probe.ts'

const text = (s: string): Uint8Array => Buffer.from(s, 'utf8')

/** What `/echo` answers: the request as the app saw it. */
export interface EchoReport {
  readonly method: string
  readonly scriptName: string
  readonly path: string
  readonly query: string
  /** `CONTENT_TYPE`, `CONTENT_LENGTH` and every `HTTP_*` key, as `[key, value]` pairs. */
  readonly headers: [string, string][]
  /** The body, decoded as latin-1. */
  readonly body: string
}

/** What `/upload` answers. */
export interface UploadReport {
  readonly length: number
  readonly sha256: string
}

function queryOf(environ: WSGIEnvironment): string {
  return environ.QUERY_STRING ?? ''
}

/** Make `body` report its `close()` calls to the probe record `id`. */
function probed(
  probe: Probe,
  id: string,
  body: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): ResponseBody {
  return Object.assign(body, {
    close(): void {
      probe.update(id, (r) => {
        r.closes++
      })
    },
  })
}

/** `Hello, world!` as text/plain (with Content-Length, as a one-item list). */
export const helloApp: WSGIApplication = (_environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']])
  return [text('Hello, world!')]
}

/** The method, path, query, headers and body of the request, as JSON ({@link EchoReport}). */
export const echoApp: WSGIApplication = async (environ, startResponse) => {
  const body = await environ['wsgi.input'].read()
  const headers: [string, string][] = []
  for (const key of Object.keys(environ).sort()) {
    const value = environ[key]
    if (typeof value !== 'string') continue
    if (key.startsWith('HTTP_') || key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH') {
      headers.push([key, value])
    }
  }
  const report: EchoReport = {
    method: environ.REQUEST_METHOD,
    scriptName: environ.SCRIPT_NAME ?? '',
    path: environ.PATH_INFO ?? '',
    query: queryOf(environ),
    headers,
    body: Buffer.from(body).toString('latin1'),
  }
  startResponse('200 OK', [['Content-Type', 'application/json']])
  return [text(JSON.stringify(report))]
}

/** `n` chunks `chunk <i>\n`, each its own write (no Content-Length). */
export function streamingApp(probe: Probe): WSGIApplication {
  return (environ, startResponse) => {
    const { id, n } = paramsOf(queryOf(environ))
    startResponse('200 OK', [['Content-Type', 'text/plain']])
    return probed(
      probe,
      id,
      (async function* () {
        for (let i = 0; i < n; i++) {
          yield text(`chunk ${i}\n`)
          await new Promise((resolve) => setImmediate(resolve))
        }
        probe.update(id, (r) => {
          r.finished = true
        })
      })(),
    )
  }
}

/**
 * Server-sent events: headers at once (empty first chunk), event `first`, then waits for the
 * probe gate `id` before event `last`.
 */
export function sseApp(probe: Probe): WSGIApplication {
  return (environ, startResponse) => {
    const { id } = paramsOf(queryOf(environ))
    startResponse('200 OK', [
      ['Content-Type', 'text/event-stream'],
      ['Cache-Control', 'no-cache'],
    ])
    return probed(
      probe,
      id,
      (async function* () {
        yield new Uint8Array(0)
        yield text('data: first\n\n')
        await probe.gate(id)
        yield text('data: last\n\n')
        probe.update(id, (r) => {
          r.finished = true
        })
      })(),
    )
  }
}

/**
 * `size` bytes of the reference pattern, made lazily in 64 KiB chunks, with Content-Length
 * (`/download`) or without (`/slow`, sent chunked); `produced` counts what was made.
 */
export function downloadApp(probe: Probe, withLength = true): WSGIApplication {
  return (environ, startResponse) => {
    const { id, size } = paramsOf(queryOf(environ))
    startResponse('200 OK', [
      ['Content-Type', 'application/octet-stream'],
      ...(withLength ? ([['Content-Length', String(size)]] as [string, string][]) : []),
    ])
    return probed(
      probe,
      id,
      (function* () {
        for (let offset = 0; offset < size; offset += CHUNK_SIZE) {
          const length = Math.min(CHUNK_SIZE, size - offset)
          probe.update(id, (r) => {
            r.produced += length
          })
          yield patternChunk(offset, length)
        }
        probe.update(id, (r) => {
          r.finished = true
        })
      })(),
    )
  }
}

/** Three `Set-Cookie` headers and a repeated `X-Dup` header. */
export const cookiesApp: WSGIApplication = (_environ, startResponse) => {
  startResponse('200 OK', [
    ['Content-Type', 'text/plain'],
    ['Set-Cookie', 'a=1; Path=/'],
    ['X-Dup', 'one'],
    ['Set-Cookie', 'b=2; HttpOnly'],
    ['X-Dup', 'two'],
    ['Set-Cookie', 'c=3; Expires=Wed, 21 Oct 2037 07:28:00 GMT'],
  ])
  return [text('cookies')]
}

/**
 * 1000 bytes with Content-Length for GET; for HEAD the same headers and an endless body, which
 * the server must neither send nor pump (it must stop and `close()` it).
 */
export function headApp(probe: Probe): WSGIApplication {
  return (environ, startResponse) => {
    const { id } = paramsOf(queryOf(environ))
    startResponse('200 OK', [
      ['Content-Type', 'text/plain'],
      ['Content-Length', '1000'],
    ])
    if (environ.REQUEST_METHOD !== 'HEAD') return probed(probe, id, [Buffer.alloc(1000, 0x78)])
    return probed(
      probe,
      id,
      (function* () {
        for (;;) {
          probe.update(id, (r) => {
            r.produced += 1000
          })
          yield Buffer.alloc(1000, 0x78)
        }
      })(),
    )
  }
}

/** A status without a body (204 or 304) whose app nevertheless yields body bytes. */
export function noBodyApp(
  probe: Probe,
  status: '204 No Content' | '304 Not Modified',
): WSGIApplication {
  return (environ, startResponse) => {
    const { id } = paramsOf(queryOf(environ))
    startResponse(status, status.startsWith('304') ? [['ETag', '"v1"']] : [])
    return probed(
      probe,
      id,
      (function* () {
        yield text('must not be sent')
      })(),
    )
  }
}

/** Fails before calling `startResponse`; the error message must not reach the client. */
export const errorBeforeApp: WSGIApplication = () => {
  throw new Error('conformance: secret failure before the response')
}

/** Sends headers and a first chunk, then fails: the connection must be cut. */
export function errorAfterApp(probe: Probe): WSGIApplication {
  return (environ, startResponse) => {
    const { id } = paramsOf(queryOf(environ))
    startResponse('200 OK', [['Content-Type', 'text/plain']])
    return probed(
      probe,
      id,
      (async function* () {
        yield text('first part; ')
        await new Promise((resolve) => setTimeout(resolve, 5))
        throw new Error('conformance: failure after the response started')
      })(),
    )
  }
}

/**
 * Sends headers and one chunk, then waits until `wsgits.signal` fires (the client left) and
 * records it; a bridge without the signal never ends this response.
 */
export function abortProbeApp(probe: Probe): WSGIApplication {
  return (environ, startResponse) => {
    const { id } = paramsOf(queryOf(environ))
    const signal = environ['wsgits.signal']
    startResponse('200 OK', [['Content-Type', 'text/plain']])
    return probed(
      probe,
      id,
      (async function* () {
        yield text('waiting for the client to leave\n')
        if (signal === undefined) return
        await new Promise<void>((resolve) => {
          if (signal.aborted) resolve()
          else {
            signal.addEventListener(
              'abort',
              () => {
                resolve()
              },
              { once: true },
            )
          }
        })
        probe.update(id, (r) => {
          r.aborted = true
        })
      })(),
    )
  }
}

/**
 * Reads the whole body (when there is one), answers, and records if `wsgits.signal` ever fires:
 * it must not, for a request that completes normally.
 */
export function signalCheckApp(probe: Probe): WSGIApplication {
  return async (environ, startResponse) => {
    const { id } = paramsOf(queryOf(environ))
    const signal = environ['wsgits.signal']
    signal?.addEventListener('abort', () => {
      probe.update(id, (r) => {
        r.aborted = true
      })
    })
    const input = environ['wsgi.input']
    let length = 0
    for (let chunk = await input.read(65536); chunk.length > 0; chunk = await input.read(65536)) {
      length += chunk.length
    }
    startResponse('200 OK', [['Content-Type', 'text/plain']])
    return probed(probe, id, [text(`read ${length}`)])
  }
}

/** Reads the body in 64 KiB reads and answers its length and SHA-256 ({@link UploadReport}). */
export const uploadApp: WSGIApplication = async (environ, startResponse) => {
  const input = environ['wsgi.input']
  const hash = createHash('sha256')
  let length = 0
  for (let chunk = await input.read(65536); chunk.length > 0; chunk = await input.read(65536)) {
    hash.update(chunk)
    length += chunk.length
  }
  const report: UploadReport = { length, sha256: hash.digest('hex') }
  startResponse('200 OK', [['Content-Type', 'application/json']])
  return [text(JSON.stringify(report))]
}

/** Every reference app, by the path {@link createGatewayApp} serves it under. */
export function referenceApps(probe: Probe): Readonly<Record<string, WSGIApplication>> {
  return {
    '/hello': helloApp,
    '/echo': echoApp,
    '/stream': streamingApp(probe),
    '/sse': sseApp(probe),
    '/download': downloadApp(probe, true),
    '/slow': downloadApp(probe, false),
    '/cookies': cookiesApp,
    '/head': headApp(probe),
    '/204': noBodyApp(probe, '204 No Content'),
    '/304': noBodyApp(probe, '304 Not Modified'),
    '/error-before': errorBeforeApp,
    '/error-after': errorAfterApp(probe),
    '/abort': abortProbeApp(probe),
    '/signal-check': signalCheckApp(probe),
    '/upload': uploadApp,
  }
}

/** One gateway app serving every reference app under its path (`/hello`, `/echo`…), else 404. */
export function createGatewayApp(probe: Probe): WSGIApplication {
  const apps = referenceApps(probe)
  return (environ, startResponse) => {
    const path = environ.PATH_INFO ?? ''
    const app = apps[path] ?? apps[path.replace(/^\/echo\/.*$/, '/echo')]
    if (app !== undefined) return app(environ, startResponse)
    startResponse('404 Not Found', [['Content-Type', 'text/plain']])
    return [text(`no reference app at ${path}`)]
  }
}
