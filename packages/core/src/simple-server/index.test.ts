import { Buffer } from 'node:buffer'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { hostname } from 'node:os'

import { describe, expect, it, onTestFinished, vi } from 'vitest'

import { RawClient, exchange } from '../../test/helpers/raw-http.ts'
import type { WSGIApplication, WSGIEnvironment } from '../types.ts'
import { StringErrorStream } from '../_internal/error-stream.ts'
import { InputReader } from '../_internal/input.ts'
import {
  LogStream,
  ServerHandler,
  WSGIRequestHandler,
  WSGIServer,
  demoApp,
  makeServer,
  serverVersion,
  softwareVersion,
  sysVersion,
} from './index.ts'
import type { MakeServerOptions } from './index.ts'

const text = (s: string): Uint8Array => Buffer.from(s, 'latin1')

const hello: WSGIApplication = (_environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']])
  return [text('Hello, world!')]
}

async function start(
  app: WSGIApplication = hello,
  options: MakeServerOptions = {},
): Promise<{ server: WSGIServer; port: number; log: StringErrorStream }> {
  const server = await makeServer('127.0.0.1', 0, app, options)
  const log = new StringErrorStream()
  server.stderr = log
  onTestFinished(async () => {
    server.httpServer.closeAllConnections()
    await server.shutdown()
  })
  return { server, port: server.serverPort, log }
}

// One access-log line: `127.0.0.1 - - [23/Nov/2026 18:33:54] "GET / HTTP/1.1" 200 4`.
const LOG_LINE = /^127\.0\.0\.1 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4} \d{2}:\d{2}:\d{2}\] (.*)$/

function logMessages(log: StringErrorStream): string[] {
  return log
    .getValue()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => LOG_LINE.exec(l)?.[1] ?? `UNMATCHED: ${l}`)
}

describe('software versions', () => {
  it('mirror wsgiref: WSGIServer/0.2 and the runtime', () => {
    expect(serverVersion).toBe('WSGIServer/0.2')
    expect(sysVersion).toBe(`Node.js/${process.versions.node}`)
    expect(softwareVersion).toBe(`WSGIServer/0.2 Node.js/${process.versions.node}`)
  })
})

describe('makeServer(host, port, app, options?)', () => {
  it('resolves once listening, with the real port of port 0', async () => {
    const { server, port } = await start()
    expect(server.httpServer.listening).toBe(true)
    expect(port).toBeGreaterThan(0)
    expect(server.getApp()).toBe(hello)
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('Hello, world!')
  })

  it('sets baseEnviron as wsgiref does after binding', async () => {
    const { server, port } = await start()
    expect(server.serverName).toBe('127.0.0.1')
    expect(server.baseEnviron).toEqual({
      SERVER_NAME: '127.0.0.1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PORT: String(port),
      REMOTE_HOST: '',
      CONTENT_LENGTH: '',
      SCRIPT_NAME: '',
    })
  })

  it("listens on every interface for host '' and names itself after the machine", async () => {
    const server = await makeServer('', 0, hello)
    server.stderr = new StringErrorStream()
    onTestFinished(() => server.shutdown())
    expect(server.serverName).toBe(hostname())
    const res = await fetch(`http://127.0.0.1:${server.serverPort}/`)
    expect(res.status).toBe(200)
  })

  it('uses the serverClass and handlerClass it is given', async () => {
    class MyServer extends WSGIServer {}
    const seen: string[] = []
    class MyHandler extends WSGIRequestHandler {
      override getEnviron(): Record<string, unknown> {
        const env = super.getEnviron()
        env['my.key'] = 'mine'
        return env
      }
    }
    const app: WSGIApplication = (environ, sr) => {
      seen.push(String(environ['my.key']))
      return hello(environ, sr)
    }
    const { server, port } = await start(app, { serverClass: MyServer, handlerClass: MyHandler })
    expect(server).toBeInstanceOf(MyServer)
    await (await fetch(`http://127.0.0.1:${port}/`)).text()
    expect(seen).toEqual(['mine'])
  })

  it('rejects when the port is taken', async () => {
    const { port } = await start()
    await expect(makeServer('127.0.0.1', port, hello)).rejects.toMatchObject({
      code: 'EADDRINUSE',
    })
  })
})

