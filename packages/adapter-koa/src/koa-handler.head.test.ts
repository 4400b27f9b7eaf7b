/**
 * The response head `toKoa` hands Koa, byte for byte (only `Date` masked): the status set before
 * the body, the headers set one by one when no name repeats and grouped when one does, with
 * headers set upstream and the mount split of the `scriptName` option. These bytes are those of
 * the code before those fast paths (checked against it), so the fast paths change none.
 *
 * A one-chunk answer: the app's headers in the app's order, `Content-Length` among them where
 * the app put it (or last, where core adds it), as a streamed answer sends them; Koa's body
 * setter would put it first. With and without headers set upstream (one set there keeps its
 * place). A change of the order in which the head and the body go to Koa (to set fewer headers)
 * must keep these bytes, also with no Content-Type, Content-Length spelt another way, or a
 * repeated name.
 */
import type Koa from 'koa'
import { describe, expect, it } from 'vitest'

import type { HeaderList, Status, WSGIApplication } from '@wsgi/core/types'

import { KOAS, bytes, rawRequest, serveKoa } from '../test/helpers.ts'
import { KoaHandler } from './koa-handler.ts'
import { toKoa } from './to-koa.ts'

const GET = (target: string, method = 'GET'): string =>
  `${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`

function app(status: Status, headers: HeaderList, chunks: string[]): WSGIApplication {
  return (_environ, startResponse) => {
    startResponse(status, headers)
    return chunks.map(bytes)
  }
}

/** The gateway middleware with `replaceHeaders` (as `toKoaMiddleware` runs it). */
function replacing(gatewayApp: WSGIApplication): Koa.Middleware {
  return async (ctx) => {
    await new KoaHandler(ctx, { replaceHeaders: true }).start(gatewayApp)
  }
}

/** Headers a middleware upstream set before the gateway app ran. */
const upstream: Koa.Middleware = async (ctx, next) => {
  ctx.set('X-Up', '1')
  ctx.append('Set-Cookie', 'up=1')
  ctx.vary('Origin')
  await next()
}

async function head(koa: Koa, request: string): Promise<string> {
  const raw = (await rawRequest(await serveKoa(koa), request)).toString('latin1')
  return raw.replace(/\r\nDate: [^\r]*/, '\r\nDate: -')
}

describe.each(KOAS)('toKoa on %s: the raw response', (_name, Koa) => {
  it('with no repeated header name, after headers set upstream', async () => {
    const headers: HeaderList = [
      ['Content-Type', 'text/plain'],
      ['X-One', 'a'],
      ['Set-Cookie', 's=1'],
      ['Vary', 'Accept'],
      ['Content-Length', '5'],
    ]
    const koa = new Koa().use(upstream).use(toKoa(app('201 Made', headers, ['hello'])))
    expect(await head(koa, GET('/'))).toBe(
      'HTTP/1.1 201 Made\r\nX-Up: 1\r\nSet-Cookie: up=1\r\nSet-Cookie: s=1\r\n' +
        'Vary: Origin, Accept\r\nContent-Type: text/plain\r\nX-One: a\r\nContent-Length: 5\r\n' +
        'Date: -\r\nConnection: close\r\n\r\nhello',
    )
  })

  it('with repeated names, grouped, and the Server header of the options', async () => {
    const headers: HeaderList = [
      ['X-Multi', 'a'],
      ['Set-Cookie', 's=1'],
      ['x-multi', 'b'],
      ['Set-Cookie', 't=2'],
    ]
    const koa = new Koa().use(
      toKoa(app('200 OK', headers, ['a', 'b']), { serverSoftware: 'Test/1' }),
    )
    expect(await head(koa, GET('/'))).toBe(
      'HTTP/1.1 200 OK\r\nX-Multi: a\r\nX-Multi: b\r\nSet-Cookie: s=1\r\nSet-Cookie: t=2\r\n' +
        'Server: Test/1\r\nDate: -\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '1\r\na\r\n1\r\nb\r\n0\r\n\r\n',
    )
  })

  it('for 204, 304, HEAD and a body, replacing the headers set upstream', async () => {
    const koa = new Koa().use(upstream).use(
      replacing((environ, startResponse) => {
        const path = environ.PATH_INFO ?? ''
        startResponse(path === '/304' ? '304 Not Modified' : '204 No Content', [['X-A', '1']])
        return []
      }),
    )
    const headOnly = new Koa()
      .use(upstream)
      .use(replacing(app('200 OK', [['Content-Type', 'text/plain']], ['hello'])))
    expect(await head(koa, GET('/204'))).toBe(
      'HTTP/1.1 204 No Content\r\nX-A: 1\r\nDate: -\r\nConnection: close\r\n\r\n',
    )
    expect(await head(koa, GET('/304'))).toBe(
      'HTTP/1.1 304 Not Modified\r\nX-A: 1\r\nDate: -\r\nConnection: close\r\n\r\n',
    )
    expect(await head(headOnly, GET('/', 'HEAD'))).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nDate: -\r\n' +
        'Connection: close\r\n\r\n',
    )
    expect(await head(headOnly, GET('/'))).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nDate: -\r\n' +
        'Connection: close\r\n\r\nhello',
    )
  })

  it.each([
    ['/app/caf%C3%A9/x?q=1', ['/app', '/caf\u00c3\u00a9/x', '/app/caf%C3%A9/x?q=1']],
    ['/app', ['/app', '', '/app']],
    ['/application', ['/app', '/application', '/application']],
    ['/other?x', ['/app', '/other', '/other?x']],
  ])('splits %s at the scriptName option', async (target, expected) => {
    const koa = new Koa().use(
      toKoa(
        (environ, startResponse) => {
          startResponse('200 OK', [['Content-Type', 'text/plain']])
          const keys = ['SCRIPT_NAME', 'PATH_INFO', 'REQUEST_URI'] as const
          return [Buffer.from(JSON.stringify(keys.map((key) => environ[key])), 'latin1')]
        },
        { scriptName: '/app/' },
      ),
    )
    const text = await head(koa, GET(target))
    const body = text.slice(text.indexOf('\r\n\r\n') + 4)
    expect(JSON.parse(body)).toEqual(expected)
  })
})

