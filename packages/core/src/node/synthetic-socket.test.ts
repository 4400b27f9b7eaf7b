import { Duplex } from 'node:stream'

import { describe, expect, it } from 'vitest'

import type { WSGIEnvironment } from '../types.ts'
import { parseDecimal, parsePort, SyntheticSocket } from './synthetic-socket.ts'

function socketFor(overrides: Record<string, unknown> = {}): SyntheticSocket {
  const environ = {
    REQUEST_METHOD: 'GET',
    SERVER_NAME: '192.0.2.10',
    SERVER_PORT: '8443',
    REMOTE_ADDR: '2001:db8::1',
    REMOTE_PORT: '61000',
    'wsgi.url_scheme': 'https',
    ...overrides,
  } as WSGIEnvironment
  return new SyntheticSocket(environ, 1024, 2048)
}

describe('SyntheticSocket', () => {
  it('takes the address fields from the environ', () => {
    const socket = socketFor()
    expect(socket).toBeInstanceOf(Duplex)
    expect(socket.remoteAddress).toBe('2001:db8::1')
    expect(socket.remotePort).toBe(61000)
    expect(socket.remoteFamily).toBe('IPv6')
    expect(socket.localAddress).toBe('192.0.2.10')
    expect(socket.localPort).toBe(8443)
    expect(socket.encrypted).toBe(true)
    expect(socket.address()).toEqual({ address: '192.0.2.10', family: 'IPv4', port: 8443 })
    expect(socket.writableHighWaterMark).toBe(1024)
    expect(socket.readableHighWaterMark).toBe(2048)
  })

  it('keeps an IPv4-mapped REMOTE_ADDR as given, family IPv6, as a dual-stack net.Socket', () => {
    const socket = socketFor({ REMOTE_ADDR: '::ffff:127.0.0.1' })
    expect(socket.remoteAddress).toBe('::ffff:127.0.0.1')
    expect(socket.remoteFamily).toBe('IPv6')
    expect(socketFor({ REMOTE_ADDR: '127.0.0.1' }).remoteFamily).toBe('IPv4')
  })

  it('is not encrypted for http and leaves missing remote fields undefined', () => {
    const socket = socketFor({
      'wsgi.url_scheme': 'http',
      REMOTE_ADDR: undefined,
      REMOTE_PORT: 'x',
    })
    expect(socket.encrypted).toBe(false)
    expect(socket.remoteAddress).toBeUndefined()
    expect(socket.remotePort).toBeUndefined()
    expect(socket.remoteFamily).toBeUndefined()
  })

  it('accepts the net.Socket options calls and returns itself', () => {
    const socket = socketFor()
    const onTimeout = (): void => undefined
    expect(socket.setTimeout(5000, onTimeout)).toBe(socket)
    expect(socket.timeout).toBe(5000)
    expect(socket.listenerCount('timeout')).toBe(1)
    expect(socket.setTimeout(0, onTimeout).listenerCount('timeout')).toBe(0)
    expect(socket.setNoDelay(true)).toBe(socket)
    expect(socket.setKeepAlive(true, 1000)).toBe(socket)
    expect(socket.ref().unref()).toBe(socket)
  })

  it("emits 'close' on destroy, without throwing for an error nobody listens to", async () => {
    const socket = socketFor()
    const closed = new Promise((resolve) => socket.once('close', resolve))
    socket.destroy(new Error('gone'))
    await closed
    expect(socket.destroyed).toBe(true)
  })

  it('destroys itself after end(), as a server socket closes', async () => {
    const socket = socketFor()
    const closed = new Promise((resolve) => socket.once('close', resolve))
    socket.destroySoon()
    await closed
    expect(socket.destroyed).toBe(true)
  })
})

describe('parseDecimal(value) / parsePort(value)', () => {
  it.each([
    ['0', 0],
    ['8080', 8080],
    ['', -1],
    [' 1', -1],
    ['1e3', -1],
    ['-1', -1],
    ['0x10', -1],
    [42, -1],
  ])('parses %j as %d', (value, n) => {
    expect(parseDecimal(value)).toBe(n)
  })

  it('accepts ports 0 to 65535 only', () => {
    expect(parsePort('65535')).toBe(65535)
    expect(parsePort('65536')).toBeUndefined()
    expect(parsePort(undefined)).toBeUndefined()
  })
})
