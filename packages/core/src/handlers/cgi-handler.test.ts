import { PassThrough } from 'node:stream'

import { afterEach, describe, expect, it, vi } from 'vitest'

import { BytesWriter } from '../../test/fixtures/streams.ts'
import type { WSGIApplication } from '../types.ts'
import { StringErrorStream } from '../_internal/error-stream.ts'
import { InputReader } from '../_internal/input.ts'
import { BaseCGIHandler, readEnviron } from './cgi-handler.ts'

const ERROR_BODY = 'A server error occurred.  Please contact the administrator.'

describe('readEnviron(env)', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it.each([
    'SCRIPT_NAME',
    'PATH_INFO',
    'QUERY_STRING',
    'REQUEST_METHOD',
    'AUTH_TYPE',
    'CONTENT_TYPE',
    'CONTENT_LENGTH',
    'HTTPS',
    'REMOTE_USER',
    'REMOTE_IDENT',
    'HTTP_X_ANYTHING',
    'SSL_CLIENT_S_DN',
    'REDIRECT_PATH_INFO',
    'REDIRECT_REDIRECT_HTTP_HOST',
  ])('gives %s as the latin-1 characters of its UTF-8 bytes', (key) => {
    expect(readEnviron({ [key]: '/café €' })).toEqual({ [key]: '/caf\xc3\xa9 \xe2\x82\xac' })
  })

  it.each(['HOME', 'LANG', 'SERVER_NAME', 'REMOTE_ADDR', 'REDIRECT_HOME', 'HTTPX', 'XHTTP_A'])(
    'copies %s unchanged',
    (key) => {
      expect(readEnviron({ [key]: '/café €' })).toEqual({ [key]: '/café €' })
    },
  )

  it('keeps ASCII values as they are and leaves out undefined ones', () => {
    expect(readEnviron({ PATH_INFO: '/a b', QUERY_STRING: undefined })).toEqual({
      PATH_INFO: '/a b',
    })
  })

  it('gives U+FFFD (what Node made of bytes that are not UTF-8) as its three UTF-8 bytes', () => {
    expect(readEnviron({ PATH_INFO: '/\ufffd' })).toEqual({ PATH_INFO: '/\xef\xbf\xbd' })
  })

  it('reads process.env by default, returning a copy', () => {
    vi.stubEnv('PATH_INFO', '/é')
    const environ = readEnviron()
    expect(environ['PATH_INFO']).toBe('/\xc3\xa9')
    environ['PATH_INFO'] = '/changed'
    expect(process.env['PATH_INFO']).toBe('/é')
  })
})

/** Reads the whole body (to EOF) and sends it back, with the input flags. */
const echoApp: WSGIApplication = async (environ, startResponse) => {
  const body = await environ['wsgi.input'].read()
  startResponse('200 OK', [
    ['X-Input-Terminated', String(environ['wsgi.input_terminated'] ?? 'unset')],
  ])
  return [body]
}

function cgi(
  stdin: ConstructorParameters<typeof BaseCGIHandler>[0],
  environ: Record<string, string>,
): { handler: BaseCGIHandler; out: BytesWriter; err: StringErrorStream } {
  const out = new BytesWriter()
  const err = new StringErrorStream()
  const handler = new BaseCGIHandler(stdin, out, err, { REQUEST_METHOD: 'POST', ...environ })
  return { handler, out, err }
}

describe('new BaseCGIHandler(stdin, stdout, stderr, environ)', () => {
  it('is not an origin server: it writes a Status header', async () => {
    const { handler, out } = cgi(InputReader.fromBytes('abc'), {})
    expect(handler.originServer).toBe(false)
    await handler.run(echoApp)
    expect(out.text()).toBe(
      'Status: 200 OK\r\nX-Input-Terminated: unset\r\nContent-Length: 3\r\n\r\nabc',
    )
  })

  it('stops wsgi.input at CONTENT_LENGTH though stdin stays open, and leaves stdin open', async () => {
    const stdin = new PassThrough()
    stdin.write('hello')
    stdin.write(' world, and more')
    const { handler, out } = cgi(stdin, { CONTENT_LENGTH: '11' })
    await handler.run(echoApp)
    expect(out.text()).toBe(
      'Status: 200 OK\r\nX-Input-Terminated: true\r\nContent-Length: 11\r\n\r\nhello world',
    )
    expect(stdin.destroyed).toBe(false)
    expect(stdin.listenerCount('readable')).toBe(0)
  })

  it('reads a body that arrives in many chunks up to CONTENT_LENGTH', async () => {
    const chunks = Array.from({ length: 50 }, (_, i) => Buffer.from(`${i % 10}`.repeat(100)))
    const { handler, out } = cgi(chunks, { CONTENT_LENGTH: '4950' })
    await handler.run(echoApp)
    const body = out.value().subarray(out.value().indexOf('\r\n\r\n') + 4)
    expect(body).toEqual(Buffer.concat(chunks).subarray(0, 4950))
  })

  it.each([
    ['absent', {}],
    ['empty', { CONTENT_LENGTH: '' }],
    ['malformed', { CONTENT_LENGTH: 'twelve' }],
    ['negative', { CONTENT_LENGTH: '-1' }],
  ])('gives an empty body when CONTENT_LENGTH is %s (RFC 3875: no body)', async (_name, env) => {
    const stdin = new PassThrough()
    stdin.write('never read')
    const { handler, out } = cgi(stdin, env)
    await handler.run(echoApp)
    expect(out.text()).toBe(
      'Status: 200 OK\r\nX-Input-Terminated: true\r\nContent-Length: 0\r\n\r\n',
    )
  })

  it('fails the read with ERR_WSGI_INPUT_ERROR when stdin ends before CONTENT_LENGTH', async () => {
    const stdin = new PassThrough()
    stdin.end('short')
    let caught: unknown
    const { handler, out } = cgi(stdin, { CONTENT_LENGTH: '10' })
    await handler.run(async (environ, startResponse) => {
      try {
        await environ['wsgi.input'].read()
      } catch (error) {
        caught = error
        throw error
      }
      startResponse('200 OK', [])
      return []
    })
    expect(caught).toMatchObject({ code: 'ERR_WSGI_INPUT_ERROR' })
    expect(out.text()).toContain(`Status: 500 Internal Server Error\r\n`)
    expect(out.text()).toContain(ERROR_BODY)
  })

  it('releases stdin after the run although the app read only part of the body', async () => {
    const stdin = new PassThrough()
    stdin.write('0123456789')
    const { handler, out } = cgi(stdin, { CONTENT_LENGTH: '100' })
    await handler.run(async (environ, startResponse) => {
      const head = await environ['wsgi.input'].read(3)
      startResponse('200 OK', [])
      return [head]
    })
    expect(out.text()).toBe('Status: 200 OK\r\nContent-Length: 3\r\n\r\n012')
    expect(stdin.listenerCount('readable')).toBe(0)
    expect(stdin.destroyed).toBe(false)
  })
})
