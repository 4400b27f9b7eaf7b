/**
 * CPython `test_wsgiref.HandlerTests`, ported case by case, plus every row of the observed
 * handler output matrix of `wsgiref.handlers` (wsgiref-inventory §1.4), compared as exact bytes
 * with the generated `Date` masked. Rows where this port deliberately differs say so in their name.
 *
 * @module
 */
import { describe, expect, it } from 'vitest'

import { WSGIError } from '../../src/errors.ts'
import {
  BaseCGIHandler,
  BaseHandler,
  SimpleHandler,
  formatDateTime,
} from '../../src/handlers/index.ts'
import type { ErrorStream, InputStream, ResponseBody, WSGIApplication } from '../../src/types.ts'
import { FileWrapper, setupTestingDefaults } from '../../src/util.ts'
import { StringErrorStream } from '../../src/_internal/error-stream.ts'
import { InputReader } from '../../src/_internal/input.ts'
import { BytesWriter, FailingWriter, SlowWriter, systemError } from '../fixtures/streams.ts'

const enc = (s: string): Uint8Array => Buffer.from(s, 'latin1')
const DATE = /Date: \w{3}, [ 0123]\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/
const mask = (out: string): string => out.replace(new RegExp(DATE, 'g'), 'Date: <D>\r\n')

const ERROR_BODY = 'A server error occurred.  Please contact the administrator.'

/** CPython's ErrorHandler: a BaseCGIHandler over in-memory streams with testing defaults. */
class ErrorHandler extends BaseCGIHandler {
  readonly #out: BytesWriter
  readonly #err: StringErrorStream

  constructor(kw: Record<string, unknown> = {}) {
    const out = new BytesWriter()
    const err = new StringErrorStream()
    super(InputReader.fromBytes(new Uint8Array()), out, err, setupTestingDefaults(kw), true, true)
    this.#out = out
    this.#err = err
  }

  out(): string {
    return this.#out.text()
  }

  err(): string {
    return this.#err.getValue()
  }
}

/** CPython's TestHandler: errors are not handled but thrown out of `run()`. */
class TestHandler extends ErrorHandler {
  override handleError(error: unknown): Promise<void> {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)))
  }
}

const helloApp: WSGIApplication = (_environ, startResponse) => {
  startResponse('200 OK', [
    ['Content-Type', 'text/plain'],
    ['Date', 'Mon, 05 Jun 2006 18:49:54 GMT'],
  ])
  return [enc('Hello, world!')]
}

const emptyApp: WSGIApplication = (_environ, startResponse) => {
  startResponse('200 OK', [])
  return []
}

