/**
 * Capture what the rest of an Express chain writes to `res` as a gateway response (status,
 * headers, a streamed body), while the real response stays free for whoever wraps that chain.
 *
 * The pattern is `compression`'s: `writeHead`, `write`, `end` and `flushHeaders` are replaced on
 * the response instance, so every later layer (and every layer that patched them before) writes
 * through the capture. A proxy, {@link ResponseCapture.target}, keeps calling what was there before.
 *
 * @module
 */
import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { STATUS_CODES } from 'node:http'

import type { HeaderList, ResponseBody, Status } from '@wsgi/core/types'
import { isHopByHop } from '@wsgi/core/util'

/** The head of the captured response, as `startResponse` takes it. */
export interface CapturedHead {
  readonly status: Status
  readonly headers: HeaderList
}

type Callback = (error?: Error | null) => void
type WriteHeadHeaders = OutgoingHttpHeaders | OutgoingHttpHeader[] | readonly [string, string][]

interface Queued {
  readonly bytes: Uint8Array
  readonly callback: Callback | undefined
}

// Own properties the capture shadows on the response; `target` resolves them as they were.
const SHADOWED = [
  'writeHead',
  'write',
  'end',
  'flushHeaders',
  'headersSent',
  'writableEnded',
  'writableNeedDrain',
] as const

const SHADOWED_KEYS: ReadonlySet<PropertyKey> = new Set(SHADOWED)

const EMPTY = new Uint8Array(0)

// Where the members `install()` puts on a response find their capture.
const kCapture = Symbol('wsgits.responseCapture')

interface Captured extends ServerResponse {
  [kCapture]: ResponseCapture
}

// The members `install()` defines on a response and its `'close'` listener: functions shared by
// every capture (made in the class's static block, which can reach its private members).
let INSTALLED: readonly (readonly [string, PropertyDescriptor])[] = []
let onResponseClose: (this: Captured) => void = () => undefined

/**
 * One response, captured. Create it, {@link ResponseCapture.install | install} it, let the rest
 * of the chain run; `head` settles when the chain committed its status and headers, `body`
 * yields what it wrote, with backpressure: `res.write()` returns `false` once a high-water mark
 * of bytes waits unread, and `'drain'` is emitted on `res` when the reader caught up.
 */
export class ResponseCapture {
  /** The response as it was before the capture: write the final response here. */
  readonly target: ServerResponse
  /** Settles with the chain's status and headers; rejects if the client went away first. */
  readonly head: Promise<CapturedHead>
  /** The chain's body, a one-shot async iterable with `close()`. */
  readonly body: ResponseBody & AsyncIterable<Uint8Array>

  #res: ServerResponse
  #saved = new Map<PropertyKey, PropertyDescriptor | undefined>()
  #installed = false
  #highWaterMark: number
  #queue: Queued[] = []
  #queued = 0
  #committed = false
  #ended = false
  #closed = false
  #needDrain = false
  // The head's Content-Length as a number; -1 without one (or with one that is not digits).
  #length = -1
  #endCallback: Callback | undefined
  #wake: (() => void) | undefined
  #resolveHead!: (head: CapturedHead) => void
  #rejectHead!: (error: Error) => void

  constructor(res: ServerResponse) {
    this.#res = res
    this.#highWaterMark = res.writableHighWaterMark
    this.head = new Promise<CapturedHead>((resolve, reject) => {
      this.#resolveHead = resolve
      this.#rejectHead = reject
    })
    // An unobserved rejection (the chain's owner stopped caring) must not crash the process.
    this.head.catch(() => undefined)
    this.target = this.#makeTarget()
    this.body = {
      [Symbol.asyncIterator]: () => ({
        next: () => this.#next(),
        return: () => {
          this.#close()
          return Promise.resolve({ done: true, value: undefined })
        },
      }),
      close: () => {
        this.#close()
      },
    }
  }

