import { describe, expect, it, vi } from 'vitest'
import express from 'express'
import type { ErrorRequestHandler } from 'express'
import express4 from 'express4'

import { WSGIError, isWSGIError } from '@wsgi/core/errors'
import type { ResponseBody, WSGIApplication } from '@wsgi/core/types'
import { requestURI } from '@wsgi/core/util'

import { bodyReader, bytes, jsonApp, listen, rawRequest, sleep } from '../test/helpers.ts'
import { toExpress } from './to-express.ts'

const mountKeys = jsonApp((environ) => ({
  scriptName: environ.SCRIPT_NAME,
  pathInfo: environ.PATH_INFO,
  query: environ.QUERY_STRING,
  uri: requestURI(environ),
}))

/** A gateway app that reads the whole of wsgi.input and echoes it (or the read error's code). */
const echoApp: WSGIApplication = async (environ, startResponse) => {
  try {
    const body = await environ['wsgi.input'].read()
    startResponse('200 OK', [
      ['Content-Type', 'application/octet-stream'],
      ['X-Content-Length', String(environ.CONTENT_LENGTH)],
    ])
    return [body]
  } catch (error) {
    startResponse('409 Conflict', [['Content-Type', 'text/plain']])
    return [bytes(isWSGIError(error) ? error.code : String(error))]
  }
}

/** An error handler that reports what reached it. */
const reportError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
  res.status(599).json({ caught: error instanceof Error ? error.message : String(error) })
}

/** A body whose close() calls are counted. */
function countedBody(chunks: Uint8Array[], closes: { count: number }): ResponseBody {
  return Object.assign([...chunks], {
    close: () => {
      closes.count++
    },
  })
}

