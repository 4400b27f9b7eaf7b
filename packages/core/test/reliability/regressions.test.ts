/**
 * Regression tests of the failures the reliability suites found in core, one per fix, each
 * small enough to point at its cause:
 *
 * - `BaseHandler#strictResponse`: a body longer or shorter than its Content-Length, a malformed
 *   or doubled Content-Length, an interim or out-of-range final status;
 * - a failing body `close()` after a complete response is logged, not answered a second time;
 * - `clientGone()` reads `wsgits.signal`, so a bridged app failing because the client left is
 *   not logged as an application error;
 * - `ERR_WSGI_BODY_TOO_LARGE` let through by the app is answered 413;
 * - `formatException` prints a thrown non-error once, and the code of a coded `TypeError`;
 * - `fromNodeListener` sends the head of a response that ended with it whole (no lone flush,
 *   which Node writes as UTF-8).
 *
 * @module
 */
import { request } from 'node:http'

import { describe, expect, it, onTestFinished } from 'vitest'

import { WSGIError, invalidArgType } from '../../src/errors.ts'
import { BaseHandler, formatException } from '../../src/handlers/base-handler.ts'
import { fromNodeListener } from '../../src/node/index.ts'
import { makeServer } from '../../src/simple-server/index.ts'
import { InputReader, StringErrorStream } from '../../src/streams.ts'
import type { ErrorStream, InputStream, WSGIApplication } from '../../src/types.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

/** A handler writing to memory, with the default (strict) response checks. */
class MemoryHandler extends BaseHandler {
  readonly out: Uint8Array[] = []
  readonly errors = new StringErrorStream()
  readonly cut: unknown[] = []
  readonly #extra: Record<string, unknown>

  constructor(extra: Record<string, unknown> = {}) {
    super()
    this.#extra = extra
  }

  get text(): string {
    return this.out.map((c) => Buffer.from(c).toString('latin1')).join('')
  }

  protected override _write(data: Uint8Array): void {
    this.out.push(data)
  }

  protected override _flush(): void {
    // Nothing is buffered.
  }

  override getStdin(): InputStream {
    return InputReader.fromBytes('')
  }

  override getStderr(): ErrorStream {
    return this.errors
  }

  override addCgiVars(): void {
    Object.assign(this.environ as Record<string, unknown>, {
      REQUEST_METHOD: 'GET',
      SERVER_PROTOCOL: 'HTTP/1.1',
      SERVER_NAME: 'localhost',
      SERVER_PORT: '80',
      ...this.#extra,
    })
  }

  protected override abortOutput(error: unknown): void {
    this.cut.push(error)
  }
}

async function run(app: WSGIApplication, extra?: Record<string, unknown>): Promise<MemoryHandler> {
  const handler = new MemoryHandler(extra)
  await handler.run(app)
  return handler
}

describe('BaseHandler#strictResponse (regressions)', () => {
  it('answers 500 for a one-chunk body longer than its Content-Length (no forged response)', async () => {
    const h = await run((_e, startResponse) => {
      startResponse('200 OK', [['Content-Length', '2']])
      return [enc('okHTTP/1.1 200 OK\r\n\r\nforged')]
    })
    expect(h.text).toMatch(/^HTTP\/1\.0 500 /)
    expect(h.text).not.toContain('forged')
    expect(h.errors.getValue()).toContain('ERR_WSGI_CONTENT_LENGTH_MISMATCH')
  })

  it('cuts a streamed body when it grows past its Content-Length, before sending the excess', async () => {
    const h = await run((_e, startResponse) => {
      startResponse('200 OK', [['Content-Length', '3']])
      return (function* () {
        yield enc('ab')
        yield enc('cforged')
      })()
    })
    expect(h.text).toMatch(/\r\n\r\nab$/)
    expect(h.cut).toHaveLength(1)
    expect(h.errors.getValue()).toContain('longer than its Content-Length (9 > 3 bytes)')
  })

  it('cuts a streamed body that ends before its Content-Length', async () => {
    const h = await run((_e, startResponse) => {
      startResponse('200 OK', [['Content-Length', '10']])
      return (function* () {
        yield enc('ab')
        yield enc('cd')
      })()
    })
    expect(h.cut).toHaveLength(1)
    expect(h.errors.getValue()).toContain('ended before its Content-Length (4 < 10 bytes)')
  })

  it('answers 500 for an empty body with a Content-Length above 0', async () => {
    const h = await run((_e, startResponse) => {
      startResponse('200 OK', [['Content-Length', '5']])
      return []
    })
    expect(h.text).toMatch(/^HTTP\/1\.0 500 /)
  })

  it.each([
    ['not a number', [['Content-Length', 'abc']]],
    ['negative', [['Content-Length', '-1']]],
    [
      'given twice with different values',
      [
        ['Content-Length', '3'],
        ['Content-Length', '4'],
      ],
    ],
  ] as [string, [string, string][]][])(
    'answers 500 for a Content-Length %s',
    async (_name, headers) => {
      const h = await run((_e, startResponse) => {
        startResponse('200 OK', headers)
        return [enc('abc')]
      })
      expect(h.text).toMatch(/^HTTP\/1\.0 500 /)
      expect(h.errors.getValue()).toContain('ERR_WSGI_CONTENT_LENGTH_MISMATCH')
    },
  )

  it('accepts a matching Content-Length given twice, and one on a HEAD response without a body', async () => {
    const twice = await run((_e, startResponse) => {
      startResponse('200 OK', [
        ['Content-Length', '3'],
        ['Content-Length', '3'],
      ])
      return [enc('abc')]
    })
    expect(twice.text).toMatch(/^HTTP\/1\.0 200 OK\r\n[^]*\r\n\r\nabc$/)
    const head = await run(
      (_e, startResponse) => {
        startResponse('200 OK', [['Content-Length', '1000']])
        return [enc('abc')]
      },
      { REQUEST_METHOD: 'HEAD' },
    )
    expect(head.text).toMatch(/^HTTP\/1\.0 200 OK\r\n[^]*Content-Length: 1000\r\n\r\n$/)
  })

  it.each(['100 Continue', '101 Switching Protocols', '103 Early Hints', '600 Beyond'] as const)(
    'answers 500 with ERR_WSGI_INVALID_STATUS for the final status %s',
    async (status) => {
      const h = await run((_e, startResponse) => {
        startResponse(status, [])
        return [enc('x')]
      })
      expect(h.text).toMatch(/^HTTP\/1\.0 500 /)
      expect(h.errors.getValue()).toContain('ERR_WSGI_INVALID_STATUS')
    },
  )
})