describe('HandlerTests (CPython test_wsgiref)', () => {
  it('testEnviron: builds the environ from osEnviron, the CGI variables and the wsgi keys', () => {
    const osEnviron = {
      HOME: '/my/home',
      PATH: '/my/path',
      LANG: 'fr_FR.UTF-8',
      SCRIPT_NAME: 'test_script_name',
      SERVER_NAME: 'test_server_name',
    }
    const h = new TestHandler({ X: 'Y', HOME: '/override/home' })
    h.osEnviron = osEnviron
    h.setupEnviron()
    const environ = h.environ!

    expect(environ['wsgi.version']).toEqual(h.wsgiVersion)
    expect(environ['wsgi.multithread']).toBe(h.wsgiMultithread)
    expect(environ['wsgi.multiprocess']).toBe(h.wsgiMultiprocess)
    expect(environ['wsgi.run_once']).toBe(h.wsgiRunOnce)
    const fileWrapper = environ['wsgi.file_wrapper']!
    expect(fileWrapper({ read: () => new Uint8Array() })).toBeInstanceOf(h.wsgiFileWrapper!)

    const expected: Record<string, unknown> = setupTestingDefaults({})
    for (const [k, v] of Object.entries(osEnviron)) if (!(k in expected)) expected[k] = v
    Object.assign(expected, {
      X: 'Y',
      HOME: '/override/home',
      SCRIPT_NAME: '',
      SERVER_NAME: '127.0.0.1',
      'wsgi.input': h.getStdin(),
      'wsgi.errors': h.getStderr(),
      'wsgi.version': [1, 0],
      'wsgi.run_once': false,
      'wsgi.url_scheme': 'http',
      'wsgi.multithread': true,
      'wsgi.multiprocess': true,
      'wsgi.file_wrapper': fileWrapper,
    })
    expect(environ).toStrictEqual(expected)
    expect(environ['wsgi.input']).toBe(h.getStdin())
    expect(environ['wsgi.errors']).toBe(h.getStderr())
  })

  it('testCGIEnviron: a bare BaseCGIHandler sets wsgi.url_scheme, wsgi.input and wsgi.errors', () => {
    const h = new BaseCGIHandler(
      InputReader.fromBytes(new Uint8Array()),
      new BytesWriter(),
      new StringErrorStream(),
      {},
    )
    h.setupEnviron()
    expect(h.environ).toHaveProperty(['wsgi.url_scheme'], 'http')
    expect(h.environ).toHaveProperty(['wsgi.input'])
    expect(h.environ).toHaveProperty(['wsgi.errors'])
  })

  it('testScheme: wsgi.url_scheme is https when HTTPS is on, http otherwise', () => {
    const secure = new TestHandler({ HTTPS: 'on' })
    secure.setupEnviron()
    expect(secure.environ!['wsgi.url_scheme']).toBe('https')
    const plain = new TestHandler()
    plain.setupEnviron()
    expect(plain.environ!['wsgi.url_scheme']).toBe('http')
  })

  describe('testAbstractMethods (TypeScript: abstract members)', () => {
    it('rejects at type level a subclass that does not implement the hooks', () => {
      // @ts-expect-error -- _write, _flush, getStdin, getStderr and addCgiVars are abstract
      class Incomplete extends BaseHandler {}
      // @ts-expect-error -- an abstract class cannot be instantiated
      const bare = new BaseHandler() as unknown as Record<string, (data?: unknown) => unknown>
      expect(new Incomplete()).toBeInstanceOf(BaseHandler)
      // What Python's NotImplementedError is in JavaScript: the hook simply is not there.
      for (const hook of ['_flush', 'getStdin', 'getStderr', 'addCgiVars', '_write']) {
        expect(bare[hook], hook).toBeUndefined()
        expect(() => bare[hook]!('test'), hook).toThrow(TypeError)
      }
    })

    it('runs an app once a minimal subclass implements the five hooks', async () => {
      const written: Uint8Array[] = []
      const errors = new StringErrorStream()
      class Minimal extends BaseHandler {
        protected _write(data: Uint8Array): void {
          written.push(data)
        }
        protected _flush(): void {
          // nothing buffered
        }
        getStdin(): InputStream {
          return InputReader.fromBytes(new Uint8Array())
        }
        getStderr(): ErrorStream {
          return errors
        }
        addCgiVars(): void {
          Object.assign(this.environ!, { SERVER_PROTOCOL: 'HTTP/1.0' })
        }
      }
      await new Minimal().run(helloApp)
      expect(Buffer.concat(written).toString('latin1')).toBe(
        'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nDate: Mon, 05 Jun 2006 18:49:54 GMT\r\n' +
          'Content-Length: 13\r\n\r\nHello, world!',
      )
      expect(errors.getValue()).toBe('')
    })
  })

  describe('testContentLength', () => {
    it.each<[string, WSGIApplication, string]>([
      [
        'a one-chunk array gets Content-Length',
        (_e, s) => {
          s('200 OK', [])
          return [enc('http')]
        },
        'Status: 200 OK\r\nContent-Length: 4\r\n\r\nhttp',
      ],
      [
        'a body sent through write() gets none',
        async (_e, s) => {
          await s('200 OK', [])(enc('http'))
          return []
        },
        'Status: 200 OK\r\n\r\nhttp',
      ],
      [
        'a body sent through write() not awaited (as ported literally) gets none',
        (_e, s) => {
          void s('200 OK', [])(enc('http'))
          return []
        },
        'Status: 200 OK\r\n\r\nhttp',
      ],
      [
        'the length counts bytes, not characters',
        (_e, s) => {
          s('200 OK', [])
          return [Buffer.from('тест', 'utf8')]
        },
        'Status: 200 OK\r\nContent-Length: 8\r\n\r\n\xd1\x82\xd0\xb5\xd1\x81\xd1\x82',
      ],
      [
        "the app's own Content-Length is kept for an empty body (bpo-3839)",
        (_e, s) => {
          s('200 OK', [['Content-Length', '12345']])
          return []
        },
        'Status: 200 OK\r\nContent-Length: 12345\r\n\r\n',
      ],
    ])('%s', async (_name, app, expected) => {
      const h = new TestHandler()
      await h.run(app)
      expect(h.out()).toBe(expected)
    })
  })

  it('testBasicErrorOutput: an app error before output becomes the 500 error response', async () => {
    const ok = new ErrorHandler()
    await ok.run(emptyApp)
    expect(ok.out()).toBe('Status: 200 OK\r\nContent-Length: 0\r\n\r\n')
    expect(ok.err()).toBe('')

    const failing = new ErrorHandler()
    await failing.run(() => {
      throw new WSGIError('ERR_WSGI_VALIDATION', 'This should be caught by handler')
    })
    expect(failing.out()).toBe(
      'Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 59\r\n' +
        `\r\n${ERROR_BODY}`,
    )
    expect(failing.err()).toContain('WSGIError [ERR_WSGI_VALIDATION]: This should be caught')
  })

  it('testErrorAfterOutput: an error after output cuts the response and is logged', async () => {
    const h = new ErrorHandler()
    await h.run(async (_e, s) => {
      await s('200 OK', [])(enc('Some output has been sent'))
      throw new TypeError('This should be caught by handler')
    })
    expect(h.out()).toBe('Status: 200 OK\r\n\r\nSome output has been sent')
    expect(h.err()).toContain('TypeError: This should be caught by handler')
  })

  it('testErrorAfterOutput, with write() not awaited: the output still lands first', async () => {
    const h = new ErrorHandler()
    await h.run((_e, s) => {
      void s('200 OK', [])(enc('Some output has been sent'))
      throw new TypeError('This should be caught by handler')
    })
    expect(h.out()).toBe('Status: 200 OK\r\n\r\nSome output has been sent')
    expect(h.err()).toContain('TypeError: This should be caught by handler')
  })

  describe('testHeaderFormats', () => {
    const cases = [true, false].flatMap((originServer) =>
      ['FooBar/1.0', undefined].flatMap((software) =>
        ['1.0', '1.1'].flatMap((version) =>
          ['HTTP/0.9', 'HTTP/1.0', 'HTTP/1.1'].map(
            (proto) => [originServer, software, version, proto] as const,
          ),
        ),
      ),
    )

    it('covers all 24 combinations', () => {
      expect(cases).toHaveLength(24)
    })

    it.each(cases)(
      'originServer=%s serverSoftware=%s httpVersion=%s SERVER_PROTOCOL=%s',
      async (originServer, software, version, proto) => {
        const h = new ErrorHandler({ SERVER_PROTOCOL: proto })
        h.originServer = originServer
        h.httpVersion = version
        h.serverSoftware = software
        await h.run(emptyApp)
        const out = h.out()
        if (!originServer) {
          expect(out).toBe('Status: 200 OK\r\nContent-Length: 0\r\n\r\n')
        } else if (proto === 'HTTP/0.9') {
          expect(out).toBe('')
        } else {
          const server = software === undefined ? '' : `Server: ${software}\r\n`
          expect(out).toMatch(
            new RegExp(
              `^HTTP/${version.replace('.', '\\.')} 200 OK\r\n${DATE.source}` +
                `${server.replace('.', '\\.')}Content-Length: 0\r\n\r\n$`,
            ),
          )
        }
      },
    )
  })

  it('testBytesData: bytes headers and body are sent as given', async () => {
    const h = new TestHandler()
    await h.run((_e, s) => {
      s('200 OK', [['Content-Type', 'text/plain; charset=utf-8']])
      return [enc('data')]
    })
    expect(h.out()).toBe(
      'Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n\r\ndata',
    )
  })

  it('testCloseOnError: the body is closed when its iteration fails', async () => {
    let closed = 0
    const body = {
      *[Symbol.iterator](): Iterator<Uint8Array> {
        yield enc('blah')
        throw new Error('iteration failed')
      },
      close(): void {
        closed++
      },
    }
    const h = new ErrorHandler()
    await h.run(async (_e, s) => {
      await s('200 OK', [])(enc('Some output has been sent'))
      return body
    })
    expect(closed).toBe(1)
    expect(h.out()).toBe('Status: 200 OK\r\n\r\nSome output has been sentblah')
    expect(h.err()).toContain('Error: iteration failed')
  })

  describe('testPartialWrite (Node: no partial writes, backpressure instead)', () => {
    it('delivers every byte in order to a slow Writable, waiting for drain', async () => {
      const out = new SlowWriter(4)
      const err = new StringErrorStream()
      const h = new SimpleHandler(InputReader.fromBytes(new Uint8Array()), out, err, {
        SERVER_PROTOCOL: 'HTTP/1.0',
      })
      await h.run(helloApp)
      expect(out.text()).toBe(
        'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nDate: Mon, 05 Jun 2006 18:49:54 GMT\r\n' +
          'Content-Length: 13\r\n\r\nHello, world!',
      )
      expect(out.drains).toBeGreaterThan(0)
      expect(out.ignoredBackpressure).toBe(0)
      expect(err.getValue()).toBe('')
    })

    it('delivers a large streamed body whole without overfilling the buffer', async () => {
      const out = new SlowWriter(1024)
      const chunk = 4096
      const count = 64
      const h = new SimpleHandler([], out, new StringErrorStream(), { SERVER_PROTOCOL: 'HTTP/1.0' })
      await h.run(async function* (_e, s) {
        s('200 OK', [])
        for (let i = 0; i < count; i++) yield new Uint8Array(chunk).fill(i)
        await Promise.resolve()
      })
      const all = out.value()
      const body = all.subarray(all.indexOf('\r\n\r\n') + 4)
      expect(body).toHaveLength(chunk * count)
      for (let i = 0; i < count; i++) expect(body[i * chunk]).toBe(i)
      expect(out.ignoredBackpressure).toBe(0)
      // At most one chunk beyond the high-water mark: the writer waited whenever it was asked to.
      expect(out.peakBuffered).toBeLessThanOrEqual(1024 + chunk)
    })
  })

  describe('testClientConnectionTerminations', () => {
    it.each(['EPIPE', 'ECONNRESET', 'ECONNABORTED'])(
      'ends quietly when the writer fails with %s',
      async (code) => {
        let closed = 0
        const err = new StringErrorStream()
        const h = new SimpleHandler([], new FailingWriter(systemError(code)), err, {
          SERVER_PROTOCOL: 'HTTP/1.0',
        })
        await expect(
          h.run((environ, s) => {
            const body = helloApp(environ, s) as Uint8Array[]
            return Object.assign(body, {
              close(): void {
                closed++
              },
            })
          }),
        ).resolves.toBeUndefined()
        expect(err.getValue()).toBe('')
        expect(closed).toBe(1)
      },
    )

    it('ends quietly when stdout was destroyed (ERR_STREAM_DESTROYED)', async () => {
      const out = new BytesWriter()
      out.destroy()
      const err = new StringErrorStream()
      let closed = 0
      const body = Object.assign([enc('x')], {
        close(): void {
          closed++
        },
      })
      await new SimpleHandler([], out, err, { SERVER_PROTOCOL: 'HTTP/1.0' }).run((_e, s) => {
        s('200 OK', [])
        return body
      })
      expect(err.getValue()).toBe('')
      expect(closed).toBe(1)
    })
  })

  it('testDontResetInternalStateOnException: state survives a handled error', async () => {
    class CustomException extends Error {
      override name = 'CustomException'
    }
    const err = new StringErrorStream()
    const h = new SimpleHandler([], new FailingWriter(new CustomException('boom')), err, {
      SERVER_PROTOCOL: 'HTTP/1.0',
    })
    await h.run(helloApp)
    expect(err.getValue()).toContain('CustomException')
    expect(h.result).toBeDefined()
    expect(h.headers).toBeDefined()
    expect(h.status).toBeDefined()
    expect(h.environ).toBeDefined()
  })

  describe('testRaisesControlCharacters', () => {
    const controls = [...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)), '\x7f'].map(
      (c) => [JSON.stringify(c), c] as const,
    )

    it.each(controls)('startResponse rejects a status holding %s', (_name, c) => {
      for (const status of [c, `200 OK${c}`, `200 O${c}K`]) {
        // A fresh handler each time: like wsgiref, startResponse stores the headers before it
        // checks the status, so a second call on the same handler meets "Headers already set!".
        const h = new ErrorHandler()
        expect(() => h.startResponse(status as `${number} ${string}`, [['x', 'y']])).toThrow(
          expect.objectContaining({
            code: 'ERR_WSGI_INVALID_STATUS',
            message: 'Control characters are not allowed in status',
          }),
        )
      }
    })
  })
})