describe('WSGIServer', () => {
  it('gets and sets the application', async () => {
    const { server, port } = await start()
    const other: WSGIApplication = (_e, sr) => {
      sr('200 OK', [])
      return [text('other')]
    }
    server.setApp(other)
    expect(server.getApp()).toBe(other)
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('other')
  })

  it('answers 500 when no application is set', async () => {
    const server = new WSGIServer(['127.0.0.1', 0])
    const log = new StringErrorStream()
    server.stderr = log
    await server.serverBind()
    onTestFinished(() => server.shutdown())
    const res = await fetch(`http://127.0.0.1:${server.serverPort}/`)
    expect(res.status).toBe(500)
    expect(log.getValue()).toContain('No application is set')
  })

  it('serveForever() binds if needed and resolves after shutdown()', async () => {
    const server = new WSGIServer(['127.0.0.1', 0])
    server.stderr = new StringErrorStream()
    server.setApp(hello)
    let finished = false
    const serving = server.serveForever().then(() => {
      finished = true
    })
    await new Promise<void>((resolve) => server.httpServer.once('listening', resolve))
    expect(await (await fetch(`http://127.0.0.1:${server.serverPort}/`)).text()).toBe(
      'Hello, world!',
    )
    expect(finished).toBe(false)
    await server.shutdown()
    await serving
    expect(finished).toBe(true)
    expect(server.httpServer.listening).toBe(false)
  })

  it('shutdown() lets a request in flight finish, with Connection: close', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let entered: () => void = () => undefined
    const inApp = new Promise<void>((resolve) => {
      entered = resolve
    })
    const slow: WSGIApplication = async (_e, sr) => {
      entered()
      await gate
      sr('200 OK', [])
      return [text('late but whole')]
    }
    const { server, port } = await start(slow)
    const client = await RawClient.open(port)
    client.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n')
    await inApp
    const stopping = server.shutdown()
    release()
    const res = await client.response()
    expect(res.body.toString()).toBe('late but whole')
    expect(res.headers.get('connection')).toEqual(['close'])
    await stopping
    await client.closed
  })

  it('shutdown() closes idle keep-alive connections', async () => {
    const { server, port } = await start()
    const client = await RawClient.open(port)
    client.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n')
    expect((await client.response()).status).toBe(200)
    await server.shutdown()
    await client.closed
    expect(client.ended).toBe(true)
  })

  it('shuts down on `await using`', async () => {
    let httpServer: WSGIServer['httpServer'] | undefined
    {
      await using server = await makeServer('127.0.0.1', 0, hello)
      httpServer = server.httpServer
      expect(httpServer.listening).toBe(true)
    }
    expect(httpServer.listening).toBe(false)
  })

  it.each([
    [400, 'Bad Request', 'FOO\r\n\r\n', '"FOO" 400 -'],
    [414, 'URI Too Long', `GET /${'x'.repeat(20_000)} HTTP/1.1\r\n\r\n`, '"" 414 -'],
    [
      431,
      'Request Header Fields Too Large',
      `GET / HTTP/1.1\r\nHost: h\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`,
      '"GET / HTTP/1.1" 431 -',
    ],
  ])(
    'answers a request the parser rejects with a proper %i %s',
    async (code, reason, req, line) => {
      const { port, log } = await start()
      const raw = await exchange(port, req)
      const body = `${code} ${reason}\n`
      expect(raw).toMatch(
        new RegExp(
          `^HTTP/1\\.1 ${code} ${reason}\\r\\nDate: .* GMT\\r\\nServer: WSGIServer/0\\.2 Node\\.js/\\S+\\r\\n` +
            `Connection: close\\r\\nContent-Type: text/plain; charset=utf-8\\r\\n` +
            `Content-Length: ${body.length}\\r\\n\\r\\n${body}$`,
        ),
      )
      const messages = logMessages(log)
      expect(messages[0]).toMatch(new RegExp(`^code ${code}, message ${reason}`))
      expect(messages[1]).toBe(line)
    },
  )

  it.each([
    ['in the same packet', false],
    ['after the request', true],
  ])(
    'answers a request that said Connection: close, then drops what the client sent after it (%s)',
    async (_name, later) => {
      // An app that answers after the bytes that follow arrived: Node's parser rejects those
      // bytes while the response is not begun.
      let answered = false
      const slow: WSGIApplication = async (_e, sr) => {
        await new Promise((resolve) => setTimeout(resolve, 30))
        answered = true
        sr('200 OK', [['Content-Type', 'text/plain']])
        return [text('slow but whole')]
      }
      const { port, log } = await start(slow)
      const client = await RawClient.open(port)
      const first = 'GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'
      const after = 'GET /b HTTP/1.1\r\nHost: h\r\n\r\n'
      if (later) {
        client.write(first)
        await new Promise((resolve) => setTimeout(resolve, 5))
        expect(answered).toBe(false)
        client.write(after)
      } else client.write(first + after)
      const raw = await client.untilClosed()
      expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
      expect(raw).toContain('\r\nConnection: close\r\n')
      expect(raw.endsWith('\r\n\r\nslow but whole')).toBe(true)
      expect(raw.match(/HTTP\/1\.1 /g)).toHaveLength(1)
      expect(logMessages(log)).toEqual(['"GET /a HTTP/1.1" 200 14'])
    },
  )

  it('honours maxHeaderSize from serverOptions', async () => {
    const { port } = await start(hello, { serverOptions: { maxHeaderSize: 100 } })
    const raw = await exchange(port, `GET / HTTP/1.1\r\nHost: h\r\nX: ${'y'.repeat(200)}\r\n\r\n`)
    expect(raw).toMatch(/^HTTP\/1\.1 431 /)
  })
})

