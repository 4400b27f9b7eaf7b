/**
 * The connection under a synthetic request: a `stream.Duplex` that stands in for the TCP (or TLS)
 * socket of a real Node server, so that `fromNodeListener` can hand a listener the real
 * `http.IncomingMessage` and `http.ServerResponse` classes.
 *
 * The read side carries nothing (the request body comes from `wsgi.input`, see
 * `synthetic-request.ts`). The write side receives exactly what Node's `ServerResponse` would put
 * on the wire and passes it to a {@link SocketSink}, which holds each write's callback until the
 * gateway server has pulled the bytes: that is where backpressure comes from, so `res.write()`
 * returns `false` and `'drain'` follows as on a real socket. The address fields that middleware
 * reads (`remoteAddress`, `encrypted`, `address()`, ...) come from the environ.
 *
 * @module
 */

import { isIP } from 'node:net'
import { Duplex } from 'node:stream'

import type { WSGIEnvironment } from '../types.ts'

/** Where a {@link SyntheticSocket} sends what is written to it, and reports its teardown. */
export interface SocketSink {
  /** One chunk written by Node's http code: a string with its encoding, or a Buffer. */
  accept(chunk: Buffer | string, encoding: BufferEncoding): void
  /** Called once per write batch; call `callback` when the batch was consumed. */
  hold(callback: (error?: Error | null) => void): void
  /** The socket is being destroyed (`error` is null for a plain `destroy()`). */
  socketDestroyed(error: Error | null): void
  /** The socket emitted `'close'`. */
  socketClosed(): void
}

/** What a socket knows of the response assigned to it (`ServerResponse#assignSocket` sets it). */
interface AssignedMessage {
  readonly writableNeedDrain: boolean
  emit(event: 'drain'): boolean
}

/** Parses a decimal port; `undefined` unless `value` is digits only and at most 65535. */
export function parsePort(value: unknown): number | undefined {
  const n = parseDecimal(value)
  return n >= 0 && n <= 65535 ? n : undefined
}

/**
 * Parses a string of ASCII digits (no sign, no spaces, no exponent) into a safe integer.
 * Returns -1 for anything else, including the empty string.
 */
export function parseDecimal(value: unknown): number {
  if (typeof value !== 'string' || value.length === 0 || value.length > 15) return -1
  let n = 0
  for (let i = 0; i < value.length; i++) {
    const digit = value.charCodeAt(i) - 0x30
    if (digit < 0 || digit > 9) return -1
    n = n * 10 + digit
  }
  return n
}

function familyOf(address: string | undefined): 'IPv4' | 'IPv6' | undefined {
  if (address === undefined) return undefined
  const version = isIP(address)
  return version === 6 ? 'IPv6' : version === 4 ? 'IPv4' : undefined
}

/**
 * The symbol Node keys `OutgoingMessage`'s "a write returned false" flag with. It is private to
 * Node, but a server must clear it when it forwards `'drain'` (Node's own `socketOnDrain` does),
 * otherwise `res.writableNeedDrain` stays `true` and `pipe()` into the response stalls.
 */
let kNeedDrain: symbol | undefined

/** Records the symbol found on a response instance (looked up once, by its description). */
export function findNeedDrainSymbol(res: object): void {
  if (kNeedDrain !== undefined) return
  kNeedDrain = Object.getOwnPropertySymbols(res).find((s) => s.description === 'kNeedDrain')
}

// Module-level listeners (`this` is the socket), so a request allocates no closures for them.
function forwardDrain(this: SyntheticSocket): void {
  // Mirrors Node's socketOnDrain: the response gets 'drain' only if a write of it returned false.
  const res = this._httpMessage
  if (res?.writableNeedDrain !== true) return
  if (kNeedDrain !== undefined) Reflect.set(res, kNeedDrain, false)
  res.emit('drain')
}

function onClose(this: SyntheticSocket): void {
  this.sink?.socketClosed()
}

function ignoreError(): void {
  // A real server listens for socket errors too (socketOnError); the error has already reached
  // the response body and the request, which is where it matters.
}

/**
 * A `Duplex` with the fields of a `net.Socket` (or `tls.TLSSocket` for https) taken from the
 * environ: `remoteAddress`/`remotePort` from `REMOTE_ADDR`/`REMOTE_PORT`, `localAddress`/
 * `localPort` and `address()` from `SERVER_NAME`/`SERVER_PORT`, and `encrypted` true exactly when
 * `wsgi.url_scheme` is `'https'`.
 *
 * `setTimeout`, `setNoDelay`, `setKeepAlive`, `ref` and `unref` are accepted and do nothing:
 * timeouts and TCP options belong to the outer server, which owns the real connection.
 * `end()` or `destroy()` by the listener cuts the response, as on a real socket.
 */
