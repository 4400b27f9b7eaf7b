/**
 * Gateway errors in Fastify's logger: what a gateway app writes to `wsgi.errors` becomes log
 * entries of the request (with its request id), not loose lines on stderr; and an app failure
 * whose details the client must not see is logged as the app's own error.
 *
 * @module
 */
import { toError } from '@wsgi/core/errors'
import type { ErrorStream } from '@wsgi/core/types'

/** The part of a pino-style logger used here. */
export interface ErrorLogger {
  error(message: string): void
  error(fields: { readonly code?: string; readonly err?: Error }, message: string): void
}

/**
 * Log an application's error as one entry: the error itself (pino serializes its type, message,
 * stack and `code`), its `code` also as a field of the entry (as {@link LogErrorStream} gives
 * it), and its own message. The same entry Fastify's default error handler writes for an error
 * it is handed, so that a log query finds an app failure alike whether its details were exposed
 * to the client or not.
 */
export function logAppError(log: ErrorLogger, error: unknown): void {
  const err = toError(error)
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') log.error({ err, code }, err.message)
  else log.error({ err }, err.message)
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
