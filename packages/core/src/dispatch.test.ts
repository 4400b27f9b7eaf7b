import { describe, expect, it } from 'vitest'

import { dispatch } from './dispatch.ts'
import type { ResponseBody, StartResponse, WSGIApplication, WSGIEnvironment } from './types.ts'
import { requestURI, setupTestingDefaults } from './util.ts'

interface Seen {
  name: string
  SCRIPT_NAME: unknown
  PATH_INFO: unknown
  uri: string
}

// An app that records what it saw, under a name, and answers 200.
function recorder(name: string, log: Seen[]): WSGIApplication {
  return (environ, startResponse) => {
    log.push({
      name,
      SCRIPT_NAME: environ.SCRIPT_NAME,
      PATH_INFO: environ.PATH_INFO,
      uri: requestURI(environ),
    })
    startResponse('200 OK', [['Content-Type', 'text/plain']])
    return [new TextEncoder().encode(name)]
  }
}

interface Call {
  status: string | undefined
  headers: [string, string][]
  body: string
}

async function call(app: WSGIApplication, environ: Record<string, unknown>): Promise<Call> {
  const result: Call = { status: undefined, headers: [], body: '' }
  const startResponse: StartResponse = (status, headers) => {
    result.status = status
    result.headers = headers
    return () => undefined
  }
  const body: ResponseBody = await app(setupTestingDefaults(environ), startResponse)
  const decoder = new TextDecoder()
  for await (const chunk of body) result.body += decoder.decode(chunk, { stream: true })
  return result
}

