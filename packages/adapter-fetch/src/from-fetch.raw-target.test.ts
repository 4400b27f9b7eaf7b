/**
 * The request target as the client sent it, through a real socket: fromFetch on the simple
 * server builds `request.url` from the server's REQUEST_URI.
 */
import { describe, expect, it } from 'vitest'

import { rawGet, serveSimpleForTest } from '@wsgi/conformance'
import { dispatch } from '@wsgi/core/dispatch'

import { fromFetch } from './from-fetch.ts'

const echo = fromFetch((request) => new Response(request.url))

describe('fromFetch and the raw request target', () => {
  it('keeps %2F and malformed escapes in request.url', async () => {
    const port = await serveSimpleForTest(echo)
    expect(await rawGet(port, '/admin%2Fsecret?x=%2F')).toEqual({
      status: 200,
      body: 'http://h/admin%2Fsecret?x=%2F',
    })
    expect((await rawGet(port, '/a%zz')).body).toBe('http://h/a%zz')
  })

  it('keeps the raw rest of the path below a dispatch mount', async () => {
    const strip = fromFetch((request) => new Response(request.url), { stripScriptName: true })
    const port = await serveSimpleForTest(dispatch({ '/api': echo, '/v2': strip }))
    expect((await rawGet(port, '/api/a%2Fb')).body).toBe('http://h/api/a%2Fb')
    expect((await rawGet(port, '/v2/a%2Fb')).body).toBe('http://h/a%2Fb')
  })
})