describe('BaseHandler: failures around the response (regressions)', () => {
  it('logs a close() that fails after the whole response, and sends nothing more', async () => {
    const h = await run((_e, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return Object.assign([enc('whole')], {
        close(): void {
          throw new Error('close failed')
        },
      })
    })
    expect(h.text.match(/HTTP\/1\.0 /g)).toHaveLength(1)
    expect(h.text).toMatch(/\r\n\r\nwhole$/)
    expect(h.cut).toEqual([])
    expect(h.errors.getValue()).toContain('close failed')
    expect(h.errors.getValue()).not.toContain('No request is in progress')
  })

  it('takes an ECONNRESET error for the client leaving once wsgits.signal fired', async () => {
    const controller = new AbortController()
    controller.abort()
    const h = await run(
      () => {
        throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' })
      },
      { 'wsgits.signal': controller.signal },
    )
    expect(h.text).toBe('')
    expect(h.errors.getValue()).toBe('')
  })

  it('still answers 500 for an ECONNRESET error while the client is there', async () => {
    const h = await run(
      () => {
        throw Object.assign(new Error('upstream reset'), { code: 'ECONNRESET' })
      },
      { 'wsgits.signal': new AbortController().signal },
    )
    expect(h.text).toMatch(/^HTTP\/1\.0 500 /)
  })

  it('answers 413 when the app lets ERR_WSGI_BODY_TOO_LARGE through', async () => {
    const h = await run(() => {
      throw new WSGIError('ERR_WSGI_BODY_TOO_LARGE', 'The request body is larger than the limit')
    })
    expect(h.text).toMatch(
      /^HTTP\/1\.0 413 Content Too Large\r\n[^]*\r\n\r\nThe request body is too large\.$/,
    )
  })
})

describe('formatException(error) (regressions)', () => {
  it('prints a thrown non-error once, not once per level of the cause chain', () => {
    const text = formatException('a string')
    expect(text.match(/Non-error thrown/g)).toHaveLength(1)
  })

  it('shows the code of an error whose text does not', () => {
    expect(formatException(invalidArgType('bad headers'))).toMatch(
      /^TypeError \[ERR_WSGI_INVALID_ARG_TYPE\]: bad headers\n/,
    )
    expect(formatException(new WSGIError('ERR_WSGI_INVALID_STATUS', 'x'))).toMatch(
      /^WSGIError \[ERR_WSGI_INVALID_STATUS\]: x\n/,
    )
  })
})

describe('fromNodeListener(listener) (regressions)', () => {
  it('keeps latin-1 header values of a response that ended with its head', async () => {
    const server = await makeServer(
      '127.0.0.1',
      0,
      fromNodeListener((_req, res) => {
        res.writeHead(200, ['X-Latin', 'caf\xe9 \xa0'])
        res.end()
      }),
    )
    server.stderr = new StringErrorStream()
    onTestFinished(() => server.shutdown())
    const raw = await new Promise<string[]>((resolve, reject) => {
      request({ host: '127.0.0.1', port: server.serverPort, agent: false }, (res) => {
        res.resume()
        res.on('end', () => {
          resolve(res.rawHeaders)
        })
      })
        .on('error', reject)
        .end()
    })
    expect(raw[raw.indexOf('X-Latin') + 1]).toBe('caf\xe9 \xa0')
  })
})