type Row = [name: string, app: WSGIApplication, expected: string, environ?: Record<string, unknown>]

/** Run `app` through a SimpleHandler (origin server) or, with `cgi`, a BaseCGIHandler. */
async function runMatrix(
  app: WSGIApplication,
  environ: Record<string, unknown> = {},
  options: { cgi?: boolean; serverSoftware?: string; raw?: boolean } = {},
): Promise<{ out: string; err: string }> {
  const out = new BytesWriter()
  const err = new StringErrorStream()
  const Handler = options.cgi === true ? BaseCGIHandler : SimpleHandler
  const h = new Handler([], out, err, { SERVER_PROTOCOL: 'HTTP/1.0', ...environ })
  h.serverSoftware = options.serverSoftware
  await h.run(app)
  return { out: options.raw === true ? out.text() : mask(out.text()), err: err.getValue() }
}

const CT: [string, string] = ['Content-Type', 'text/plain']
const hello: WSGIApplication = (_e, s) => {
  s('200 OK', [CT])
  return [enc('hello')]
}
const HELLO_HEAD = 'HTTP/1.0 200 OK\r\nDate: <D>\r\nContent-Type: text/plain\r\n'
const ERROR_500 =
  'HTTP/1.0 500 Internal Server Error\r\nDate: <D>\r\nContent-Type: text/plain\r\n' +
  `Content-Length: 59\r\n\r\n${ERROR_BODY}`