describe('dispatch(mounts)', () => {
  const names = ['root', 'api', 'apiV2', 'deep', 'static']
  function build(log: Seen[], withRoot = true): WSGIApplication {
    const apps = Object.fromEntries(names.map((n) => [n, recorder(n, log)]))
    return dispatch({
      ...(withRoot ? { '/': apps['root']! } : {}),
      '/api': apps['api']!,
      '/api/v2/': apps['apiV2']!,
      '/api/v2/deep/er': apps['deep']!,
      '/static': apps['static']!,
    })
  }

  it.each([
    // [SCRIPT_NAME in, PATH_INFO in, app, SCRIPT_NAME out, PATH_INFO out]
    ['', '/api', 'api', '/api', ''],
    ['', '/api/', 'api', '/api', '/'],
    ['', '/api/users', 'api', '/api', '/users'],
    ['', '/api/users/1', 'api', '/api', '/users/1'],
    ['', '/apix', 'root', '', '/apix'],
    ['', '/api-x/y', 'root', '', '/api-x/y'],
    ['', '/API', 'root', '', '/API'],
    ['', '/api/v2', 'apiV2', '/api/v2', ''],
    ['', '/api/v2/x', 'apiV2', '/api/v2', '/x'],
    ['', '/api/v22', 'api', '/api', '/v22'],
    ['', '/api/v2/deep', 'apiV2', '/api/v2', '/deep'],
    ['', '/api/v2/deep/er/x', 'deep', '/api/v2/deep/er', '/x'],
    ['', '/api/v2/deep/err', 'apiV2', '/api/v2', '/deep/err'],
    ['', '/static/a/b.css', 'static', '/static', '/a/b.css'],
    ['', '/', 'root', '', '/'],
    ['', '', 'root', '', ''],
    ['', '//api', 'root', '', '//api'],
    ['/mount', '/api/x', 'api', '/mount/api', '/x'],
    ['/mount', '', 'root', '/mount', ''],
  ])(
    'routes SCRIPT_NAME %j + PATH_INFO %j to %s with SCRIPT_NAME %j, PATH_INFO %j',
    async (sn, pi, app, snOut, piOut) => {
      const log: Seen[] = []
      const result = await call(build(log), { SCRIPT_NAME: sn, PATH_INFO: pi })
      expect(result.body).toBe(app)
      expect(log).toHaveLength(1)
      expect(log[0]).toMatchObject({ name: app, SCRIPT_NAME: snOut, PATH_INFO: piOut })
    },
  )

  it.each([['/nowhere'], ['/apix'], ['/'], ['']])(
    'answers 404 text/plain for %j when nothing matches and there is no fallback',
    async (pi) => {
      const log: Seen[] = []
      const result = await call(build(log, false), { SCRIPT_NAME: '', PATH_INFO: pi })
      expect(result.status).toBe('404 Not Found')
      expect(result.headers).toContainEqual(['Content-Type', 'text/plain; charset=utf-8'])
      expect(result.body).toBe('Not Found\n')
      expect(log).toEqual([])
    },
  )

  it('calls options.notFound instead of the default 404', async () => {
    const log: Seen[] = []
    const app = dispatch({ '/a': recorder('a', log) }, { notFound: recorder('nf', log) })
    const result = await call(app, { SCRIPT_NAME: '/s', PATH_INFO: '/b' })
    expect(result.body).toBe('nf')
    expect(log[0]).toMatchObject({ SCRIPT_NAME: '/s', PATH_INFO: '/b' })
  })

  it.each([
    ['/a/x/y', 'inner-x', '/a/x', '/y'],
    ['/a/x', 'inner-x', '/a/x', ''],
    ['/a/z', 'inner-root', '/a', '/z'],
    ['/a', 'inner-root', '/a', ''],
    ['/b/x', 'outer-root', '', '/b/x'],
  ])('composes: %j reaches %s with SCRIPT_NAME %j, PATH_INFO %j', async (pi, app, snOut, piOut) => {
    const log: Seen[] = []
    const inner = dispatch({ '/x': recorder('inner-x', log), '/': recorder('inner-root', log) })
    const outer = dispatch({ '/a': inner, '': recorder('outer-root', log) })
    const result = await call(outer, { SCRIPT_NAME: '', PATH_INFO: pi })
    expect(result.body).toBe(app)
    expect(log[0]).toMatchObject({ SCRIPT_NAME: snOut, PATH_INFO: piOut })
  })

  it.each([
    ['/api', '', 'http://h.test/api'],
    ['/api/x%20y', 'q=1&r', 'http://h.test/api/x%20y?q=1&r'],
    ['/api/', '', 'http://h.test/api/'],
    ['/api/v2/a;b=c,d', '', 'http://h.test/api/v2/a;b=c,d'],
    ['/api/caf%C3%A9', '', 'http://h.test/api/caf%C3%A9'],
    ['/elsewhere/%E2%82%AC', 'x', 'http://h.test/elsewhere/%E2%82%AC?x'],
    ['/', '', 'http://h.test/'],
  ])('keeps requestURI(environ) equal to the client URL for %j', async (path, query, url) => {
    const log: Seen[] = []
    // PATH_INFO is the percent-decoded path, bytes as latin-1, as a server gives it.
    const pathInfo = decodeURIComponent(path)
    const latin1 = String.fromCharCode(...new TextEncoder().encode(pathInfo))
    const environ = { SCRIPT_NAME: '', PATH_INFO: latin1, QUERY_STRING: query, HTTP_HOST: 'h.test' }
    expect(requestURI(setupTestingDefaults({ ...environ }))).toBe(url)
    await call(build(log), environ)
    expect(log[0]?.uri).toBe(url)
  })

  it('matches non-ASCII prefixes against the UTF-8 bytes of the path', async () => {
    const log: Seen[] = []
    const app = dispatch({ '/café': recorder('cafe', log) })
    const result = await call(app, { SCRIPT_NAME: '', PATH_INFO: '/caf\xc3\xa9/menu' })
    expect(result.body).toBe('cafe')
    expect(log[0]).toMatchObject({ SCRIPT_NAME: '/caf\xc3\xa9', PATH_INFO: '/menu' })
    expect(log[0]?.uri).toBe('http://127.0.0.1/caf%C3%A9/menu')
  })

  it('leaves the caller environ unchanged', async () => {
    const log: Seen[] = []
    const environ = setupTestingDefaults({ SCRIPT_NAME: '/s', PATH_INFO: '/api/x' })
    const before = { ...environ }
    await call(build(log), environ)
    expect(environ).toEqual(before)
    expect(log[0]).toMatchObject({ SCRIPT_NAME: '/s/api', PATH_INFO: '/x' })
  })

  it('passes the other environ keys and startResponse through', async () => {
    let seen: WSGIEnvironment | undefined
    const app = dispatch({
      '/a': (environ, startResponse) => {
        seen = environ
        startResponse('204 No Content', [])
        return []
      },
    })
    const environ = setupTestingDefaults({ PATH_INFO: '/a', HTTP_X_TEST: 'yes' })
    const result = await call(app, environ)
    expect(result.status).toBe('204 No Content')
    expect(seen?.['HTTP_X_TEST']).toBe('yes')
    expect(seen?.['wsgi.input']).toBe(environ['wsgi.input'])
  })

  it('returns the promise of an asynchronous mounted app', async () => {
    const app = dispatch({
      '/a': async (_environ, startResponse) => {
        await Promise.resolve()
        startResponse('200 OK', [['Content-Type', 'text/plain']])
        return [new TextEncoder().encode('async')]
      },
    })
    expect((await call(app, { PATH_INFO: '/a/b' })).body).toBe('async')
  })

  describe('host keys', () => {
    function hosts(log: Seen[]): WSGIApplication {
      return dispatch({
        'http://example.com/api': recorder('example-api', log),
        'https://Example.com': recorder('example-root', log),
        'http://other.test:8080/': recorder('other-8080', log),
        '/api': recorder('any-api', log),
        '/': recorder('any-root', log),
      })
    }

    it.each([
      [{ HTTP_HOST: 'example.com', PATH_INFO: '/api/x' }, 'example-api', '/api', '/x'],
      [{ HTTP_HOST: 'EXAMPLE.com:8000', PATH_INFO: '/api' }, 'example-api', '/api', ''],
      [{ HTTP_HOST: 'example.com', PATH_INFO: '/apix' }, 'example-root', '', '/apix'],
      [{ HTTP_HOST: 'other.test:8080', PATH_INFO: '/api/x' }, 'other-8080', '', '/api/x'],
      [{ HTTP_HOST: 'other.test:9090', PATH_INFO: '/api/x' }, 'any-api', '/api', '/x'],
      [{ HTTP_HOST: 'third.test', PATH_INFO: '/api/x' }, 'any-api', '/api', '/x'],
      [{ HTTP_HOST: 'third.test', PATH_INFO: '/x' }, 'any-root', '', '/x'],
      [
        { HTTP_HOST: '', SERVER_NAME: 'example.com', SERVER_PORT: '80', PATH_INFO: '/api' },
        'example-api',
        '/api',
        '',
      ],
      [
        { HTTP_HOST: '', SERVER_NAME: 'other.test', SERVER_PORT: '8080', PATH_INFO: '/y' },
        'other-8080',
        '',
        '/y',
      ],
      [{ HTTP_HOST: '[::1]:8080', PATH_INFO: '/api' }, 'any-api', '/api', ''],
    ])('routes %j to %s', async (environ, app, snOut, piOut) => {
      const log: Seen[] = []
      const result = await call(hosts(log), { SCRIPT_NAME: '', ...environ })
      expect(result.body).toBe(app)
      expect(log[0]).toMatchObject({ SCRIPT_NAME: snOut, PATH_INFO: piOut })
    })

    it('matches bracketed IPv6 hosts', async () => {
      const log: Seen[] = []
      const app = dispatch({ 'http://[::1]/v6': recorder('v6', log) })
      expect((await call(app, { HTTP_HOST: '[::1]:8080', PATH_INFO: '/v6/a' })).body).toBe('v6')
      expect((await call(app, { HTTP_HOST: '[::2]', PATH_INFO: '/v6/a' })).status).toBe(
        '404 Not Found',
      )
    })
  })

  it.each([
    [{ api: (() => []) as WSGIApplication }, /must be empty or start with '\/'/],
    [{ '/a': 'nope' as unknown as WSGIApplication }, /must be a function \(got 'nope'\)/],
    [{ '/a': (() => []) as WSGIApplication, '/a/': (() => []) as WSGIApplication }, /same mount/],
    [{ '/': (() => []) as WSGIApplication, '': (() => []) as WSGIApplication }, /same mount/],
  ])('throws ERR_WSGI_INVALID_ARG_TYPE for %o', (mounts, message) => {
    expect(() => dispatch(mounts)).toThrow(message)
    try {
      dispatch(mounts)
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError)
      expect((error as { code?: string }).code).toBe('ERR_WSGI_INVALID_ARG_TYPE')
    }
  })

  it('throws ERR_WSGI_INVALID_ARG_TYPE when mounts is not an object', () => {
    expect(() => dispatch(null as unknown as Record<string, WSGIApplication>)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }) as Error,
    )
  })
})
