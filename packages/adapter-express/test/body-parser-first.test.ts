/**
 * A body parser mounted before the gateway app (bridge-pitfalls A1): the body is replayed when
 * its bytes are known, the app gets ERR_WSGI_BODY_ALREADY_READ when they are not, and nothing
 * ever hangs. Every fetch carries a deadline, so a hang fails the test instead of stalling it.
 */
import { describe, expect, it } from 'vitest'
import express from 'express'
import type { RequestHandler } from 'express'
import express4 from 'express4'
import multer from 'multer'

import { isWSGIError } from '@wsgi/core/errors'
import type { WSGIApplication } from '@wsgi/core/types'

import { toExpress } from '../src/to-express.ts'
import { bytes, listen } from './helpers.ts'

const DEADLINE = 5000

/** Reads wsgi.input whole; answers with what it got, or with the error code of the read. */
const echoApp: WSGIApplication = async (environ, startResponse) => {
  try {
    const body = await environ['wsgi.input'].read()
    startResponse('200 OK', [
      ['Content-Type', 'application/octet-stream'],
      ['X-Content-Length', String(environ.CONTENT_LENGTH)],
      ['X-Content-Encoding', environ['HTTP_CONTENT_ENCODING'] ?? ''],
    ])
    return [body]
  } catch (error) {
    startResponse('409 Conflict', [['Content-Type', 'text/plain']])
    return [bytes(isWSGIError(error) ? `${error.code}: ${error.message}` : String(error))]
  }
}

async function serveBehind(parser: RequestHandler | undefined): Promise<string> {
  const app = express()
  if (parser !== undefined) app.use(parser)
  app.use(toExpress(echoApp))
  return listen(app)
}

function post(
  base: string,
  body: NonNullable<RequestInit['body']>,
  type: string,
  extra: Record<string, string> = {},
): Promise<Response> {
  return fetch(base, {
    method: 'POST',
    body,
    headers: { 'Content-Type': type, ...extra },
    signal: AbortSignal.timeout(DEADLINE),
  })
}

describe('toExpress(app) behind a body parser', () => {
  it('streams the body when no parser ran', async () => {
    const base = await serveBehind(undefined)
    const res = await post(base, '{"a":1}', 'application/json')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('{"a":1}')
    expect(res.headers.get('x-content-length')).toBe('7')
  })

  it('fails the read at once with ERR_WSGI_BODY_ALREADY_READ after express.json()', async () => {
    const base = await serveBehind(express.json())
    const res = await post(base, '{"a":1}', 'application/json')
    expect(res.status).toBe(409)
    const text = await res.text()
    expect(text).toMatch(/^ERR_WSGI_BODY_ALREADY_READ: /)
    expect(text).toContain('express.raw()')
  })

  it('fails the read after express.urlencoded()', async () => {
    const base = await serveBehind(express.urlencoded())
    const res = await post(base, 'a=1&b=2', 'application/x-www-form-urlencoded')
    expect(await res.text()).toMatch(/^ERR_WSGI_BODY_ALREADY_READ/)
  })

  it('fails the read after multer consumed a multipart body', async () => {
    const base = await serveBehind(multer().none())
    const form = new FormData()
    form.set('field', 'value')
    const res = await fetch(base, {
      method: 'POST',
      body: form,
      signal: AbortSignal.timeout(DEADLINE),
    })
    expect(await res.text()).toMatch(/^ERR_WSGI_BODY_ALREADY_READ/)
  })

  it('streams the body when express.json() skipped it (another content type)', async () => {
    const base = await serveBehind(express.json())
    const res = await post(base, 'plain text', 'text/plain')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('plain text')
  })

  it('replays the Buffer of express.raw()', async () => {
    const base = await serveBehind(express.raw({ type: '*/*' }))
    const payload = new Uint8Array([0, 1, 2, 0xff, 0x0a, 0x41])
    const res = await post(base, payload, 'application/octet-stream')
    expect(res.status).toBe(200)
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(payload)
    expect(res.headers.get('x-content-length')).toBe('6')
  })

  it('replays express.raw() bytes of a gzip body inflated, without HTTP_CONTENT_ENCODING', async () => {
    const { gzipSync } = await import('node:zlib')
    const base = await serveBehind(express.raw({ type: '*/*' }))
    const res = await post(base, gzipSync('inflated!'), 'application/octet-stream', {
      'Content-Encoding': 'gzip',
    })
    expect(await res.text()).toBe('inflated!')
    expect(res.headers.get('x-content-length')).toBe('9')
    expect(res.headers.get('x-content-encoding')).toBe('')
  })

  it('replays the string of express.text(), re-encoded with its charset', async () => {
    const base = await serveBehind(express.text())
    const utf8 = await post(base, 'caf\u00e9 \u20ac', 'text/plain; charset=utf-8')
    expect(Buffer.from(await utf8.arrayBuffer()).toString('utf8')).toBe('caf\u00e9 \u20ac')
    const latin1 = await post(
      base,
      Buffer.from('caf\u00e9', 'latin1'),
      'text/plain; charset=iso-8859-1',
    )
    expect(Buffer.from(await latin1.arrayBuffer())).toEqual(Buffer.from('caf\u00e9', 'latin1'))
  })

  it('replays req.rawBody kept by a verify callback', async () => {
    const base = await serveBehind(
      express.json({
        verify: (req, _res, buf) => {
          ;(req as typeof req & { rawBody?: Buffer }).rawBody = buf
        },
      }),
    )
    const res = await post(base, '{ "spaced" : true }', 'application/json')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('{ "spaced" : true }')
  })

  it('gives an empty body, not an error, when a bodiless request was drained', async () => {
    const app = express()
    app.use((req, _res, next) => {
      req.resume()
      req.on('end', () => {
        next()
      })
    })
    app.use(toExpress(echoApp))
    const base = await listen(app)
    const res = await fetch(base, { signal: AbortSignal.timeout(DEADLINE) })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
  })

  it('on Express 4 (body-parser 1) fails after json and replays after raw', async () => {
    const app = express4()
    app.use('/json', express4.json(), toExpress(echoApp))
    app.use('/raw', express4.raw({ type: '*/*' }), toExpress(echoApp))
    const base = await listen(app)
    const json = await post(`${base}/json`, '{"a":1}', 'application/json')
    expect(await json.text()).toMatch(/^ERR_WSGI_BODY_ALREADY_READ/)
    const raw = await post(`${base}/raw`, 'raw bytes', 'application/octet-stream')
    expect(await raw.text()).toBe('raw bytes')
  })
})