  /** Replace the writing methods on `res`; from now on what the chain writes is captured. */
  install(): void {
    if (this.#installed) return
    this.#installed = true
    const res = this.#res as Captured
    // What an earlier layer put on the instance itself (compression's write and end), for
    // `target`; most keys have none.
    for (const key of SHADOWED) {
      if (Object.hasOwn(res, key)) this.#saved.set(key, Object.getOwnPropertyDescriptor(res, key))
    }
    // Functions shared by every capture, which find this one through `res`: a bound copy of
    // each method and a closure per getter, made per request, cost more than the rest of the
    // capture (about 9 µs a response, in a micro benchmark).
    res[kCapture] = this
    for (const [key, descriptor] of INSTALLED) Object.defineProperty(res, key, descriptor)
    res.once('close', onResponseClose)
  }

  #writeHead(
    statusCode: number,
    reason?: string | WriteHeadHeaders,
    headers?: WriteHeadHeaders,
  ): ServerResponse {
    if (this.#committed) throw headersSentError()
    const res = this.#res
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 999) {
      throw Object.assign(new RangeError(`Invalid status code: ${String(statusCode)}`), {
        code: 'ERR_HTTP_INVALID_STATUS_CODE',
      })
    }
    res.statusCode = statusCode
    if (typeof reason === 'string') res.statusMessage = reason
    else headers = reason
    if (headers !== undefined) applyHeaders(res, headers)
    this.#commit()
    return res
  }

  #write(chunk: unknown, encoding?: BufferEncoding | Callback, callback?: Callback): boolean {
    if (typeof encoding === 'function') {
      callback = encoding
      encoding = undefined
    }
    if (this.#ended) {
      const error = Object.assign(new Error('write after end'), {
        code: 'ERR_STREAM_WRITE_AFTER_END',
      })
      if (callback !== undefined) process.nextTick(callback, error)
      return false
    }
    if (!this.#committed) this.#commit()
    const bytes = toBytes(chunk, encoding)
    this.#push(bytes, callback)
    if (this.#queued >= this.#highWaterMark) {
      this.#needDrain = true
      return false
    }
    return true
  }

