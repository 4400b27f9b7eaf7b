/**
 * A one-chunk answer through `toKoa`, byte for byte (only `Date` masked): where `Content-Length`
 * goes (where Koa's body setter puts it, before the app's headers) and how the app's headers,
 * Content-Type and Content-Length included, follow, with and without headers set upstream. A
 * change of the order in which the head and the body go to Koa (to set fewer headers) must keep
 * these bytes: the first two cases are those such an order would take, the last those it must
 * not (no Content-Type, Content-Length spelt another way, a repeated name).
 */
import type Koa from 'koa'
import { describe, expect, it } from 'vitest'

import type { HeaderList } from '@wsgi/core/types'

import { KOAS, bytes, rawRequest, serveKoa } from '../test/helpers.ts'
import { toKoa } from './to-koa.ts'

const GET = 'GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'

/** The raw answer of `toKoa` sending `headers` and the body `hello`, behind `before`. */
async function answer(
  Koa: (typeof KOAS)[number][1],
  headers: HeaderList,
  before?: Koa.Middleware,
): Promise<string> {
  const koa = new Koa()
  if (before !== undefined) koa.use(before)
  koa.use(
    toKoa((_environ, startResponse) => {
      startResponse('200 OK', headers)
      return [bytes('hello')]
    }),
  )
  const raw = (await rawRequest(await serveKoa(koa), GET)).toString('latin1')
  return raw.replace(/\r\nDate: [^\r]*/, '\r\nDate: -')
}

const END = 'Date: -\r\nConnection: close\r\n\r\nhello'

describe.each(KOAS)('toKoa on %s: a one-chunk answer', (_name, Koa) => {
  it('keeps Content-Length first and the app order after it', async () => {
    expect(
      await answer(Koa, [
        ['X-One', 'a'],
        ['Content-Type', 'text/plain'],
        ['Set-Cookie', 's=1'],
      ]),
    ).toBe(
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-One: a\r\nContent-Type: text/plain\r\n' +
        `Set-Cookie: s=1\r\n${END}`,
    )
    expect(
      await answer(Koa, [
        ['Content-Length', '5'],
        ['X-One', 'a'],
        ['Content-Type', 'text/plain'],
      ]),
    ).toBe(`HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-One: a\r\nContent-Type: text/plain\r\n${END}`)
  })

  it('after headers set upstream (a Content-Length and a Content-Type among them)', async () => {
    const upstream: Koa.Middleware = async (ctx, next) => {
      ctx.set('X-Up', '1')
      ctx.set('Content-Length', '99')
      ctx.set('Content-Type', 'text/html')
      await next()
    }
    expect(await answer(Koa, [['X-One', 'a']], upstream)).toBe(
      'HTTP/1.1 200 OK\r\nX-Up: 1\r\nContent-Length: 5\r\nContent-Type: text/html\r\n' +
        `X-One: a\r\n${END}`,
    )
    expect(
      await answer(
        Koa,
        [
          ['Content-Type', 'text/plain'],
          ['X-One', 'a'],
        ],
        upstream,
      ),
    ).toBe(
      'HTTP/1.1 200 OK\r\nX-Up: 1\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n' +
        `X-One: a\r\n${END}`,
    )
  })

  it('with no Content-Type, Content-Length spelt another way, a repeated name', async () => {
    // No Content-Type anywhere: Koa's default one must not stay.
    expect(await answer(Koa, [['X-One', 'a']])).toBe(
      `HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-One: a\r\n${END}`,
    )
    // The app spells Content-Length its own way: its spelling goes out, where Koa put it.
    expect(
      await answer(Koa, [
        ['X-One', 'a'],
        ['content-length', '5'],
        ['Content-Type', 'text/plain'],
      ]),
    ).toBe(`HTTP/1.1 200 OK\r\ncontent-length: 5\r\nX-One: a\r\nContent-Type: text/plain\r\n${END}`)
    // A repeated name: grouped, body first.
    expect(
      await answer(Koa, [
        ['X-One', 'a'],
        ['Content-Type', 'text/plain'],
        ['x-one', 'b'],
      ]),
    ).toBe(
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-One: a\r\nX-One: b\r\n' +
        `Content-Type: text/plain\r\n${END}`,
    )
  })
})