describe('WSGIRequestHandler', () => {
  it('logs one line per request in wsgiref format: code and body bytes', async () => {
    const { port, log } = await start()
    await (await fetch(`http://127.0.0.1:${port}/a?b=1`)).text()
    const failing: WSGIApplication = () => {
      throw new Error('x')
    }
    const { port: port2, log: log2 } = await start(failing)
    await (await fetch(`http://127.0.0.1:${port2}/`)).text()
    expect(logMessages(log)).toEqual(['"GET /a?b=1 HTTP/1.1" 200 13'])
    expect(logMessages(log2).at(-1)).toBe('"GET / HTTP/1.1" 500 59')
  })

  it('writes no access-log line with accessLog: false, but still logs errors', async () => {
    const failing: WSGIApplication = () => {
      throw new Error('boom')
    }
    const { server, port, log } = await start(failing, { accessLog: false })
    expect(server.accessLog).toBe(false)
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(500)
    const { port: quietPort, log: quietLog } = await start(hello, { accessLog: false })
    expect(await (await fetch(`http://127.0.0.1:${quietPort}/x`)).text()).toBe('Hello, world!')
    expect(quietLog.getValue()).toBe('')
    expect(log.getValue()).toContain('Error: boom')
    expect(log.getValue()).not.toContain('"GET / HTTP/1.1" 500')
  })

  it('logs requests by default (accessLog is true)', async () => {
    const { server, port, log } = await start()
    expect(server.accessLog).toBe(true)
    await (await fetch(`http://127.0.0.1:${port}/`)).text()
    expect(logMessages(log)).toEqual(['"GET / HTTP/1.1" 200 13'])
  })

  it.each([
    ['a plain request', 'GET', '/a?b=1', '1.1'],
    ['control characters in every piece', 'G\x01T', '/\x85x\x7f\x1b[31m', '1.\x00'],
  ])(
    'writes the same access-log line with and without a subclass (%s)',
    async (_n, method, url, version) => {
      const lines: string[] = []
      for (const Handler of [WSGIRequestHandler, class extends WSGIRequestHandler {}]) {
        const server = new WSGIServer(['127.0.0.1', 0])
        const log = new StringErrorStream()
        server.stderr = log
        const request = {
          method,
          url,
          httpVersion: version,
          socket: { remoteAddress: '::ffff:10.0.0.1' },
        }
        const requestHandler = new Handler(
          request as unknown as IncomingMessage,
          {} as unknown as ServerResponse,
          server,
        )
        const handler = new ServerHandler(requestHandler, undefined)
        handler.status = '404 Not Found'
        handler.bytesSent = 42
        await handler.close()
        lines.push(log.getValue())
      }
      expect(lines[0]).toMatch(/^10\.0\.0\.1 - - \[/)
      expect(lines[0]).toContain(
        method === 'GET'
          ? '"GET /a?b=1 HTTP/1.1" 404 42\n'
          : '"G\\x01T /\\x85x\\x7f\\x1b[31m HTTP/1.\\x00" 404 42\n',
      )
      expect(lines[1]).toBe(lines[0])
    },
  )

  it('escapes control characters in the log', () => {
    const server = new WSGIServer(['127.0.0.1', 0])
    const log = new StringErrorStream()
    server.stderr = log
    const handler = new WSGIRequestHandler(
      {
        method: 'GET',
        url: '/',
        httpVersion: '1.1',
        socket: { remoteAddress: '127.0.0.1' },
      } as unknown as IncomingMessage,
      {} as unknown as ServerResponse,
      server,
    )
    handler.logMessage('bad\x1b[31m\x7f')
    expect(logMessages(log)).toEqual(['bad\\x1b[31m\\x7f'])
  })

  it('builds the environ from baseEnviron and the request (getEnviron)', async () => {
    let environ: WSGIEnvironment | undefined
    const app: WSGIApplication = (env, sr) => {
      environ = env
      return hello(env, sr)
    }
    const { port } = await start(app)
    await (
      await fetch(`http://127.0.0.1:${port}/p%61th/?query=test`, {
        headers: { 'X-Test-Header': 'Python test' },
      })
    ).text()
    expect(environ).toMatchObject({
      SERVER_NAME: '127.0.0.1',
      SERVER_PORT: String(port),
      SERVER_SOFTWARE: 'WSGIServer/0.2',
      SERVER_PROTOCOL: 'HTTP/1.1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      REQUEST_METHOD: 'GET',
      SCRIPT_NAME: '',
      PATH_INFO: '/path/',
      QUERY_STRING: 'query=test',
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_HOST: '',
      CONTENT_LENGTH: '',
      HTTP_X_TEST_HEADER: 'Python test',
      'wsgi.url_scheme': 'http',
      'wsgi.multithread': false,
      'wsgi.multiprocess': false,
      'wsgi.run_once': false,
      'wsgi.input_terminated': true,
    })
    expect(environ?.['wsgi.input']).toBeInstanceOf(InputReader)
    expect(environ).not.toHaveProperty('CONTENT_TYPE')
  })
})

describe('LogStream', () => {
  it('holds text for a moment, then writes it in one go', async () => {
    const writes: string[] = []
    const log = new LogStream({ write: (s: string) => writes.push(s) })
    log.write('a\n')
    log.writelines(['b\n', 'c\n'])
    expect(writes).toEqual([])
    await vi.waitFor(() => {
      expect(writes).toEqual(['a\nb\nc\n'])
    })
  })

  it('writes at once on flush() and beyond 64 KiB', () => {
    const writes: string[] = []
    const log = new LogStream({ write: (s: string) => writes.push(s) })
    log.write('traceback\n')
    log.flush()
    log.write('x'.repeat(70_000))
    expect(writes.map((w) => w.length)).toEqual([10, 70_000])
  })

  it('gives the sink the text as written: multi-byte characters, and lone surrogates as they are', () => {
    const writes: string[] = []
    const log = new LogStream({ write: (s: string) => writes.push(s) })
    log.write('caf\u00e9 \u2713 \u{1f600}\n')
    log.write('half \ud800 pair\n')
    log.write('after\n')
    log.flush()
    // The lone surrogate (which UTF-8 cannot carry) went out at once, after what was held.
    expect(writes).toEqual(['caf\u00e9 \u2713 \u{1f600}\n', 'half \ud800 pair\n', 'after\n'])
  })

  it('keeps every line, in order, when the held text passes 64 KiB', () => {
    const writes: string[] = []
    const log = new LogStream({ write: (s: string) => writes.push(s) })
    const lines = Array.from(
      { length: 2000 },
      (_, i) => `line ${String(i).padStart(4, '0')} \u00e9${'.'.repeat(90)}\n`,
    )
    for (const line of lines) log.write(line)
    log.write('y'.repeat(70_000))
    log.write('tail\n')
    log.flush()
    expect(writes.join('')).toBe(`${lines.join('')}${'y'.repeat(70_000)}tail\n`)
    expect(writes.length).toBeGreaterThan(3)
    for (const text of writes.slice(0, -2))
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(65_536)
  })
})

describe('demoApp(environ, startResponse)', () => {
  it("prints 'Hello world!' and every key in sorted order, Python-style", () => {
    let status = ''
    let headers: [string, string][] = []
    const environ = {
      REQUEST_METHOD: 'GET',
      SERVER_NAME: 's',
      SERVER_PORT: '80',
      PATH_INFO: "/caf\xe9/\x80it's",
      'wsgi.version': Object.freeze([1, 0] as const),
      'wsgi.multithread': false,
      'wsgi.run_once': true,
      'wsgi.input': InputReader.fromBytes(''),
      'x.list': ['a', 1],
      'x.none': null,
      'x.dict': { k: 'v' },
    } as unknown as WSGIEnvironment
    const body = demoApp(environ, (s, h) => {
      status = s
      headers = h
      return () => undefined
    })
    expect(status).toBe('200 OK')
    expect(headers).toEqual([['Content-Type', 'text/plain; charset=utf-8']])
    expect(Buffer.concat(body).toString('utf8')).toBe(
      [
        'Hello world!',
        '',
        `PATH_INFO = "/café/\\x80it's"`,
        "REQUEST_METHOD = 'GET'",
        "SERVER_NAME = 's'",
        "SERVER_PORT = '80'",
        'wsgi.input = <InputReader>',
        'wsgi.multithread = False',
        'wsgi.run_once = True',
        'wsgi.version = (1, 0)',
        "x.dict = {'k': 'v'}",
        "x.list = ['a', 1]",
        'x.none = None',
        '',
      ].join('\n'),
    )
  })

  it('serves the environ of a real request', async () => {
    const { port } = await start(demoApp)
    const body = await (await fetch(`http://127.0.0.1:${port}/xyz?abc`)).text()
    expect(body.startsWith('Hello world!\n\n')).toBe(true)
    expect(body).toContain("PATH_INFO = '/xyz'\n")
    expect(body).toContain("QUERY_STRING = 'abc'\n")
    expect(body).toContain('wsgi.version = (1, 0)\n')
  })
})