export class SyntheticSocket extends Duplex {
  /** Where written bytes go; set once, before the response is assigned. */
  sink: SocketSink | null = null
  /** The response using this socket (set by `ServerResponse#assignSocket`, as in Node). */
  _httpMessage: AssignedMessage | null = null
  /**
   * Set when the socket went down before the response finished; Node's `OutgoingMessage` reads
   * it so that a response cut short never emits `'finish'`.
   */
  _hadError = false
  readonly remoteAddress: string | undefined
  readonly remotePort: number | undefined
  readonly localAddress: string
  readonly localPort: number | undefined
  readonly encrypted: boolean
  readonly connecting = false
  readonly pending = false
  /** The idle timeout last given to {@link setTimeout}, as `net.Socket#timeout` reports it. */
  timeout: number | undefined = undefined

  constructor(
    environ: WSGIEnvironment,
    writableHighWaterMark: number,
    readableHighWaterMark: number,
  ) {
    super({ decodeStrings: false, writableHighWaterMark, readableHighWaterMark })
    const remote = environ.REMOTE_ADDR
    this.remoteAddress = typeof remote === 'string' && remote !== '' ? remote : undefined
    this.remotePort = parsePort(environ.REMOTE_PORT)
    const serverName: unknown = environ.SERVER_NAME
    this.localAddress = typeof serverName === 'string' ? serverName : ''
    this.localPort = parsePort(environ.SERVER_PORT)
    this.encrypted = environ['wsgi.url_scheme'] === 'https'
    this.on('error', ignoreError)
    this.on('drain', forwardDrain)
    this.on('close', onClose)
  }

  // Getters, as on net.Socket: few listeners read them, and telling the family costs a parse.
  /** `'IPv4'` or `'IPv6'` for `remoteAddress` (undefined when it is not an IP address). */
  get remoteFamily(): 'IPv4' | 'IPv6' | undefined {
    return familyOf(this.remoteAddress)
  }

  /** `'IPv4'` or `'IPv6'` for `localAddress` (`'IPv4'` when it is a host name). */
  get localFamily(): 'IPv4' | 'IPv6' {
    return familyOf(this.localAddress) ?? 'IPv4'
  }

  /** Like `net.Socket#address()`: the server side of the connection. */
  address(): { address: string; family: string; port: number | undefined } {
    return { address: this.localAddress, family: this.localFamily, port: this.localPort }
  }

  /** Records the timeout and adds `callback` as a `'timeout'` listener; never fires by itself. */
  setTimeout(msecs: number, callback?: () => void): this {
    this.timeout = msecs
    if (callback !== undefined) {
      if (msecs === 0) this.removeListener('timeout', callback)
      else this.once('timeout', callback)
    }
    return this
  }

  /** Accepted for compatibility; the outer server owns the real connection's options. */
  setNoDelay(_noDelay?: boolean): this {
    return this
  }

  /** Accepted for compatibility; the outer server owns the real connection's options. */
  setKeepAlive(_enable?: boolean, _initialDelay?: number): this {
    return this
  }

  /** Accepted for compatibility (there is no handle to reference). */
  ref(): this {
    return this
  }

  /** Accepted for compatibility (there is no handle to unreference). */
  unref(): this {
    return this
  }

  /** Like `net.Socket#destroySoon()`: end the write side, then destroy. */
  destroySoon(): void {
    if (this.writable) this.end()
    else this.destroy()
  }

  override _read(_size: number): void {
    // Nothing arrives on this side: the request body is read from wsgi.input by the request.
  }

  override _write(
    chunk: Buffer | string,
    encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    const sink = this.sink
    if (sink === null) {
      callback()
      return
    }
    sink.accept(chunk, encoding)
    sink.hold(callback)
  }

  override _writev(
    chunks: { chunk: Buffer | string; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    const sink = this.sink
    if (sink === null) {
      callback()
      return
    }
    for (const { chunk, encoding } of chunks) sink.accept(chunk, encoding)
    sink.hold(callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    // end() on a server socket closes the connection once the queued bytes went out.
    callback()
    this.destroy()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.sink?.socketDestroyed(error)
    callback(error)
  }
}
