/**
 * On `@hono/node-server`, `toHono`/`toFetch` read the request headers from the Node request
 * (`env.incoming.rawHeaders`) while nothing has read the stand-in `Request`'s `headers`. The
 * differential check: the same gateway app behind a plain route and behind one whose middleware
 * reads a header first (so the headers exist and are read as before), each request sent over a
 * raw socket, and the environs both report compared; and the rule that makes the pairs, against
 * a real `Headers` on generated field lists.
 */
import { connect } from 'node:net'

import fc from 'fast-check'
import { Hono } from 'hono'
import { mount } from 'hono/mount'
import { describe, expect, it } from 'vitest'

import type { WSGIApplication } from '@wsgi/core/types'

import { rawHeaderPairs } from '../src/_internal/node-server-headers.ts'
import { toHono } from '../src/hono.ts'
import { toFetch } from '../src/to-fetch.ts'

import { serveOnNodeServer } from './helpers.ts'

const enc = new TextEncoder()

/** Answers with its environ's string keys in order, and whether the Request's headers exist. */
const report: WSGIApplication = (environ, startResponse) => {
  const request = environ['wsgits.fetch_request'] as Record<symbol, unknown>
  const made = Object.getOwnPropertySymbols(request).some((key) => request[key] instanceof Headers)
  const keys = Object.entries(environ).filter(([, value]) => typeof value === 'string')
  startResponse('200 OK', [['Content-Type', 'application/json']])
  return [enc.encode(JSON.stringify({ made, keys }))]
}

/** Send `raw` on a new connection; the body of the answer, parsed. */
function send(port: number, raw: string): Promise<{ made: boolean; keys: [string, string][] }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1')
      resolve(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as never)
    })
    socket.write(raw)
  })
}

type Mode = 'toHono' | 'toFetch'

async function serve(mode: Mode, readFirst: boolean): Promise<number> {
  const hono = new Hono()
  if (readFirst) {
    hono.use(async (c, next) => {
      c.req.header('x-nothing')
      await next()
    })
  }
  if (mode === 'toHono') hono.all('/m/*', toHono(report))
  else hono.all('/m/*', mount(toFetch(report, { scriptName: '/m' }), { replaceRequest: false }))
  return serveOnNodeServer(hono.fetch)
}

const request = (fields: string): string =>
  `GET /m/x?q=1 HTTP/1.1\r\nHost: localhost:8080\r\n${fields}Connection: close\r\n\r\n`

const CASES: readonly (readonly [name: string, raw: string])[] = [
  ['no other field', request('')],
  ['fields out of order, in mixed case', request('X-Zeta: 1\r\naccept: */*\r\nX-Alpha: 2\r\n')],
  ['repeated fields, joined', request('X-Many: 1\r\nx-many: 2\r\nX-MANY: 3\r\n')],
  ['repeated Cookie, joined with ;', request('Cookie: a=1\r\nCookie: b=2\r\n')],
  ['values with spaces and tabs around', request('X-Pad:  \t padded \t \r\n')],
  ['names with _ and hop-by-hop fields', request('X_Under: 1\r\nTE: trailers\r\nProxy-Foo: 1\r\n')],
  [
    'a field Connection lists',
    'GET /m/x HTTP/1.1\r\nHost: h\r\nX-Hop: 1\r\nConnection: close, X-Hop\r\n\r\n',
  ],
  [
    'Content-Type and Content-Length',
    'POST /m/x HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok',
  ],
  ['a Set-Cookie field (read as before)', request('Set-Cookie: a=1\r\n')],
  ['latin-1 bytes in a value', request('X-Latin: caf\xe9\r\n')],
]

describe.each(['toHono', 'toFetch'] as const)(
  '%s on @hono/node-server: headers from the Node request and from Headers give the same environ',
  (mode) => {
    it('reads the Node request when nothing read the headers, and the Headers otherwise', async () => {
      const fast = await serve(mode, false)
      const slow = await serve(mode, true)
      // The first request teaches it where the stand-in keeps its Node request and its headers.
      await send(fast, request(''))
      expect((await send(fast, request(''))).made).toBe(false)
      expect((await send(slow, request(''))).made).toBe(true)
    })

    it.each(CASES)('%s', async (_name, raw) => {
      const fast = await serve(mode, false)
      const slow = await serve(mode, true)
      await send(fast, request(''))
      const got = await send(fast, raw)
      const want = await send(slow, raw)
      expect(got.keys).toEqual(want.keys)
    })
  },
)

describe('toHono on @hono/node-server: headers changed in place before it', () => {
  it('sees what a middleware set on c.req.raw.headers', async () => {
    const hono = new Hono()
    hono.use(async (c, next) => {
      c.req.raw.headers.set('x-added', 'by middleware')
      await next()
    })
    hono.all('/m/*', toHono(report))
    const port = await serveOnNodeServer(hono.fetch)
    await send(port, request(''))
    const { keys } = await send(port, request(''))
    expect(keys).toContainEqual(['HTTP_X_ADDED', 'by middleware'])
  })
})

describe('rawHeaderPairs(rawHeaders)', () => {
  it('gives what iterating a Headers made from the same fields gives, or undefined', () => {
    const name = fc.constantFrom(
      'a',
      'B',
      'x-y',
      'X-Y',
      'cookie',
      'Cookie',
      'set-cookie',
      'a b',
      ':path',
      'z',
    )
    const value = fc.constantFrom('1', ' 2 ', '\tx\t', 'a, b', 'c=d', '', 'caf\xe9', 'bad\0')
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 8 }), (fields) => {
        const raw = fields.flat()
        const pairs = rawHeaderPairs(raw)
        const headers = new Headers()
        let refused = false
        try {
          for (const [n, v] of fields) if (!n.startsWith(':')) headers.append(n, v)
        } catch {
          refused = true
        }
        if (pairs === undefined) {
          // Only what Headers refuses or keeps apart is left to it.
          expect(refused || fields.some(([n]) => n.toLowerCase() === 'set-cookie')).toBe(true)
        } else {
          expect(refused).toBe(false)
          expect(pairs).toEqual([...headers])
        }
      }),
      { numRuns: 2000 },
    )
  })
})
