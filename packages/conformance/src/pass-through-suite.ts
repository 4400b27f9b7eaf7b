/**
 * `describePassThrough`: the table-driven suite each `from*` adapter runs against
 * {@link differential}: that a plain GET takes the pass-through and a wrapped app the synthetic
 * path, then one test per request that both paths answer with the same bytes and log lines.
 *
 * @module
 */
import { describe, expect, it } from 'vitest'

import type { WSGIApplication } from '@wsgi/core/types'

import { differential } from './pass-through.ts'
import type { DifferentialRequest } from './pass-through.ts'

/** A raw GET of `path` (HTTP/1.1, `Host: localhost`), with `extra` header lines. */
export function getRequest(path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`
}

/** The raw HEAD of `/json`. */
export const RAW_HEAD_JSON = 'HEAD /json HTTP/1.1\r\nHost: localhost\r\n\r\n'

/**
 * The requests every framework's app answers under the same paths: `/json`, `/stream`,
 * `/no-content`, `/not-modified`, `/cookies`, `/redirect`, `/big`, `/sync-error`, `/async-error`,
 * a 404 with `%2F` in the query, and HEAD of `/json`, `/stream`, `/redirect` and a 404 (a HEAD
 * response without a length gets the handler's `Content-Length: 0` on both paths).
 */
export const COMMON_CASES: readonly (readonly [name: string, raw: string])[] = [
  ['JSON', getRequest('/json')],
  ['a streamed body', getRequest('/stream')],
  ['HEAD', RAW_HEAD_JSON],
  ['204', getRequest('/no-content')],
  ['304', getRequest('/not-modified')],
  ['several Set-Cookie', getRequest('/cookies')],
  ['a redirect', getRequest('/redirect')],
  ['a big body', getRequest('/big')],
  ['an error thrown', getRequest('/sync-error')],
  ['an error thrown later', getRequest('/async-error')],
  ['a 404', getRequest('/nowhere?x=%2F&y=1')],
  ['HEAD of a streamed body', 'HEAD /stream HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['HEAD of a redirect', 'HEAD /redirect HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['HEAD of a 404', 'HEAD /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n'],
]

/**
 * A raw request with a body (typed `application/octet-stream`, which each test app leaves
 * unparsed): `headers` after `Host`, then `body` as it is.
 */
function withBody(target: string, headers: string, body: string | Buffer, method = 'POST'): Buffer {
  const type = 'Content-Type: application/octet-stream\r\n'
  const head = `${method} ${target} HTTP/1.1\r\nHost: localhost\r\n${type}${headers}\r\n`
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body)])
}

/** `body` in the chunked framing, in chunks of `size` bytes. */
function chunked(body: Buffer, size: number): Buffer {
  const parts: Buffer[] = []
  for (let at = 0; at < body.length; at += size) {
    const chunk = body.subarray(at, at + size)
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'))
  }
  parts.push(Buffer.from('0\r\n\r\n'))
  return Buffer.concat(parts)
}

/** `size` bytes of a pattern that shows a shifted or lost block. */
function pattern(size: number): Buffer {
  const out = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) out[i] = 0x61 + ((i + Math.floor(i / 997)) % 26)
  return out
}

const MIB = 1024 * 1024
const SMALL = Buffer.from('hello, body')
const ONE_MIB = pattern(MIB)
// More than the server's drainLimit (1 MiB): not worth draining when nobody reads it.
const OVER_DRAIN = pattern(3 * MIB)

/**
 * The requests with a body every framework's app answers under the same paths: `POST /echo`
 * reads the whole body and sends it back with a `Content-Length`; `POST /ignore` answers
 * `ignored` without reading it; `POST /ignore-empty` answers 204 without reading it. Each is
 * followed by the closer on the same connection, which the server answers when the first
 * response left the connection usable (a body drained, or dropped by Node), and never when it
 * closed it (a body over `drainLimit`, a `100 Continue` it never asked for).
 */
export const BODY_CASES: readonly (readonly [name: string, request: DifferentialRequest])[] = [
  [
    'a small upload (Content-Length)',
    { raw: withBody('/echo', `Content-Length: ${SMALL.length}\r\n`, SMALL) },
  ],
  [
    'a small upload (chunked)',
    { raw: withBody('/echo', 'Transfer-Encoding: chunked\r\n', chunked(SMALL, 5)) },
  ],
  [
    'a 1 MiB upload (Content-Length)',
    { raw: withBody('/echo', `Content-Length: ${MIB}\r\n`, ONE_MIB) },
  ],
  [
    'a 1 MiB upload (chunked)',
    { raw: withBody('/echo', 'Transfer-Encoding: chunked\r\n', chunked(ONE_MIB, 50_000)) },
  ],
  [
    'an empty chunked body',
    { raw: withBody('/echo', 'Transfer-Encoding: chunked\r\n', '0\r\n\r\n') },
  ],
  [
    'a small body the app does not read (then keep-alive)',
    { raw: withBody('/ignore', `Content-Length: ${SMALL.length}\r\n`, SMALL) },
  ],
  [
    'a chunked body the app does not read (then keep-alive)',
    { raw: withBody('/ignore', 'Transfer-Encoding: chunked\r\n', chunked(SMALL, 4)) },
  ],
  [
    'a 1 MiB body the app does not read (drained, then keep-alive)',
    { raw: withBody('/ignore', `Content-Length: ${MIB}\r\n`, ONE_MIB) },
  ],
  [
    'a body over drainLimit the app does not read',
    {
      raw: withBody('/ignore', `Content-Length: ${OVER_DRAIN.length}\r\n`, OVER_DRAIN),
    },
  ],
  [
    'a body over drainLimit unread, answered 204 (Connection: close)',
    {
      raw: withBody('/ignore-empty', `Content-Length: ${OVER_DRAIN.length}\r\n`, OVER_DRAIN),
    },
  ],
  [
    'a small body unread, answered 204 (keep-alive)',
    { raw: withBody('/ignore-empty', `Content-Length: ${SMALL.length}\r\n`, SMALL) },
  ],
  [
    '100-continue: the client waits, the app reads',
    {
      raw: withBody('/echo', `Expect: 100-continue\r\nContent-Length: ${SMALL.length}\r\n`, ''),
      continueBody: SMALL,
    },
  ],
  [
    '100-continue: the client waits, the app does not read',
    {
      raw: withBody('/ignore', `Expect: 100-continue\r\nContent-Length: ${SMALL.length}\r\n`, ''),
      continueBody: SMALL,
    },
  ],
  [
    '100-continue: the client does not wait, the app reads',
    {
      raw: withBody('/echo', `Expect: 100-continue\r\nContent-Length: ${SMALL.length}\r\n`, SMALL),
    },
  ],
  [
    'an upload the client leaves mid-body',
    {
      raw: withBody('/echo', `Content-Length: ${MIB}\r\n`, ONE_MIB.subarray(0, 100_000)),
      abortAfter: 100,
    },
  ],
]

/**
 * Describe `fromX` on `makeServer`: `makeApp()` is a fresh gateway app whose `/which` route
 * answers `native` on the server's own socket and `synthetic` otherwise; `cases` are the
 * requests whose bytes and log lines must match on both paths.
 */
export function describePassThrough(
  fromName: string,
  makeApp: () => WSGIApplication,
  cases: readonly (readonly [name: string, request: string | DifferentialRequest])[],
): void {
  describe(`${fromName} on makeServer: pass-through and synthetic path send the same bytes`, () => {
    it('takes the pass-through for a plain GET, the synthetic path when wrapped', async () => {
      const [which] = await differential(makeApp(), [{ raw: getRequest('/which') }])
      expect(which?.fast.bytes).toContain('\r\n\r\nnative')
      expect(which?.synthetic.bytes).toContain('\r\n\r\nsynthetic')
    })

    it('takes the pass-through for a POST with a body too', async () => {
      const raw = withBody('/which', 'Content-Length: 2\r\n', 'hi')
      const [which] = await differential(makeApp(), [{ raw }])
      expect(which?.fast.bytes).toContain('\r\n\r\nnative')
      expect(which?.synthetic.bytes).toContain('\r\n\r\nsynthetic')
    })

    it.each(cases)('%s', async (_name, request) => {
      const [result] = await differential(makeApp(), [
        typeof request === 'string' ? { raw: request } : request,
      ])
      // A client that leaves gets nothing; every other request an answer.
      if (typeof request === 'string' || request.abortAfter === undefined) {
        expect(result?.fast.bytes).not.toBe('')
      }
      console.log(
        JSON.stringify(result?.fast.log),
        JSON.stringify(result?.fast.bytes.slice(0, 300)),
      )
      expect(result?.fast).toEqual(result?.synthetic)
    })
  })
}
