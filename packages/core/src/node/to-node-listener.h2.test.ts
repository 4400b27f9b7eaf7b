/**
 * `toNodeListener` under `http2.createServer` (h2c) and `http2.createSecureServer` (h2), the
 * compat API: pseudo-headers become CGI variables, never `HTTP_:*` keys, and the response is one
 * HTTP/2 accepts. Real h2 clients (`http2.connect`).
 */
import { describe, expect, it, onTestFinished } from 'vitest'

import type { WSGIApplication } from '../types.ts'
import { StringErrorStream } from '../_internal/error-stream.ts'
import { h2Request, h2Session } from '../../test/helpers/h2.ts'
import { toNodeListener } from './to-node-listener.ts'

const echoEnviron: WSGIApplication = (environ, startResponse) => {
  const strings = Object.fromEntries(
    Object.entries(environ).filter(([, value]) => typeof value === 'string'),
  )
  const json = { ...strings, 'wsgi.url_scheme': environ['wsgi.url_scheme'] }
  startResponse('200 OK', [
    ['Content-Type', 'application/json'],
    ['Set-Cookie', 'a=1'],
    ['Set-Cookie', 'b=2'],
  ])
  return [Buffer.from(JSON.stringify(json))]
}

describe.each([
  ['h2c', false],
  ['h2', true],
])('toNodeListener over %s', (_name, secure) => {
  it('maps the pseudo-headers to CGI variables and keeps them out of HTTP_*', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error): void => {
      warnings.push(warning)
    }
    process.on('warning', onWarning)
    onTestFinished(() => {
      process.off('warning', onWarning)
    })
    const errors = new StringErrorStream()
    const session = await h2Session(secure, toNodeListener(echoEnviron, { errors }) as never)
    const answer = await h2Request(
      session,
      { ':method': 'POST', ':path': '/a%20b?x=1', ':authority': 'example.test:8443', 'x-y': 'z' },
      'abc',
    )
    expect(answer.headers[':status']).toBe(200)
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2'])
    const env = JSON.parse(answer.body) as Record<string, string>
    expect(env).toMatchObject({
      SERVER_PROTOCOL: 'HTTP/2.0',
      REQUEST_METHOD: 'POST',
      PATH_INFO: '/a b',
      QUERY_STRING: 'x=1',
      HTTP_HOST: 'example.test:8443',
      SERVER_NAME: 'example.test',
      HTTP_X_Y: 'z',
      'wsgi.url_scheme': secure ? 'https' : 'http',
    })
    expect(Object.keys(env).filter((key) => key.includes(':'))).toEqual([])
    await new Promise((resolve) => setImmediate(resolve))
    // No reason phrase handed to HTTP/2 (Node warns that it has none).
    expect(warnings.map((w) => w.name)).toEqual([])
    expect(errors.getValue()).toBe('')
  })

  it('takes a Host header over :authority', async () => {
    const session = await h2Session(secure, toNodeListener(echoEnviron) as never)
    const answer = await h2Request(session, { ':path': '/', host: 'from-host.test' })
    const env = JSON.parse(answer.body) as Record<string, string>
    expect(env['HTTP_HOST']).toBe('from-host.test')
  })

  it('takes :scheme https as the URL scheme (a proxy speaking h2c)', async () => {
    const session = await h2Session(secure, toNodeListener(echoEnviron) as never)
    const answer = await h2Request(session, { ':path': '/', ':scheme': 'https' })
    const env = JSON.parse(answer.body) as Record<string, string>
    expect(env['wsgi.url_scheme']).toBe('https')
  })

  it('streams a response and serves several streams on one session', async () => {
    const app: WSGIApplication = (environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return (function* () {
        yield Buffer.from(`${String(environ.PATH_INFO)}:`)
        yield Buffer.from('done')
      })()
    }
    const session = await h2Session(secure, toNodeListener(app) as never)
    const answers = await Promise.all(
      ['/1', '/2', '/3'].map((path) => h2Request(session, { ':path': path })),
    )
    expect(answers.map((a) => a.body)).toEqual(['/1:done', '/2:done', '/3:done'])
  })

  it('keeps headers middleware set before the app ran', async () => {
    const gateway = toNodeListener(echoEnviron)
    const session = await h2Session(secure, (req, res) => {
      // As Express middleware would (helmet, cors...).
      res.setHeader('X-Pre', '1')
      gateway(req as never, res as never)
    })
    const answer = await h2Request(session, { ':path': '/' })
    expect(answer.headers[':status']).toBe(200)
    expect(answer.headers['x-pre']).toBe('1')
  })

  it('answers a large upload it does not read, and the session serves the next stream', async () => {
    const early: WSGIApplication = (_environ, startResponse) => {
      startResponse('413 Content Too Large', [['Content-Type', 'text/plain']])
      return [Buffer.from('too large')]
    }
    const session = await h2Session(secure, toNodeListener(early) as never)
    const answer = await new Promise<{ status: unknown; body: string }>((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': '/upload' })
      let status: unknown
      let body = ''
      stream.setEncoding('utf8')
      stream.on('response', (headers) => (status = headers[':status']))
      stream.on('data', (chunk: string) => (body += chunk))
      stream.on('close', () => {
        resolve({ status, body })
      })
      stream.on('error', reject)
      // Never ends: 4 MiB, then the client waits.
      stream.write(Buffer.alloc(4 * 1024 * 1024))
    })
    expect(answer).toEqual({ status: 413, body: 'too large' })
    const next = await h2Request(session, { ':method': 'POST', ':path': '/again' }, 'x')
    expect(next.headers[':status']).toBe(413)
  })
})
