import { describe, expect, it } from 'vitest'

import type { WSGIEnvironment } from '../types.ts'
import { rawTarget } from './raw-target.ts'

function env(keys: Record<string, string>): WSGIEnvironment {
  return { SCRIPT_NAME: '', PATH_INFO: '/', QUERY_STRING: '', ...keys } as WSGIEnvironment
}

describe('rawTarget(environ)', () => {
  it('keeps the raw path when it decodes to SCRIPT_NAME + PATH_INFO', () => {
    expect(
      rawTarget(
        env({
          SCRIPT_NAME: '/api',
          PATH_INFO: '/a/b',
          QUERY_STRING: 'x=%41',
          REQUEST_URI: '/api/a%2Fb?x=%41',
        }),
      ),
    ).toEqual({ scriptName: '/api', pathInfo: '/a%2Fb', search: '?x=%41' })
    // As it was spelled: an encoded SCRIPT_NAME and malformed escapes stay.
    expect(
      rawTarget(env({ SCRIPT_NAME: '/caf\xe9', PATH_INFO: '/a%zz', REQUEST_URI: '/caf%E9/a%zz' })),
    ).toEqual({ scriptName: '/caf%E9', pathInfo: '/a%zz', search: '' })
  })

  it('reads RAW_URI (gunicorn) when there is no REQUEST_URI, and the absolute form', () => {
    expect(rawTarget(env({ PATH_INFO: '/a/../b', RAW_URI: '/a/%2e%2e/b' })).pathInfo).toBe(
      '/a/%2e%2e/b',
    )
    expect(rawTarget(env({ PATH_INFO: '/a/b', REQUEST_URI: 'http://h:1/a%2Fb?' }))).toEqual({
      scriptName: '',
      pathInfo: '/a%2Fb',
      search: '?',
    })
  })

  it('keeps the raw rest after a dispatcher moved segments into SCRIPT_NAME', () => {
    // shiftPathInfo collapsed '//': SCRIPT_NAME is rebuilt, PATH_INFO stays raw.
    expect(
      rawTarget(env({ SCRIPT_NAME: '/v1', PATH_INFO: '/x/y', REQUEST_URI: '/v1//x%2Fy' })),
    ).toEqual({ scriptName: undefined, pathInfo: '/x%2Fy', search: '' })
  })

  it('gives nothing raw where the environ says something else', () => {
    const none = { scriptName: undefined, pathInfo: undefined, search: '?q' }
    // A rewritten path, a stale target, a target a Node server cannot have parsed.
    expect(rawTarget(env({ PATH_INFO: '/new', QUERY_STRING: 'q', REQUEST_URI: '/old?q' }))).toEqual(
      none,
    )
    expect(rawTarget(env({ PATH_INFO: '/a b', QUERY_STRING: 'q', REQUEST_URI: '/a b?q' }))).toEqual(
      none,
    )
    expect(rawTarget(env({ PATH_INFO: '*', QUERY_STRING: 'q', REQUEST_URI: '*' }))).toEqual(none)
    // A split at a %2F the client sent: the environ's cut is not the client's, nothing is raw.
    expect(
      rawTarget(
        env({ SCRIPT_NAME: '/admin', PATH_INFO: '/secret', REQUEST_URI: '/admin%2Fsecret' }),
      ),
    ).toEqual({ scriptName: undefined, pathInfo: undefined, search: '' })
    // A query a middleware changed comes from QUERY_STRING.
    expect(rawTarget(env({ PATH_INFO: '/a', QUERY_STRING: 'b=2', REQUEST_URI: '/a?b=1' }))).toEqual(
      { scriptName: '', pathInfo: '/a', search: '?b=2' },
    )
  })
})
