import { describe, expect, it } from 'vitest'

import type {
  ErrorStream,
  InputStream,
  ResponseBody,
  StartResponse,
  Status,
  WSGIApplication,
  WSGIEnvironment,
} from '../types.ts'
import { InputReader } from '../_internal/input.ts'
import { RESOLVED } from './async.ts'
import { HostHandler } from './host-handler.ts'

const text = (bytes: Uint8Array | undefined): string =>
  bytes === undefined ? '-' : new TextDecoder().decode(bytes)

/** A host that records what each hook was given; it refuses a `418` head. */
class RecordingHost extends HostHandler {
  events: string[] = []
  streamedError = false
  protected sendHead(): void {
    if (this.status?.startsWith('418') === true) {
      this.events.push('refused')
      throw new Error('this host cannot carry a 418')
    }
    const whole = this.wholeBody
    const body =
      whole !== undefined ? `whole=${text(whole)}` : this.endsWithHead ? 'no body' : 'streams'
    const length = this.headers?.get('Content-Length') ?? 'none'
    this.events.push(`head ${this.status ?? ''} ${body} length=${length}`)
  }
  protected _write(data: Uint8Array): void {
    this.events.push(`write ${text(data)}`)
  }
  protected endResponse(body: Uint8Array | undefined): void {
    this.events.push(`end ${text(body)}`)
  }
  override errorOutput(environ: WSGIEnvironment, startResponse: StartResponse): ResponseBody {
    if (!this.streamedError) return super.errorOutput(environ, startResponse)
    // With an error, as errorOutput must: it replaces the refused head.
    startResponse('500 Internal Server Error', [['Content-Type', 'text/plain']], new Error('500'))
    return [new TextEncoder().encode('a'), new TextEncoder().encode('b')]
  }
  override logException(): void {
    // The errors these tests cause on purpose are not worth printing.
  }
  getStdin(): InputStream {
    return InputReader.fromBytes('')
  }
  getStderr(): ErrorStream {
    return { write: () => undefined, writelines: () => undefined, flush: () => undefined }
  }
  addCgiVars(): void {
    Object.assign(this.environ ?? {}, { REQUEST_METHOD: 'GET', SERVER_PROTOCOL: 'HTTP/1.1' })
  }
}

function appOf(status: Status, body: ResponseBody): WSGIApplication {
  return (_environ, startResponse) => {
    startResponse(status, [['Content-Type', 'text/plain']])
    return body
  }
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('HostHandler: the transport hooks', () => {
  it('sends a one-item array whole with its head, with no promise of its own', async () => {
    const host = new RecordingHost()
    const done = host.run(appOf('200 OK', [bytes('hi')]))
    expect(done).toBe(RESOLVED)
    await done
    expect(host.events).toEqual(['head 200 OK whole=hi length=2', 'end hi'])
  })

  it('streams any other body: a head that streams, one write per chunk, then the end', async () => {
    const host = new RecordingHost()
    await host.run(appOf('200 OK', [bytes('a'), bytes('b')]))
    expect(host.events).toEqual(['head 200 OK streams length=none', 'write a', 'write b', 'end -'])
  })

  it('sends the head of an empty body with no body and Content-Length 0', async () => {
    const host = new RecordingHost()
    await host.run(appOf('200 OK', []))
    expect(host.events).toEqual(['head 200 OK no body length=0', 'end -'])
  })

  it('answers a head the host refuses with a 500 on the one-chunk path', async () => {
    const host = new RecordingHost()
    await host.run(appOf("418 I'm a teapot", [bytes('tea')]))
    expect(host.events[0]).toBe('refused')
    expect(host.events[1]).toMatch(/^head 500 Internal Server Error whole=A server error/)
    expect(host.events[2]).toMatch(/^end A server error/)
  })

  it('lets the error response after a refused head stream (it is not the ended response)', async () => {
    for (const body of [[], [bytes('tea')]]) {
      const host = new RecordingHost()
      host.streamedError = true
      await host.run(appOf("418 I'm a teapot", body))
      expect(host.events).toEqual([
        'refused',
        'head 500 Internal Server Error streams length=none',
        'write a',
        'write b',
        'end -',
      ])
    }
  })
})