describe('toExpress(app)', () => {
  it('maps req.baseUrl to SCRIPT_NAME and the rest to PATH_INFO, so requestURI round-trips', async () => {
    const app = express()
    app.use('/legacy', toExpress(mountKeys))
    const base = await listen(app)
    const res = await fetch(`${base}/legacy/a%20b/caf%C3%A9?x=1&y=%20`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      scriptName: '/legacy',
      pathInfo: '/a b/caf\u00c3\u00a9',
      query: 'x=1&y=%20',
      uri: `${base}/legacy/a%20b/caf%C3%A9?x=1&y=%20`,
    })
  })

  it('gives an empty PATH_INFO for a request of the mount point itself', async () => {
    const app = express()
    app.use('/legacy', toExpress(mountKeys))
    const base = await listen(app)
    const res = await fetch(`${base}/legacy?q`)
    expect(await res.json()).toEqual({
      scriptName: '/legacy',
      pathInfo: '',
      query: 'q',
      uri: `${base}/legacy?q`,
    })
  })

  it('nests under routers: SCRIPT_NAME is the whole baseUrl', async () => {
    const app = express()
    const router = express.Router()
    router.use('/inner', toExpress(mountKeys))
    app.use('/outer', router)
    const base = await listen(app)
    const body = (await (await fetch(`${base}/outer/inner/x`)).json()) as Record<string, string>
    expect(body['scriptName']).toBe('/outer/inner')
    expect(body['pathInfo']).toBe('/x')
  })

  it('sits next to native routes, which still answer', async () => {
    const app = express()
    app.get('/native', (_req, res) => {
      res.type('text').send('native')
    })
    app.use('/legacy', toExpress(mountKeys))
    app.get('/after', (_req, res) => {
      res.type('text').send('after')
    })
    const base = await listen(app)
    expect(await (await fetch(`${base}/native`)).text()).toBe('native')
    expect(await (await fetch(`${base}/after`)).text()).toBe('after')
    expect(
      ((await (await fetch(`${base}/legacy/x`)).json()) as { pathInfo: string }).pathInfo,
    ).toBe('/x')
  })

  it('exposes Express req and res as wsgits.express_request / wsgits.express_response', async () => {
    let seen: unknown[] = []
    const app = express()
    app.use((req, res, next) => {
      seen = [req, res]
      next()
    })
    app.use(
      toExpress((environ, startResponse) => {
        expect(environ['wsgits.express_request']).toBe(seen[0])
        expect(environ['wsgits.express_response']).toBe(seen[1])
        startResponse('204 No Content', [])
        return []
      }),
    )
    const base = await listen(app)
    expect((await fetch(base)).status).toBe(204)
  })

  it('keeps every Set-Cookie header apart', async () => {
    const app = express()
    app.use(
      toExpress((_environ, startResponse) => {
        startResponse('200 OK', [
          ['Set-Cookie', 'a=1; Path=/'],
          ['Set-Cookie', 'b=2; HttpOnly'],
          ['Content-Type', 'text/plain'],
        ])
        return [bytes('ok')]
      }),
    )
    const base = await listen(app)
    const res = await fetch(base)
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; HttpOnly'])
  })

  it('streams the request body to wsgi.input when no parser ran', async () => {
    const app = express()
    app.use(toExpress(echoApp))
    const base = await listen(app)
    const res = await fetch(base, { method: 'POST', body: 'hello body' })
    expect(await res.text()).toBe('hello body')
  })

  it('passes an error thrown before the response started to next(err)', async () => {
    const app = express()
    app.use(
      toExpress(() => {
        throw new Error('boom')
      }),
    )
    app.use(reportError)
    const base = await listen(app)
    const res = await fetch(base)
    expect(res.status).toBe(599)
    expect(await res.json()).toEqual({ caught: 'boom' })
  })

  it('passes an error of the body iterator before the head to next(err), closing the body once', async () => {
    const closes = { count: 0 }
    const app = express()
    app.use(
      toExpress((_environ, startResponse) => {
        startResponse('200 OK', [])
        return Object.assign(
          {
            [Symbol.asyncIterator]: () => ({
              next: async (): Promise<IteratorResult<Uint8Array>> => {
                await sleep(1)
                throw new WSGIError('ERR_WSGI_INPUT_ERROR', 'body failed')
              },
            }),
          },
          {
            close: () => {
              closes.count++
            },
          },
        )
      }),
    )
    app.use(reportError)
    const base = await listen(app)
    const res = await fetch(base)
    expect(res.status).toBe(599)
    expect(await res.json()).toEqual({ caught: 'body failed' })
    expect(closes.count).toBe(1)
  })

  it('cuts the connection when the app fails after the response started', async () => {
    const logged: string[] = []
    const errors = {
      write: (s: string) => logged.push(s),
      writelines: () => undefined,
      flush: () => undefined,
    }
    const app = express()
    app.use(
      toExpress(
        (_environ, startResponse) => {
          startResponse('200 OK', [['Content-Type', 'text/plain']])
          return (async function* () {
            yield bytes('partial')
            await sleep(5)
            throw new Error('late')
          })()
        },
        { errors },
      ),
    )
    app.use(reportError)
    const base = await listen(app)
    const raw = await rawRequest(base, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    expect(raw.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true)
    expect(raw).toContain('partial')
    // Chunked framing never got its last chunk: the client sees a cut response, not a 599.
    expect(raw).not.toContain('0\r\n\r\n')
    expect(raw).not.toContain('599')
    expect(logged.join('')).toContain('Error: late')
  })

  it('aborts wsgits.signal when the client leaves mid-response, and closes the body once', async () => {
    const closes = { count: 0 }
    let aborted: () => void = () => undefined
    const abortSeen = new Promise<void>((resolve) => (aborted = resolve))
    const app = express()
    app.use(
      toExpress((environ, startResponse) => {
        environ['wsgits.signal']?.addEventListener('abort', () => {
          aborted()
        })
        startResponse('200 OK', [['Content-Type', 'text/plain']])
        return Object.assign(
          (async function* () {
            for (;;) {
              yield bytes('tick\n')
              await sleep(5)
            }
          })(),
          {
            close: () => {
              closes.count++
            },
          },
        )
      }),
    )
    const base = await listen(app)
    const controller = new AbortController()
    const res = await fetch(base, { signal: controller.signal })
    await bodyReader(res).read()
    controller.abort()
    await abortSeen
    await vi.waitFor(() => {
      expect(closes.count).toBe(1)
    })
  })

  it('never aborts wsgits.signal for GET and POST requests that complete', async () => {
    const signals: AbortSignal[] = []
    const app = express()
    app.use(
      toExpress(async (environ, startResponse) => {
        const signal = environ['wsgits.signal']
        if (signal !== undefined) signals.push(signal)
        await environ['wsgi.input'].read()
        startResponse('200 OK', [['Content-Type', 'text/plain']])
        return [bytes('done')]
      }),
    )
    const base = await listen(app)
    expect(await (await fetch(base)).text()).toBe('done')
    expect(await (await fetch(base, { method: 'POST', body: 'x'.repeat(100_000) })).text()).toBe(
      'done',
    )
    await sleep(20)
    expect(signals).toHaveLength(2)
    expect(signals.map((s) => s.aborted)).toEqual([false, false])
  })

  it('sends no body for HEAD', async () => {
    const app = express()
    app.use(
      toExpress((_environ, startResponse) => {
        startResponse('200 OK', [
          ['Content-Type', 'text/plain'],
          ['Content-Length', '5'],
        ])
        return [bytes('hello')]
      }),
    )
    const base = await listen(app)
    const raw = await rawRequest(base, 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(raw).toContain('\r\nContent-Length: 5\r\n')
    expect(raw.endsWith('\r\n\r\n')).toBe(true)
  })

  describe('with { fallthrough: true }', () => {
    it('lets a 404 fall through to the next handler, writing nothing and closing the body once', async () => {
      const closes = { count: 0 }
      const app = express()
      app.use(
        toExpress(
          (environ, startResponse) => {
            if (environ.PATH_INFO === '/mine') {
              startResponse('200 OK', [['Content-Type', 'text/plain']])
              return countedBody([bytes('mine')], closes)
            }
            startResponse('404 Not Found', [
              ['Content-Type', 'text/plain'],
              ['X-Gateway', 'yes'],
            ])
            return countedBody([bytes('not found'), bytes('!')], closes)
          },
          { fallthrough: true },
        ),
      )
      app.get('/other', (_req, res) => {
        res.type('text').send('native other')
      })
      const base = await listen(app)
      const other = await fetch(`${base}/other`)
      expect(other.status).toBe(200)
      expect(other.headers.get('x-gateway')).toBeNull()
      expect(await other.text()).toBe('native other')
      expect(closes.count).toBe(1)
      const mine = await fetch(`${base}/mine`)
      expect(await mine.text()).toBe('mine')
      expect(closes.count).toBe(2)
      const none = await fetch(`${base}/none`)
      expect(none.status).toBe(404)
      expect(await none.text()).toContain('Cannot GET /none')
      expect(closes.count).toBe(3)
    })

    it('falls through for a streamed 404 body too', async () => {
      const closes = { count: 0 }
      const app = express()
      app.use(
        toExpress(
          (_environ, startResponse) => {
            startResponse('404 Not Found', [])
            return Object.assign(
              (function* () {
                yield bytes('never sent')
              })(),
              {
                close: () => {
                  closes.count++
                },
              },
            )
          },
          { fallthrough: true },
        ),
      )
      app.use((_req, res) => {
        res.status(200).send('fallback')
      })
      const base = await listen(app)
      expect(await (await fetch(base)).text()).toBe('fallback')
      expect(closes.count).toBe(1)
    })
  })

  it('sends the 404 of the app without fallthrough', async () => {
    const app = express()
    app.use(
      toExpress((_environ, startResponse) => {
        startResponse('404 Not Found', [['Content-Type', 'text/plain']])
        return [bytes('gateway 404')]
      }),
    )
    app.use((_req, res) => {
      res.send('unreachable')
    })
    const base = await listen(app)
    const res = await fetch(base)
    expect(res.status).toBe(404)
    expect(await res.text()).toBe('gateway 404')
  })

  it('throws ERR_WSGI_INVALID_ARG_TYPE for a non-function app', () => {
    expect(() => toExpress('nope' as unknown as WSGIApplication)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })

  describe('on Express 4', () => {
    it('maps the mount, streams bodies and passes errors to next(err)', async () => {
      const app = express4()
      app.use('/legacy', toExpress(mountKeys))
      app.use('/echo', toExpress(echoApp))
      app.use(
        '/fail',
        toExpress(() => {
          throw new Error('boom4')
        }),
      )
      app.use(reportError)
      const base = await listen(app)
      expect(await (await fetch(`${base}/legacy/a%2Fb?z`)).json()).toEqual({
        scriptName: '/legacy',
        pathInfo: '/a/b',
        query: 'z',
        uri: `${base}/legacy/a/b?z`,
      })
      expect(await (await fetch(`${base}/echo`, { method: 'POST', body: 'v4' })).text()).toBe('v4')
      const failed = await fetch(`${base}/fail`)
      expect(failed.status).toBe(599)
      expect(await failed.json()).toEqual({ caught: 'boom4' })
    })
  })
})