const END = 'Date: -\r\nConnection: close\r\n\r\nhello'

describe.each(KOAS)('toKoa on %s: a one-chunk answer', (_name, Koa) => {
  /** The raw answer to a GET of an app sending `headers` and the body `hello`, behind `before`. */
  const answer = (headers: HeaderList, before?: Koa.Middleware): Promise<string> => {
    const koa = new Koa()
    if (before !== undefined) koa.use(before)
    return head(koa.use(toKoa(app('200 OK', headers, ['hello']))), GET('/x'))
  }

  it("sends the app's headers in order, and core's Content-Length after them", async () => {
    expect(
      await answer([
        ['X-One', 'a'],
        ['Content-Type', 'text/plain'],
        ['Set-Cookie', 's=1'],
      ]),
    ).toBe(
      'HTTP/1.1 200 OK\r\nX-One: a\r\nContent-Type: text/plain\r\nSet-Cookie: s=1\r\n' +
        `Content-Length: 5\r\n${END}`,
    )
    expect(
      await answer([
        ['Content-Length', '5'],
        ['X-One', 'a'],
        ['Content-Type', 'text/plain'],
      ]),
    ).toBe(`HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-One: a\r\nContent-Type: text/plain\r\n${END}`)
  })

  it('after headers set upstream (a Content-Length and a Content-Type among them)', async () => {
    const setLength: Koa.Middleware = async (ctx, next) => {
      ctx.set('X-Up', '1')
      ctx.set('Content-Length', '99')
      ctx.set('Content-Type', 'text/html')
      await next()
    }
    expect(await answer([['X-One', 'a']], setLength)).toBe(
      'HTTP/1.1 200 OK\r\nX-Up: 1\r\nContent-Length: 5\r\nContent-Type: text/html\r\n' +
        `X-One: a\r\n${END}`,
    )
    expect(
      await answer(
        [
          ['Content-Type', 'text/plain'],
          ['X-One', 'a'],
        ],
        setLength,
      ),
    ).toBe(
      'HTTP/1.1 200 OK\r\nX-Up: 1\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n' +
        `X-One: a\r\n${END}`,
    )
  })

  it('with no Content-Type, Content-Length spelt another way, a repeated name', async () => {
    // No Content-Type anywhere: Koa's default one must not stay.
    expect(await answer([['X-One', 'a']])).toBe(
      `HTTP/1.1 200 OK\r\nX-One: a\r\nContent-Length: 5\r\n${END}`,
    )
    // The app spells Content-Length its own way: its spelling goes out, in the app's place.
    expect(
      await answer([
        ['X-One', 'a'],
        ['content-length', '5'],
        ['Content-Type', 'text/plain'],
      ]),
    ).toBe(`HTTP/1.1 200 OK\r\nX-One: a\r\ncontent-length: 5\r\nContent-Type: text/plain\r\n${END}`)
    // A repeated name: grouped, in the order of first appearance.
    expect(
      await answer([
        ['X-One', 'a'],
        ['Content-Type', 'text/plain'],
        ['x-one', 'b'],
      ]),
    ).toBe(
      'HTTP/1.1 200 OK\r\nX-One: a\r\nX-One: b\r\nContent-Type: text/plain\r\n' +
        `Content-Length: 5\r\n${END}`,
    )
  })
})