describe('observed handler output matrix (wsgiref-inventory §1.4)', () => {
  it('sends status line, generated Date, headers, Content-Length and body', async () => {
    expect((await runMatrix(hello)).out).toBe(`${HELLO_HEAD}Content-Length: 5\r\n\r\nhello`)
  })

  it('sends a Status header and no Date under CGI', async () => {
    expect((await runMatrix(hello, {}, { cgi: true })).out).toBe(
      'Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello',
    )
  })

  it('adds Server after Date when serverSoftware is set', async () => {
    expect((await runMatrix(hello, {}, { serverSoftware: 'Foo/1' })).out).toBe(
      'HTTP/1.0 200 OK\r\nDate: <D>\r\nServer: Foo/1\r\nContent-Type: text/plain\r\n' +
        'Content-Length: 5\r\n\r\nhello',
    )
  })

  it('generates no Date or Server when the app supplies them', async () => {
    const app: WSGIApplication = (_e, s) => {
      s('200 OK', [
        ['Server', 'App/2'],
        ['Date', formatDateTime(0)],
      ])
      return [enc('hello')]
    }
    expect((await runMatrix(app, {}, { serverSoftware: 'Foo/1', raw: true })).out).toBe(
      'HTTP/1.0 200 OK\r\nServer: App/2\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n' +
        'Content-Length: 5\r\n\r\nhello',
    )
  })

  it.each(['HTTP/0.9', 'http/0.9', 'Http/0.9'])(
    'sends the body alone to an %s client',
    async (proto) => {
      expect((await runMatrix(hello, { SERVER_PROTOCOL: proto })).out).toBe('hello')
    },
  )

  it.each<Row>([
    [
      'a generator of two chunks gets no Content-Length',
      function* (_e, s) {
        s('200 OK', [CT])
        yield enc('a')
        yield enc('b')
      },
      `${HELLO_HEAD}\r\nab`,
    ],
    [
      'an empty first chunk sends the headers, without Content-Length',
      (_e, s) => {
        s('200 OK', [CT])
        return [enc(''), enc('abc')]
      },
      `${HELLO_HEAD}\r\nabc`,
    ],
    [
      'a single empty chunk gives Content-Length: 0',
      (_e, s) => {
        s('200 OK', [CT])
        return [enc('')]
      },
      `${HELLO_HEAD}Content-Length: 0\r\n\r\n`,
    ],
    [
      'an empty body gives Content-Length: 0',
      (_e, s) => {
        s('200 OK', [CT])
        return []
      },
      `${HELLO_HEAD}Content-Length: 0\r\n\r\n`,
    ],
    [
      'a one-element tuple gets Content-Length',
      (_e, s) => {
        s('200 OK', [CT])
        const tuple: readonly [Uint8Array] = [enc('abc')]
        return tuple
      },
      `${HELLO_HEAD}Content-Length: 3\r\n\r\nabc`,
    ],
    [
      'a length-1 array yielding two chunks is trusted (Content-Length of the first)',
      (_e, s) => {
        s('200 OK', [CT])
        return Object.assign([enc('ab')], {
          *[Symbol.iterator](): Iterator<Uint8Array> {
            yield enc('ab')
            yield enc('cde')
          },
        })
      },
      `${HELLO_HEAD}Content-Length: 2\r\n\r\nabcde`,
    ],
    [
      'write() before returning a body gives no Content-Length',
      async (_e, s) => {
        await s('200 OK', [CT])(enc('ab'))
        return [enc('cde')]
      },
      `${HELLO_HEAD}\r\nabcde`,
    ],
    [
      'write() calls not awaited keep their order, before the returned body',
      (_e, s) => {
        const write = s('200 OK', [CT])
        void write(enc('ab'))
        void write(enc('cd'))
        return [enc('ef')]
      },
      `${HELLO_HEAD}\r\nabcdef`,
    ],
    [
      'a body longer than its Content-Length is sent whole',
      (_e, s) => {
        s('200 OK', [['Content-Length', '3']])
        return [enc('abcdef')]
      },
      'HTTP/1.0 200 OK\r\nDate: <D>\r\nContent-Length: 3\r\n\r\nabcdef',
    ],
    [
      'startResponse with excInfo before output replaces the response',
      (_e, s) => {
        s('200 OK', [CT])
        s('500 Oops', [CT], new Error('oops'))
        return [enc('oops')]
      },
      'HTTP/1.0 500 Oops\r\nDate: <D>\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\noops',
    ],
  ])('%s', async (_name, app, expected, environ) => {
    const { out, err } = await runMatrix(app, environ)
    expect(out).toBe(expected)
    expect(err).toBe('')
  })

  it('divergence from wsgiref (HEAD carries no body): keeps headers, drops the body', async () => {
    let closed = 0
    const app: WSGIApplication = (_e, s) => {
      s('200 OK', [CT])
      return Object.assign([enc('body')], {
        close(): void {
          closed++
        },
      })
    }
    expect((await runMatrix(app, { REQUEST_METHOD: 'HEAD' })).out).toBe(
      `${HELLO_HEAD}Content-Length: 4\r\n\r\n`,
    )
    expect(closed).toBe(1)
  })

  it.each(['101 Switching Protocols', '204 No Content', '205 Reset Content', '304 Not Modified'])(
    'divergence from wsgiref (null-body status, no Content-Length): %s sends no body',
    async (status) => {
      const app: WSGIApplication = (_e, s) => {
        s(status as `${number} ${string}`, [CT])
        return [enc('body')]
      }
      expect((await runMatrix(app)).out).toBe(
        `HTTP/1.0 ${status}\r\nDate: <D>\r\nContent-Type: text/plain\r\n\r\n`,
      )
    },
  )

  it.each<[string, WSGIApplication, string]>([
    [
      'a body without startResponse',
      () => [enc('x')],
      'WSGIError [ERR_WSGI_WRITE_BEFORE_START_RESPONSE]: Body bytes were written before startResponse() was called',
    ],
    [
      'an empty body without startResponse',
      () => [],
      'WSGIError [ERR_WSGI_NO_START_RESPONSE]: The application returned without calling startResponse()',
    ],
    [
      'startResponse twice without excInfo',
      (_e, s) => {
        s('200 OK', [])
        s('200 OK', [])
        return []
      },
      'WSGIError [ERR_WSGI_HEADERS_ALREADY_SET]: Headers already set!',
    ],
    [
      'an app that throws before output',
      () => {
        throw new RangeError('app failed')
      },
      'RangeError: app failed',
    ],
    [
      'a string chunk',
      (_e, s) => {
        s('200 OK', [])
        return ['text'] as unknown as ResponseBody
      },
      "[ERR_WSGI_INVALID_BODY_CHUNK]: A body chunk must be a Uint8Array, such as a Buffer (got 'text')",
    ],
    [
      'a number chunk',
      (_e, s) => {
        s('200 OK', [])
        return [42] as unknown as ResponseBody
      },
      '[ERR_WSGI_INVALID_BODY_CHUNK]: A body chunk must be a Uint8Array, such as a Buffer (got 42)',
    ],
    [
      'an ArrayBuffer chunk (bytes are Uint8Array here)',
      (_e, s) => {
        s('200 OK', [])
        return [new ArrayBuffer(2)] as unknown as ResponseBody
      },
      '[ERR_WSGI_INVALID_BODY_CHUNK]: A body chunk must be a Uint8Array, such as a Buffer (got <ArrayBuffer>)',
    ],
    [
      'a string given to write() that the app never awaited',
      (_e, s) => {
        void s('200 OK', [])('text' as unknown as Uint8Array)
        return []
      },
      "[ERR_WSGI_INVALID_BODY_CHUNK]: A body chunk must be a Uint8Array, such as a Buffer (got 'text')",
    ],
    [
      'a hop-by-hop header',
      (_e, s) => {
        s('200 OK', [['Connection', 'close']])
        return []
      },
      "Hop-by-hop header, 'Connection: close', not allowed",
    ],
    [
      'a bytes status',
      (_e, s) => {
        s(enc('200 OK') as unknown as `${number} ${string}`, [])
        return []
      },
      "[ERR_WSGI_INVALID_STATUS]: Status must be a string such as '200 OK' (got <Buffer of 6 bytes>)",
    ],
    [
      'a status without reason',
      (_e, s) => {
        s('200' as `${number} ${string}`, [])
        return []
      },
      'Status must be at least 4 characters',
    ],
    [
      'headers that are not a list',
      (_e, s) => {
        s('200 OK', { 'Content-Type': 'text/plain' } as unknown as [])
        return []
      },
      'Headers must be a list of name/value tuples',
    ],
    [
      'a bytes header name',
      (_e, s) => {
        s('200 OK', [[enc('Content-Type') as unknown as string, 'text/plain']])
        return []
      },
      '[ERR_WSGI_INVALID_HEADER]: Header name must be a string (got <Buffer of 12 bytes>)',
    ],
  ])('answers 500 and logs the error for %s', async (_name, app, logged) => {
    const { out, err } = await runMatrix(app)
    expect(out).toBe(ERROR_500)
    expect(err).toContain(logged)
    expect(out).not.toContain(logged)
  })

  it('divergence from wsgiref (excInfo after headers sent re-throws the given error): cuts the output', async () => {
    const given = new Error('the given error')
    const { out, err } = await runMatrix(async (_e, s) => {
      await s('200 OK', [CT])(enc('partial'))
      s('500 Oops', [CT], given)
      return []
    })
    expect(out).toBe(`${HELLO_HEAD}\r\npartial`)
    expect(err).toContain('Error: the given error')
  })

  it('cuts the output, logs, and closes the body when iteration fails midway', async () => {
    let closed = 0
    const { out, err } = await runMatrix((_e, s) => {
      s('200 OK', [CT])
      return {
        *[Symbol.iterator](): Iterator<Uint8Array> {
          yield enc('ab')
          throw new Error('midway')
        },
        close(): void {
          closed++
        },
      }
    })
    expect(out).toBe(`${HELLO_HEAD}\r\nab`)
    expect(err).toContain('Error: midway')
    expect(closed).toBe(1)
  })

  it('wraps FileWrapper bodies like any other iterable', async () => {
    const data = [enc('abc'), enc('de'), new Uint8Array()]
    const { out } = await runMatrix((_e, s) => {
      s('200 OK', [CT])
      return new FileWrapper({ read: () => data.shift() ?? new Uint8Array() })
    })
    expect(out).toBe(`${HELLO_HEAD}\r\nabcde`)
  })
})
