/**
 * The execution context `fromFetch` hands a fetch handler when the gateway request brought none
 * (it was not served by `toFetch` on Workers, Bun or Deno).
 *
 * @module
 */
import type { ErrorStream } from '@wsgi/core/types'

import type { ExecutionContextLike } from '../types.ts'

// Promises given to waitUntil() stay referenced here until they settle, so the work they stand
// for is not dropped with the request: the same promise that Workers makes for waitUntil().
const pending = new Set<Promise<unknown>>()

/**
 * A minimal execution context: `waitUntil(promise)` keeps the promise alive and writes a
 * rejection to `wsgi.errors`; `passThroughOnException()` does nothing, as there is no origin
 * behind a gateway application to fall through to.
 */
export function defaultExecutionContext(errors: ErrorStream): ExecutionContextLike {
  return {
    waitUntil(promise: Promise<unknown>): void {
      const tracked = Promise.resolve(promise).then(
        () => undefined,
        (error: unknown) => {
          const text = error instanceof Error ? (error.stack ?? String(error)) : String(error)
          errors.write(`A waitUntil() promise rejected: ${text}\n`)
          errors.flush()
        },
      )
      pending.add(tracked)
      void tracked.finally(() => pending.delete(tracked))
    },
    passThroughOnException(): void {
      // Nothing to pass through to: a handler error reaches the server's 500 path either way.
    },
  }
}
