import { once } from 'node:events'
import { createServer, connect } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { PassThrough, Readable, Writable } from 'node:stream'

import { describe, expect, it, onTestFinished } from 'vitest'

import { BytesWriter, FailingWriter, SlowWriter, systemError } from '../../test/fixtures/streams.ts'
import type { WSGIApplication } from '../types.ts'
import { StringErrorStream, TextErrorStream } from '../_internal/error-stream.ts'
import { InputReader } from '../_internal/input.ts'
import { SimpleHandler } from './simple-handler.ts'

const enc = (s: string): Buffer => Buffer.from(s, 'latin1')
const ENV = { SERVER_PROTOCOL: 'HTTP/1.0', REQUEST_METHOD: 'POST' }

/** Echoes the request body as the response body. */
const echoApp: WSGIApplication = async (environ, startResponse) => {
  const body = await environ['wsgi.input'].read()
  startResponse('200 OK', [['Date', 'x']])
  return [body]
}

describe('new SimpleHandler(stdin, stdout, stderr, environ, multithread, multiprocess)', () => {
  it('uses an InputStream as wsgi.input as it is', () => {
    const input = InputReader.fromBytes('abc')
    const h = new SimpleHandler(input, new BytesWriter(), new StringErrorStream(), ENV)
    expect(h.getStdin()).toBe(input)
  })

  it.each([
    ['a Node Readable', () => Readable.from([enc('ab'), enc('c')])],
    ['an array of chunks', () => [enc('ab'), enc('c')]],
    [
      'an async generator',
      () =>
        (async function* () {
          yield enc('ab')
          await Promise.resolve()
          yield enc('c')
        })(),
    ],
  ])('wraps %s in an InputReader', async (_name, make) => {
    const out = new BytesWriter()
    await new SimpleHandler(make(), out, new StringErrorStream(), ENV).run(echoApp)
    expect(out.text()).toBe('HTTP/1.0 200 OK\r\nDate: x\r\nContent-Length: 3\r\n\r\nabc')
  })

  it('wraps a text sink such as a Writable in a TextErrorStream', async () => {
    const sink = new PassThrough()
    const logged: Buffer[] = []
    sink.on('data', (chunk: Buffer) => logged.push(chunk))
    const h = new SimpleHandler([], new BytesWriter(), sink, ENV)
    expect(h.getStderr()).toBeInstanceOf(TextErrorStream)
    await h.run(() => {
      throw new Error('logged to the sink')
    })
    expect(Buffer.concat(logged).toString()).toContain('Error: logged to the sink')
  })

  it('uses an ErrorStream as wsgi.errors as it is', () => {
    const errors = new StringErrorStream()
    expect(new SimpleHandler([], new BytesWriter(), errors, ENV).getStderr()).toBe(errors)
  })

  it.each([
    [
      'stdin',
      () => new SimpleHandler(42 as never, new BytesWriter(), new StringErrorStream(), ENV),
    ],
    ['stdout', () => new SimpleHandler([], {} as never, new StringErrorStream(), ENV)],
    ['stderr', () => new SimpleHandler([], new BytesWriter(), {} as never, ENV)],
  ])('rejects a %s of the wrong shape with ERR_WSGI_INVALID_ARG_TYPE', (_name, make) => {
    expect(make).toThrow(expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }))
  })

  it('defaults to multithread and not multiprocess, and takes both as arguments', () => {
    const h = new SimpleHandler([], new BytesWriter(), new StringErrorStream(), ENV)
    expect([h.wsgiMultithread, h.wsgiMultiprocess]).toEqual([true, false])
    const g = new SimpleHandler([], new BytesWriter(), new StringErrorStream(), ENV, false, true)
    expect([g.wsgiMultithread, g.wsgiMultiprocess]).toEqual([false, true])
  })

  it('is an origin server whose environ variables override osEnviron', () => {
    const h = new SimpleHandler([], new BytesWriter(), new StringErrorStream(), { A: 'env' })
    h.osEnviron = { A: 'os', B: 'os' }
    h.setupEnviron()
    expect(h.originServer).toBe(true)
    expect(h.environ).toMatchObject({ A: 'env', B: 'os' })
    expect(h.environ).not.toHaveProperty(['wsgi.input_terminated'])
  })
})

describe('SimpleHandler#run(app) over a Node Writable', () => {
  it('resolves only once every byte left the Writable buffer', async () => {
    const out = new SlowWriter(16)
    await new SimpleHandler([], out, new StringErrorStream(), ENV).run((_e, s) => {
      s('200 OK', [['Date', 'x']])
      return [enc('a'.repeat(100))]
    })
    expect(out.writableLength).toBe(0)
    expect(out.text()).toBe(
      `HTTP/1.0 200 OK\r\nDate: x\r\nContent-Length: 100\r\n\r\n${'a'.repeat(100)}`,
    )
  })

  it('listens for error events only while it runs', async () => {
    const out = new BytesWriter()
    const before = out.listenerCount('error')
    await new SimpleHandler([], out, new StringErrorStream(), ENV).run(echoApp)
    expect(out.listenerCount('error')).toBe(before)
  })

  it('ends quietly when stdout is destroyed while it waits for drain', async () => {
    let closed = 0
    // Never calls back, so the buffer stays full, then gets destroyed (a socket torn down).
    const out: Writable = new Writable({
      highWaterMark: 1,
      write: () => {
        setImmediate(() => out.destroy())
      },
    })
    const err = new StringErrorStream()
    const run = new SimpleHandler([], out, err, ENV).run((_e, s) => {
      s('200 OK', [])
      return {
        *[Symbol.iterator](): Iterator<Uint8Array> {
          yield enc('first')
          yield enc('second')
        },
        close(): void {
          closed++
        },
      }
    })
    await expect(run).resolves.toBeUndefined()
    expect(err.getValue()).toBe('')
    expect(closed).toBe(1)
  })

  it('logs a stream error that is not a disconnect', async () => {
    const err = new StringErrorStream()
    const failing = new FailingWriter(new RangeError('disk full'))
    await new SimpleHandler([], failing, err, ENV).run(echoApp)
    expect(err.getValue()).toContain('RangeError: disk full')
  })

  it('takes ERR_STREAM_PREMATURE_CLOSE as a disconnect', async () => {
    const err = new StringErrorStream()
    const failing = new FailingWriter(systemError('ERR_STREAM_PREMATURE_CLOSE'))
    await new SimpleHandler([], failing, err, ENV).run(echoApp)
    expect(err.getValue()).toBe('')
  })
})

describe('SimpleHandler#run(app) over a TCP socket', () => {
  it('ends quietly, closing the body once, when the client goes away mid-response', async () => {
    let closed = 0
    const err = new StringErrorStream()
    let finished!: Promise<void>
    const server = createServer((socket: Socket) => {
      const handler = new SimpleHandler([], socket, err, ENV)
      finished = handler.run((_e, s) => {
        s('200 OK', [['Content-Type', 'application/octet-stream']])
        const chunk = new Uint8Array(64 * 1024)
        return {
          *[Symbol.iterator](): Iterator<Uint8Array> {
            // Far more than any socket buffer: the client leaves long before the end.
            for (let i = 0; i < 16 * 1024; i++) yield chunk
          },
          close(): void {
            closed++
          },
        }
      })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    onTestFinished(() => {
      server.close()
    })
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1')
    const [first] = (await once(client, 'data')) as [Buffer]
    expect(first.toString('latin1')).toMatch(/^HTTP\/1\.0 200 OK\r\n/)
    client.resetAndDestroy()
    await finished
    expect(closed).toBe(1)
    expect(err.getValue()).toBe('')
  })
})
