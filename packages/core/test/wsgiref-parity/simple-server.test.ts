/**
 * CPython's `IntegrationTests` (Lib/test/test_wsgiref.py) for `wsgiref.simple_server`, ported
 * over a real socket: each test sends the exact request bytes of the CPython test to
 * `makeServer()` and compares the exact response bytes.
 *
 * Expected bytes differ from CPython's only where the core README lists a difference:
 * - the status line is `HTTP/1.1` (Node's server answers with its own version) and Node adds
 *   `Connection: close` for an HTTP/1.0 client;
 * - `Server:` says `WSGIServer/0.2 Node.js/<version>` where CPython says `CPython/<version>`;
 * - Node's parser wants CRLF line ends and a blank line ending the head, and refuses raw bytes
 *   above 0x7F in the request target (400); CPython's bare-LF requests are sent with CRLF here;
 * - the logged error is `WSGIValidationError [ERR_WSGI_VALIDATION]: <CPython's message>` followed
 *   by its stack, where CPython logs a traceback ending in `AssertionError: <message>`.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { connect } from 'node:net'

import { describe, expect, it, onTestFinished } from 'vitest'

import { WSGIRequestHandler, makeServer } from '../../src/simple-server/index.ts'
import type { MakeServerOptions } from '../../src/simple-server/index.ts'
import type { StartResponse, Status, WSGIApplication } from '../../src/types.ts'
import { validator } from '../../src/validate.ts'
import { StringErrorStream } from '../../src/_internal/error-stream.ts'

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1')
const PYVER = `Node.js/${process.versions.node}`
const ERROR_BODY = 'A server error occurred.  Please contact the administrator.'

const helloApp: WSGIApplication = (_environ, startResponse) => {
  startResponse('200 OK', [
    ['Content-Type', 'text/plain'],
    ['Date', 'Mon, 05 Jun 2006 18:49:54 GMT'],
  ])
  return [latin1('Hello, world!')]
}

const headerApp: WSGIApplication = (environ, startResponse) => {
  startResponse('200 OK', [
    ['Content-Type', 'text/plain'],
    ['Date', 'Mon, 05 Jun 2006 18:49:54 GMT'],
  ])
  return [
    latin1(
      [
        environ['HTTP_X_TEST_HEADER'] ?? '',
        environ.QUERY_STRING ?? '',
        environ.PATH_INFO ?? '',
      ].join(';'),
    ),
  ]
}

/**
 * `run_amock(app, data)` over a socket: send `data`, read until the server closes, and return
 * the response bytes and what the server logged.
 */
async function runAmock(
  app: WSGIApplication = helloApp,
  data: string | Buffer = 'GET / HTTP/1.0\r\n\r\n',
  options: MakeServerOptions = {},
): Promise<{ out: Buffer; err: string }> {
  const server = await makeServer('127.0.0.1', 0, app, options)
  const log = new StringErrorStream()
  server.stderr = log
  onTestFinished(() => server.shutdown())
  const out = await new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = []
    const socket = connect(server.serverPort, '127.0.0.1', () => {
      socket.write(typeof data === 'string' ? latin1(data) : data)
    })
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      resolve(Buffer.concat(chunks))
    })
  })
  // The access-log line is written when the handler closes, right after the response ends.
  await new Promise((r) => setImmediate(r))
  return { out, err: log.getValue() }
}

function checkHello(out: Buffer, hasLength = true): void {
  expect(out.toString('latin1')).toBe(
    `HTTP/1.1 200 OK\r\nServer: WSGIServer/0.2 ${PYVER}\r\nContent-Type: text/plain\r\n` +
      `Date: Mon, 05 Jun 2006 18:49:54 GMT\r\n` +
      (hasLength ? 'Content-Length: 13\r\n' : '') +
      'Connection: close\r\n\r\nHello, world!',
  )
}

