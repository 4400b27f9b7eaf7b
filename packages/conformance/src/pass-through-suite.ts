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

/** A raw GET of `path` (HTTP/1.1, `Host: localhost`), with `extra` header lines. */
export function getRequest(path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`
}

/** The raw HEAD of `/json`. */
export const RAW_HEAD_JSON = 'HEAD /json HTTP/1.1\r\nHost: localhost\r\n\r\n'

/**
 * The requests every framework's app answers under the same paths: `/json`, `/stream`,
 * `/no-content`, `/not-modified`, `/cookies`, `/redirect`, `/big`, `/sync-error`, `/async-error`,
 * and a 404 with `%2F` in the query.
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
]

/**
 * Describe `fromX` on `makeServer`: `makeApp()` is a fresh gateway app whose `/which` route
 * answers `native` on the server's own socket and `synthetic` otherwise; `cases` are the
 * requests whose bytes and log lines must match on both paths.
 */
export function describePassThrough(
  fromName: string,
  makeApp: () => WSGIApplication,
  cases: readonly (readonly [name: string, raw: string])[],
): void {
  describe(`${fromName} on makeServer: pass-through and synthetic path send the same bytes`, () => {
    it('takes the pass-through for a plain GET, the synthetic path when wrapped', async () => {
      const [which] = await differential(makeApp(), [{ raw: getRequest('/which') }])
      expect(which?.fast.bytes).toContain('\r\n\r\nnative')
      expect(which?.synthetic.bytes).toContain('\r\n\r\nsynthetic')
    })

    it.each(cases)('%s', async (_name, raw) => {
      const [result] = await differential(makeApp(), [{ raw }])
      expect(result?.fast.bytes).not.toBe('')
      expect(result?.fast).toEqual(result?.synthetic)
    })
  })
}
