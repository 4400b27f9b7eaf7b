/**
 * `HostHandler`: `BaseHandler` for a host that takes a finished head (a status and a header
 * list) and a body, rather than raw bytes: Node's `res.writeHead()`, Koa's `ctx`, Fastify's
 * `reply`, a fetch `Response`. Node-free: the fetch adapter runs on it in every fetch runtime.
 *
 * `BaseHandler`'s Template Method stays as it is; this class fills in the parts every such host
 * shares, once: the head is sent when the status is final ({@link HostHandler.sendHeaders}), a
 * one-item array body goes out whole with its head (the one-chunk path), and the end of the
 * response is one hook. A host implements the transport hooks only:
 *
 * - `sendHead()`: hand over the finished head (`this.status`, `this.headers`), with the whole body
 *   when {@link HostHandler.wholeBody} is set, with no body when
 *   {@link HostHandler.endsWithHead} says nothing follows, else with a body stream;
 * - `_write(chunk)`: one chunk of a streamed body, settling when the host wants more
 *   (backpressure);
 * - `endResponse(body)`: the response is complete;
 * - `abortOutput(error)`: cut a response whose head went out.
 *
 * @module
 */
import type { ResponseBody } from '../types.ts'
import { BaseHandler, RESOLVED } from './base-handler.ts'

/**
 * A `BaseHandler` whose transport takes a finished head and a body (see the module notes).
 * Subclasses implement `sendHead`, `_write`, `endResponse` and, when they own a connection,
 * `abortOutput`; they do not override `sendHeaders`, `finishResponse` or `finishContent` (a
 * subclass that adds a check before the head overrides `sendHeaders` and calls `super`).
 *
 * @example
 * ```ts
 * class ListHost extends HostHandler {
 *   protected sendHead() { host.head(this.status, this.headers?.items(), this.wholeBody) }
 *   protected _write(data: Uint8Array) { return host.write(data) }
 *   protected endResponse(body: Uint8Array | undefined) { host.end(body) }
 *   getStdin() { return input }
 *   getStderr() { return errors }
 *   addCgiVars() { Object.assign(this.environ!, cgiVars) }
 * }
 * ```
 */
export abstract class HostHandler extends BaseHandler {
  // The head goes out with a complete response (see endsWithHead).
  #finishing = false
  // The body sendWhole() hands over with the head (see wholeBody).
  #whole: Uint8Array | undefined = undefined

  /**
   * Send the status and headers: `cleanupHeaders()`, the body decision, then {@link sendHead}.
   * Nothing counts as sent when the host rejects the head (a header name that is not a token, a
   * status it cannot carry): the app's error then still gets its 500.
   */
  override sendHeaders(): Promise<void> {
    this.cleanupHeaders()
    this.decideBody()
    this.sendHead()
    this.headersSent = true
    return RESOLVED
  }

  /**
   * The app's response, with a fast path for the most common one: a one-item array (see
   * {@link wholeChunk}), sent by {@link sendWhole} with its head.
   */
  override finishResponse(): Promise<void> {
    const result = this.result
    const chunk = this.wholeChunk()
    if (chunk !== undefined && result !== undefined) return this.sendWhole(chunk, result)
    return super.finishResponse()
  }

  /** After the last chunk: the headers if still unsent (with no body), then {@link endResponse}. */
  override async finishContent(): Promise<void> {
    this.#finishing = true
    if (!this.headersSent) {
      try {
        await super.finishContent()
      } catch (error) {
        // The head was refused: the error response that follows has a body of its own.
        this.#finishing = false
        throw error
      }
    }
    this.endResponse(undefined)
  }

  /**
   * Transport hook: hand the finished head to the host (the status and headers are final and
   * checked; `bodyAllowed` says whether body bytes may follow). With {@link wholeBody} set, the
   * head carries that whole body; with {@link endsWithHead} true and no whole body, no body
   * follows; otherwise chunks follow through `_write`. Throw to refuse the head: nothing counts
   * as sent then.
   */
  protected abstract sendHead(): void

  /**
   * Transport hook: the response is complete; end it with `body` (the whole body from
   * {@link sendWhole}, when one may be sent) or with nothing more (after the last chunk).
   */
  protected abstract endResponse(body: Uint8Array | undefined): void

  /** Nothing to do: each host hands a chunk on as `_write` gets it. */
  protected override _flush(): void {
    // Every host here passes a chunk on as it is written; there is no buffer of ours to push.
  }

  /**
   * The only chunk of a response that goes out whole, with its head: set when the result is a
   * one-item array of bytes and the head is unsent. A host overrides it to narrow the fast path
   * (the Fastify adapter wants a Content-Type too); `undefined` sends the body chunk by chunk.
   */
  protected wholeChunk(): Uint8Array | undefined {
    const result = this.result
    if (Array.isArray(result) && result.length === 1 && !this.headersSent && this.headers) {
      const chunk: unknown = (result as unknown[])[0]
      if (chunk instanceof Uint8Array) return chunk
    }
    return undefined
  }

  /**
   * While {@link sendWhole} sends the head: the whole body, for a host that hands the body over
   * with the head (Koa's `ctx.body`, Fastify's `reply.send()`, a `Response`); `undefined`
   * otherwise.
   */
  protected get wholeBody(): Uint8Array | undefined {
    return this.#whole
  }

  /**
   * True once the head goes out with a complete response (a one-chunk body, or the end of a body
   * with no chunk): nothing is written after it, so the head needs no flush of its own.
   */
  protected get endsWithHead(): boolean {
    return this.#finishing
  }

  /**
   * The one-chunk path: the chunk is counted first (so `Content-Length` and the strict length
   * check see the whole body), the head sent with {@link wholeBody} set, then
   * {@link endResponse} with the body. Synchronous as far as it can be: only `close()` (the
   * body's `close()`, the access log) is awaited. On error the body is closed (once) before the
   * error goes on, as in `BaseHandler#finishResponse`.
   */
  protected sendWhole(chunk: Uint8Array, result: ResponseBody): Promise<void> {
    try {
      this.bytesSent = chunk.length
      this.#finishing = true
      this.#whole = chunk
      const sent = this.sendHeaders()
      // A subclass whose sendHeaders() really waits for something gets the general path.
      if (sent !== RESOLVED) return this.#sendWholeLater(sent, chunk, result)
      this.#whole = undefined
      this.endResponse(this.bodyAllowed && chunk.length > 0 ? chunk : undefined)
    } catch (error) {
      return this.#failWhole(error, result)
    }
    return this.close()
  }

  async #sendWholeLater(
    sent: Promise<void>,
    chunk: Uint8Array,
    result: ResponseBody,
  ): Promise<void> {
    try {
      await sent
      this.#whole = undefined
      this.endResponse(this.bodyAllowed && chunk.length > 0 ? chunk : undefined)
    } catch (error) {
      await this.#failWhole(error, result)
    }
    await this.close()
  }

  async #failWhole(error: unknown, result: ResponseBody): Promise<never> {
    // The error response that follows is a response of its own (it may stream).
    this.#whole = undefined
    this.#finishing = false
    this.result = undefined
    await result.close?.()
    throw error
  }
}