  #end(chunk?: unknown, encoding?: BufferEncoding | Callback, callback?: Callback): ServerResponse {
    if (typeof chunk === 'function') {
      callback = chunk as Callback
      chunk = undefined
    } else if (typeof encoding === 'function') {
      callback = encoding
      encoding = undefined
    }
    const res = this.#res
    if (this.#ended) {
      if (callback !== undefined) process.nextTick(callback)
      return res
    }
    const bytes =
      chunk === undefined || chunk === null ? EMPTY : toBytes(chunk, encoding as BufferEncoding)
    if (!this.#committed) {
      // Node's own end(data) frames a one-shot body with Content-Length; so does the capture.
      if (
        !res.hasHeader('content-length') &&
        !res.hasHeader('transfer-encoding') &&
        res.req.method !== 'HEAD' &&
        !isNullBodyStatus(res.statusCode)
      ) {
        res.setHeader('Content-Length', bytes.length)
      }
      this.#commit()
    }
    if (bytes.length > 0) this.#push(bytes, undefined)
    this.#ended = true
    this.#endCallback = callback
    this.#signal()
    return res
  }

  #flushHeaders(): void {
    if (this.#committed) return
    this.#commit()
    // An empty chunk makes the gateway side send the head now (server-sent events).
    this.#push(EMPTY, undefined)
  }

  /** Turn the status and headers now on `res` into the captured head and clear them off `res`. */
  #commit(): void {
    const res = this.#res
    this.#committed = true
    const headers: HeaderList = []
    // getRawHeaderNames() keeps the case the app wrote (Node >= 15.13 has it on every
    // OutgoingMessage; @types/node declares it on ClientRequest only).
    const names = (res as ServerResponse & { getRawHeaderNames(): string[] }).getRawHeaderNames()
    for (const name of names) {
      const value = res.getHeader(name)
      // Connection management is the outer server's; PEP 3333 forbids these from apps anyway.
      if (value === undefined || isHopByHop(name)) continue
      if (name.length === 14 && name.toLowerCase() === 'content-length') {
        this.#length = decimalOf(value)
      }
      if (Array.isArray(value)) for (const v of value) headers.push([name, v])
      else headers.push([name, String(value)])
    }
    for (const name of names) res.removeHeader(name)
    const code = res.statusCode
    // statusMessage is undefined until someone sets it, whatever its declared type says.
    const message = res.statusMessage as string | undefined
    const reason =
      message !== undefined && message !== '' ? message : (STATUS_CODES[code] ?? 'Unknown')
    // The real response starts clean: its status line is the wrapper's to choose.
    res.statusMessage = ''
    this.#resolveHead({ status: `${code} ${reason}`, headers })
  }

  /**
   * The whole body, when the chain has already ended a response whose head gives its
   * `Content-Length` (not 0) and every byte of it is here; undefined otherwise, and
   * {@link body} streams it. Taken whole, the body is read at once: the chain's write and end
   * callbacks run now, as they would as the bytes were pulled. A wrapper that gets it as a
   * one-item list sends it with its head, as its host sends a one-chunk body.
   */
  takeWhole(): Uint8Array | undefined {
    const length = this.#length
    if (!this.#ended || this.#closed || length <= 0 || this.#queued !== length) return undefined
    const items = this.#queue.splice(0)
    this.#queued = 0
    this.#closed = true
    const bytes = items.map((item) => item.bytes)
    const whole = bytes.length === 1 ? (bytes[0] ?? EMPTY) : Buffer.concat(bytes, length)
    for (const item of items) item.callback?.()
    const callback = this.#endCallback
    this.#endCallback = undefined
    callback?.()
    this.#maybeDrain()
    return whole
  }

  #push(bytes: Uint8Array, callback: Callback | undefined): void {
    if (this.#closed) {
      // Nobody reads any more (the wrapper answered by itself, or the client left): drop.
      if (callback !== undefined) process.nextTick(callback)
      return
    }
    this.#queue.push({ bytes, callback })
    this.#queued += bytes.length
    this.#signal()
  }

  async #next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      const item = this.#queue.shift()
      if (item !== undefined) {
        this.#queued -= item.bytes.length
        item.callback?.()
        this.#maybeDrain()
        return { done: false, value: item.bytes }
      }
      if (this.#ended || this.#closed) {
        const callback = this.#endCallback
        this.#endCallback = undefined
        callback?.()
        return { done: true, value: undefined }
      }
      await new Promise<void>((resolve) => (this.#wake = resolve))
    }
  }

  #signal(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  #maybeDrain(): void {
    if (this.#needDrain && this.#queued < this.#highWaterMark) {
      this.#needDrain = false
      // Emitted on the response itself, where the writer listens (as pipe() does). The wrapper's
      // own writer may see it too; a spurious 'drain' only makes it try a write that may say
      // false again, so it is harmless.
      this.#res.emit('drain')
    }
  }

  #close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const item of this.#queue.splice(0)) item.callback?.()
    this.#queued = 0
    this.#maybeDrain()
    this.#signal()
  }

  static {
    const of = (res: Captured): ResponseCapture => res[kCapture]
    const value = (fn: (this: Captured, ...args: never[]) => unknown): PropertyDescriptor => ({
      configurable: true,
      writable: true,
      value: fn,
    })
    const get = (fn: (this: Captured) => boolean): PropertyDescriptor => ({
      configurable: true,
      get: fn,
    })
    INSTALLED = [
      [
        'writeHead',
        value(function writeHead(
          this: Captured,
          statusCode: number,
          reason?: string | WriteHeadHeaders,
          headers?: WriteHeadHeaders,
        ) {
          return of(this).#writeHead(statusCode, reason, headers)
        }),
      ],
      [
        'write',
        value(function write(
          this: Captured,
          chunk: unknown,
          encoding?: BufferEncoding | Callback,
          callback?: Callback,
        ) {
          return of(this).#write(chunk, encoding, callback)
        }),
      ],
      [
        'end',
        value(function end(
          this: Captured,
          chunk?: unknown,
          encoding?: BufferEncoding | Callback,
          callback?: Callback,
        ) {
          return of(this).#end(chunk, encoding, callback)
        }),
      ],
      [
        'flushHeaders',
        value(function flushHeaders(this: Captured) {
          of(this).#flushHeaders()
        }),
      ],
      [
        'headersSent',
        get(function headersSent(this: Captured) {
          return of(this).#committed
        }),
      ],
      [
        'writableEnded',
        get(function writableEnded(this: Captured) {
          return of(this).#ended
        }),
      ],
      [
        'writableNeedDrain',
        get(function writableNeedDrain(this: Captured) {
          return of(this).#needDrain
        }),
      ],
    ]
    onResponseClose = function onResponseClose(this: Captured): void {
      // The client went away: nobody will read the captured response any more.
      const capture = of(this)
      if (!capture.#committed) capture.#rejectHead(prematureClose())
      capture.#close()
    }
  }

  /** A view of `res` that reaches the methods and getters as they were before `install()`. */
  #makeTarget(): ServerResponse {
    const res = this.#res
    const bound = new WeakMap<(...args: never[]) => unknown, unknown>()
    const original = (key: PropertyKey): unknown => {
      const own = this.#saved.get(key)
      if (own !== undefined) return 'value' in own ? own.value : own.get?.call(res)
      for (let o = Object.getPrototypeOf(res) as object | null; o !== null;) {
        const d = Object.getOwnPropertyDescriptor(o, key)
        if (d !== undefined) return 'value' in d ? d.value : d.get?.call(res)
        o = Object.getPrototypeOf(o) as object | null
      }
      return undefined
    }
    return new Proxy(res, {
      get: (target, key) => {
        const value: unknown =
          this.#installed && SHADOWED_KEYS.has(key)
            ? original(key)
            : Reflect.get(target, key, target)
        if (typeof value !== 'function') return value
        // Methods run on the real response, never on the proxy, so internal state stays in one place.
        const fn = value as (...args: never[]) => unknown
        let b = bound.get(fn)
        if (b === undefined) bound.set(fn, (b = fn.bind(target)))
        return b
      },
      set: (target, key, value) => Reflect.set(target, key, value, target),
    })
  }
}

