/**
 * What `TestClient` gives back: a {@link TestResponse} holding the whole body, or a
 * {@link StreamingTestResponse} whose body is read chunk by chunk. Node-free.
 *
 * @module
 */
import { Headers } from '../headers.ts'
import type { HeaderList, WSGIEnvironment } from '../types.ts'
import type { StringErrorStream } from '../_internal/error-stream.ts'
import { concatBytes } from '../_internal/bytes.ts'
import type { ChannelSink } from './handler.ts'

const decoder = new TextDecoder()

/** What both kinds of response know once the headers went out. */
export interface ResponseHead {
  readonly status: string
  readonly headers: HeaderList
  /** The environ the application received (after the application changed it). */
  readonly environ: WSGIEnvironment
  /** The URL the request went to. */
  readonly url: string
  readonly errors: StringErrorStream
  /** The trailers given to `wsgits.add_trailers` (filled as the body ends). */
  readonly trailers: HeaderList
  /** The redirect responses followed on the way here, oldest first. */
  readonly history: readonly TestResponse[]
}

/** The status code of a status line (`'404 Not Found'` gives 404). */
function codeOf(status: string): number {
  return Number.parseInt(status.slice(0, 3), 10)
}

/**
 * A whole response: status, headers and every byte of the body.
 *
 * @example
 * ```ts
 * const res = await new TestClient(app).get('/hello')
 * res.statusCode // 200
 * res.headers.get('Content-Type') // 'text/plain'
 * res.text() // 'Hello, world!'
 * ```
 */
export class TestResponse {
  /** The status line, `'200 OK'`. */
  readonly status: string
  /** The status code, `200`. */
  readonly statusCode: number
  /** The response headers, in order, duplicates kept (every `Set-Cookie`). */
  readonly headers: Headers
  /** The body; empty for `HEAD` and for 1xx, 204, 205 and 304 responses. */
  readonly body: Uint8Array
  /** The trailers the application gave to `wsgits.add_trailers`. */
  readonly trailers: Headers
  /** What was written to `wsgi.errors` during the request (logged errors included). */
  readonly errors: string
  /** The environ the application received (after the application changed it). */
  readonly environ: WSGIEnvironment
  /** The URL of the request that gave this response. */
  readonly url: string
  /** The redirect responses followed on the way here, oldest first. */
  readonly history: readonly TestResponse[]

  constructor(head: ResponseHead, body: Uint8Array) {
    this.status = head.status
    this.statusCode = codeOf(head.status)
    this.headers = new Headers(head.headers)
    this.body = body
    this.trailers = new Headers(head.trailers)
    this.errors = head.errors.getValue()
    this.environ = head.environ
    this.url = head.url
    this.history = head.history
  }

  /** The body decoded as UTF-8 (malformed bytes become U+FFFD). */
  text(): string {
    return decoder.decode(this.body)
  }

  /**
   * The body parsed as JSON.
   *
   * @throws SyntaxError when the body is not JSON.
   */
  json(): unknown {
    return JSON.parse(this.text())
  }
}

/** How a {@link StreamingTestResponse} reaches the request that feeds it. */
export interface StreamControl {
  readonly channel: ChannelSink
  /** Settles when the handler finished (it never rejects; the error goes to the channel). */
  readonly settled: Promise<void>
  /** True once the handler finished. */
  readonly isSettled: () => boolean
  /** Fires `wsgits.signal`: the client went away early. */
  readonly abort: () => void
}

/**
 * A response whose body is read as it is produced: iterate it with `for await`, and `close()` it
 * (a `break` out of the loop does) to stop early. The application's body is closed exactly once,
 * when it ends or when the response is closed; an early close also fires `wsgits.signal`.
 *
 * @example
 * ```ts
 * const res = await client.stream('GET', '/events')
 * for await (const chunk of res) {
 *   if (new TextDecoder().decode(chunk).includes('ready')) break // closes the body
 * }
 * ```
 */
export class StreamingTestResponse implements AsyncIterable<Uint8Array> {
  /** The status line, `'200 OK'`. */
  readonly status: string
  /** The status code, `200`. */
  readonly statusCode: number
  /** The response headers. */
  readonly headers: Headers
  /** The environ the application received. */
  readonly environ: WSGIEnvironment
  /** The URL of the request. */
  readonly url: string
  /** The redirect responses followed on the way here, oldest first. */
  readonly history: readonly TestResponse[]
  readonly #head: ResponseHead
  readonly #control: StreamControl
  #closing: Promise<void> | undefined = undefined

  constructor(head: ResponseHead, control: StreamControl) {
    this.status = head.status
    this.statusCode = codeOf(head.status)
    this.headers = new Headers(head.headers)
    this.environ = head.environ
    this.url = head.url
    this.history = head.history
    this.#head = head
    this.#control = control
  }

  /** The trailers given so far to `wsgits.add_trailers` (complete once the body ended). */
  get trailers(): Headers {
    return new Headers(this.#head.trailers.slice())
  }

  /** What was written to `wsgi.errors` so far. */
  get errors(): string {
    return this.#head.errors.getValue()
  }

  /** The chunks of the body, each as the application produced it. One reader only. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array, undefined> {
    return {
      next: () => this.#control.channel.next(),
      return: async () => {
        await this.close()
        return { done: true, value: undefined }
      },
    }
  }

  /** The rest of the body as one array (it ends the response). */
  async bytes(): Promise<Uint8Array> {
    const chunks: Uint8Array[] = []
    for await (const chunk of this) chunks.push(chunk)
    return concatBytes(chunks)
  }

  /** The rest of the body decoded as UTF-8. */
  async text(): Promise<string> {
    return decoder.decode(await this.bytes())
  }

  /**
   * Stop reading: the chunk in flight fails as a write to a gone client would, the body's
   * `close()` runs, and the promise settles once the handler finished. When the body had not
   * ended yet, `wsgits.signal` fires first. Calling it again returns the same promise.
   *
   * An application that waits for its next chunk without watching `wsgits.signal` keeps the
   * promise pending until it produces that chunk (a real server would wait the same way).
   *
   * @throws the application's error, if it failed and no read reported it yet.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    const control = this.#control
    if (!control.isSettled()) control.abort()
    control.channel.close()
    await control.settled
    const error = control.channel.takeError()
    if (error !== undefined) throw error.value
  }
}
