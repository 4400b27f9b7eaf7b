/**
 * `wsgi.errors` over Fastify's logger: what a gateway app writes there becomes log entries of the
 * request (with its request id), not loose lines on stderr.
 *
 * @module
 */
import type { ErrorStream } from '@wsgi/core/types'

/** The part of a pino-style logger used here. */
export interface ErrorLogger {
  error(message: string): void
  error(fields: { readonly code: string }, message: string): void
}

// The first line core's logException() writes: `Name [ERR_WSGI_…]: message`.
const CODE_LINE = /^[\w$.]+ \[(ERR_[A-Z0-9_]+)\]: /

/**
 * An {@link ErrorStream} that logs at `error` level. Text is held until a write ends a line (so a
 * traceback written in one call is one entry) or until `flush()`.
 */
export class LogErrorStream implements ErrorStream {
  readonly #log: ErrorLogger
  #pending = ''

  constructor(log: ErrorLogger) {
    this.#log = log
  }

  write(s: string): void {
    this.#pending += s
    if (this.#pending.endsWith('\n')) this.flush()
  }

  writelines(seq: Iterable<string>): void {
    for (const s of seq) this.write(s)
  }

  flush(): void {
    const text = this.#pending.replace(/\n+$/, '')
    this.#pending = ''
    if (text === '') return
    // The error's code as a field of the entry, so a log query can find it (`code`).
    const code = CODE_LINE.exec(text)?.[1]
    if (code === undefined) this.#log.error(text)
    else this.#log.error({ code }, text)
  }
}