/** Apply `writeHead`'s header argument the way Node does: it overrides same-named headers. */
function applyHeaders(res: ServerResponse, headers: WriteHeadHeaders): void {
  if (!Array.isArray(headers)) {
    for (const [name, value] of Object.entries(headers as OutgoingHttpHeaders)) {
      if (value !== undefined) res.setHeader(name, value)
    }
    return
  }
  const pairs: [string, string][] = []
  if (headers.length > 0 && Array.isArray(headers[0])) {
    for (const pair of headers as unknown as readonly [string, string][]) {
      pairs.push([pair[0], pair[1]])
    }
  } else {
    const flat = headers
    for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([String(flat[i]), String(flat[i + 1])])
  }
  for (const [name] of pairs) res.removeHeader(name)
  for (const [name, value] of pairs) res.appendHeader(name, value)
}

function toBytes(chunk: unknown, encoding: BufferEncoding | undefined): Uint8Array {
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding ?? 'utf8')
  if (chunk instanceof Uint8Array) return chunk
  throw Object.assign(
    new TypeError(
      'The "chunk" argument must be of type string or an instance of Buffer or Uint8Array',
    ),
    { code: 'ERR_INVALID_ARG_TYPE' },
  )
}

/** A `Content-Length` value of digits only (a number, or a string) as a number; else -1. */
function decimalOf(value: OutgoingHttpHeader): number {
  const text = Array.isArray(value) ? undefined : String(value)
  return text !== undefined && /^[0-9]{1,15}$/.test(text) ? Number(text) : -1
}

function isNullBodyStatus(code: number): boolean {
  return (code >= 100 && code < 200) || code === 204 || code === 304
}

function headersSentError(): Error {
  return Object.assign(new Error('Cannot write headers after they are sent to the client'), {
    code: 'ERR_HTTP_HEADERS_SENT',
  })
}

function prematureClose(): Error {
  return Object.assign(new Error('The client went away before the response started'), {
    code: 'ERR_STREAM_PREMATURE_CLOSE',
  })
}
