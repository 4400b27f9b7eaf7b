/**
 * The body of the `Response` that `toFetch` returns: a `ReadableStream` the gateway application
 * writes into, at the pace its consumer reads.
 *
 * @module
 */

/** Thrown into a writer whose consumer cancelled the stream: the client went away. */
export class ConsumerGoneError extends Error {
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE'

  constructor(reason?: unknown) {
    super('The consumer cancelled the response body', { cause: reason })
  }

  override get name(): string {
    return 'ConsumerGoneError'
  }
}

/**
 * A pull-driven byte stream with a promise-returning `write()`.
 *
 * The high-water mark is 0: a chunk goes straight to a waiting reader, and `write()` does not
 * settle until the consumer asks for the next one (`pull()`), so the producer runs exactly as fast
 * as the consumer reads and at most one chunk waits in the queue. Nothing is ever buffered whole.
 *
 * A runtime's own reader may react inside `controller.enqueue()` itself (Deno's does: it writes
 * the chunk to the connection there and then, and reads again or cancels the stream on the
 * spot), so a pull or a cancel that happened during the enqueue is seen before waiting, and a
 * cancel runs its callback synchronously: it is the last thing some runtimes run for the
 * request (workerd never fires the timers of a cancelled request).
 */
export class ResponseStream {
  readonly stream: ReadableStream<Uint8Array>
  #controller!: ReadableStreamDefaultController<Uint8Array>
  #resume: (() => void) | undefined
  // The consumer asked for a chunk since the last enqueue (possibly inside it).
  #pulled = false
  #gone: ConsumerGoneError | undefined
  #done = false
  #onCancel: (reason: unknown) => void

  /** `onCancel` runs once when the consumer cancels the stream before it ended. */
  constructor(onCancel: (reason: unknown) => void) {
    this.#onCancel = onCancel
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller
        },
        pull: () => {
          this.#pulled = true
          this.#wake()
        },
        cancel: (reason) => {
          if (this.#done) return
          this.#done = true
          this.#gone = new ConsumerGoneError(reason)
          this.#wake()
          this.#onCancel(reason)
        },
      },
      { highWaterMark: 0 },
    )
  }

  /** True once the consumer cancelled the stream. */
  get cancelled(): boolean {
    return this.#gone !== undefined
  }

  /**
   * Enqueue `data`; settles when the consumer wants more.
   *
   * @throws ConsumerGoneError once the consumer cancelled the stream (code
   *   `ERR_STREAM_PREMATURE_CLOSE`, which `BaseHandler` takes for a client disconnect).
   */
  async write(data: Uint8Array): Promise<void> {
    this.#throwIfGone()
    if (this.#done) return
    this.#pulled = false
    try {
      this.#controller.enqueue(data)
    } catch (error) {
      // A stream cancelled by other means than our cancel() (a runtime closing it outright).
      this.#throwIfGone()
      throw error
    }
    // The consumer may have cancelled, or asked for more, inside enqueue() itself.
    this.#throwIfGone()
    if (this.#wantsMore()) return
    await new Promise<void>((resolve) => {
      this.#resume = resolve
    })
    // The consumer may have cancelled while this write waited for it.
    this.#throwIfGone()
  }

  /** End the stream normally (queued chunks stay readable). */
  close(): void {
    if (this.#done) return
    this.#done = true
    this.#controller.close()
  }

  /** End the stream with an error: the consumer's read rejects, so the transport is cut. */
  error(reason: unknown): void {
    if (this.#done) return
    this.#done = true
    this.#controller.error(reason)
    this.#wake()
  }

  /** True when the consumer asked for another chunk already (a read made inside enqueue()). */
  #wantsMore(): boolean {
    return this.#pulled || (this.#controller.desiredSize ?? 0) > 0
  }

  #throwIfGone(): void {
    if (this.#gone !== undefined) throw this.#gone
  }

  #wake(): void {
    const resume = this.#resume
    this.#resume = undefined
    resume?.()
  }
}