/** The logged exception's first line (CPython's `err.splitlines()[-2]`). */
function loggedError(err: string): string | undefined {
  return err.split('\n').find((line) => /Error\b.*: /.test(line) && !line.startsWith(' '))
}

describe('IntegrationTests (wsgiref.simple_server)', () => {
  it('test_plain_hello', async () => {
    const { out } = await runAmock()
    checkHello(out)
  })

  it('test_plain_hello: a bare-LF request gets 400 from the stricter parser (documented)', async () => {
    const { out } = await runAmock(helloApp, 'GET / HTTP/1.0\n\n')
    expect(out.toString('latin1')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
  })

  it('test_environ', async () => {
    const request =
      'GET /p%61th/?query=test HTTP/1.0\r\n' +
      'X-Test-Header: Python test \r\n' +
      'X-Test-Header: Python test 2\r\n' +
      'Content-Length: 0\r\n\r\n'
    const { out } = await runAmock(headerApp, request)
    expect(out.toString('latin1').split('\r\n').at(-1)).toBe(
      'Python test,Python test 2;query=test;/path/',
    )
  })

  it('test_request_length', async () => {
    const { out } = await runAmock(helloApp, `GET ${'x'.repeat(65537)} HTTP/1.0\n\n`)
    expect(out.toString('latin1').split('\r\n')[0]).toBe('HTTP/1.1 414 URI Too Long')
  })

  it('test_validated_hello', async () => {
    const { out } = await runAmock(validator(helloApp))
    // The validator's body has no length, so no Content-Length (as in CPython).
    checkHello(out, false)
  })

  it('test_simple_validation_error', async () => {
    const badApp: WSGIApplication = (_environ, startResponse) => {
      // CPython passes a tuple; the JavaScript counterpart of a non-list is a plain object.
      ;(startResponse as (...args: unknown[]) => unknown)('200 OK', {
        'Content-Type': 'text/plain',
      })
      return [latin1('Hello, world!')]
    }
    const { out, err } = await runAmock(validator(badApp))
    expect(out.toString('latin1').endsWith(ERROR_BODY)).toBe(true)
    expect(loggedError(err)).toBe(
      "WSGIValidationError [ERR_WSGI_VALIDATION]: Headers ({'Content-Type': 'text/plain'}) " +
        "must be of type list: <class 'dict'>",
    )
    expect(err.trimEnd().split('\n').at(-1)).toMatch(/"GET \/ HTTP\/1\.0" 500 59$/)
  })

  it.each([
    ['200', 'Status must be at least 4 characters'],
    ['20X OK', 'Status message must begin w/3-digit code'],
    ['200OK', 'Status message must have a space after code'],
  ])('test_status_validation_errors: %j', async (status, message) => {
    const app: WSGIApplication = (_environ, startResponse: StartResponse) => {
      startResponse(status as Status, [['Content-Type', 'text/plain; charset=utf-8']])
      return [latin1('Hello, world!')]
    }
    const { out, err } = await runAmock(app)
    expect(out.toString('latin1').endsWith(ERROR_BODY)).toBe(true)
    expect(loggedError(err)).toBe(`WSGIError [ERR_WSGI_INVALID_STATUS]: ${message}`)
  })

  it('test_wsgi_input', async () => {
    const badApp: WSGIApplication = async (environ, startResponse) => {
      await environ['wsgi.input'].read()
      startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']])
      return [latin1('data')]
    }
    const { out, err } = await runAmock(validator(badApp))
    expect(out.toString('latin1').endsWith(ERROR_BODY)).toBe(true)
    expect(loggedError(err)).toBe(
      'WSGIValidationError [ERR_WSGI_VALIDATION]: wsgi.input.read() takes exactly 1 argument (0 given)',
    )
  })

  it('test_bytes_validation', async () => {
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [
        ['Content-Type', 'text/plain; charset=utf-8'],
        ['Date', 'Wed, 24 Dec 2008 13:29:32 GMT'],
      ])
      return [latin1('data')]
    }
    const { out, err } = await runAmock(validator(app))
    expect(err.endsWith('"GET / HTTP/1.0" 200 4\n')).toBe(true)
    expect(out.toString('latin1')).toBe(
      `HTTP/1.1 200 OK\r\nServer: WSGIServer/0.2 ${PYVER}\r\n` +
        'Content-Type: text/plain; charset=utf-8\r\nDate: Wed, 24 Dec 2008 13:29:32 GMT\r\n' +
        'Connection: close\r\n\r\ndata',
    )
  })

  describe('test_cp1252_url', () => {
    const app: WSGIApplication = (environ, startResponse) => {
      startResponse('200 OK', [
        ['Content-Type', 'text/plain'],
        ['Date', 'Wed, 24 Dec 2008 13:29:32 GMT'],
      ])
      return [latin1(environ.PATH_INFO ?? '')]
    }

    it('maps %80 onto U+0080 in PATH_INFO (bytes as latin-1)', async () => {
      const { out } = await runAmock(validator(app), 'GET /%80%80 HTTP/1.0\r\n\r\n')
      const lines = out.toString('latin1').split('\r\n')
      expect(lines).toEqual([
        'HTTP/1.1 200 OK',
        expect.stringMatching(/^Server: /) as unknown as string,
        'Content-Type: text/plain',
        'Date: Wed, 24 Dec 2008 13:29:32 GMT',
        'Connection: close',
        '',
        '/\x80\x80',
      ])
    })

    it.each([
      ['a raw 0x80 byte in the target', latin1('GET /\x80%80 HTTP/1.0\r\n\r\n')],
      ['a request without its blank line (CPython answers it)', latin1('GET /%80%80 HTTP/1.0')],
    ])('answers 400 to %s (documented parser difference)', async (_label, request) => {
      const server = await makeServer('127.0.0.1', 0, app)
      server.stderr = new StringErrorStream()
      onTestFinished(() => server.shutdown())
      const out = await new Promise<string>((resolve) => {
        let received = ''
        const socket = connect(server.serverPort, '127.0.0.1', () => {
          socket.end(request)
        })
        socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
        socket.on('error', () => undefined)
        socket.on('close', () => {
          resolve(received)
        })
      })
      expect(out).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    })
  })

  it('test_interrupted_write: a 16 MiB + 1 body reaches a slow reader whole', async () => {
    const SOCK_MAX_SIZE = 16 * 1024 * 1024 + 1
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [])
      return [new Uint8Array(SOCK_MAX_SIZE)]
    }
    class NoLogRequestHandler extends WSGIRequestHandler {
      override logRequest(): void {
        // As CPython's test: no access log.
      }
    }
    const server = await makeServer('127.0.0.1', 0, app, { handlerClass: NoLogRequestHandler })
    onTestFinished(() => server.shutdown())
    const { headEnd, total, nonZero } = await new Promise<{
      headEnd: number
      total: number
      nonZero: number
    }>((resolve) => {
      const chunks: Buffer[] = []
      let received = 0
      let sincePause = 0
      const socket = connect(server.serverPort, '127.0.0.1', () => {
        socket.write('GET / HTTP/1.0\r\n\r\n')
      })
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        received += chunk.length
        sincePause += chunk.length
        // A slow reader: stop every 2 MiB, so the server's writes must wait and resume.
        if (sincePause >= 2 * 1024 * 1024) {
          sincePause = 0
          socket.pause()
          setTimeout(() => socket.resume(), 10)
        }
      })
      socket.on('close', () => {
        const all = Buffer.concat(chunks, received)
        const end = all.indexOf('\r\n\r\n') + 4
        const body = all.subarray(end)
        resolve({ headEnd: end, total: body.length, nonZero: body.findIndex((b) => b !== 0) })
      })
    })
    expect(headEnd).toBeGreaterThan(4)
    expect(total).toBe(SOCK_MAX_SIZE)
    expect(nonZero).toBe(-1)
  })
})
