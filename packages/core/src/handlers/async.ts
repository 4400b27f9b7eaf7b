/**
 * The small promise helpers of the handlers' fast paths: the one shared resolved promise, and
 * the tests that let a handler skip a promise when there is nothing to wait for.
 *
 * @module
 */

/**
 * The promise the synchronous fast paths return (`close()` with nothing to close, `run()` of a
 * response sent at once): one shared, already-resolved promise. A subclass may compare a result
 * with it to know that nothing is pending.
 */
export const RESOLVED: Promise<void> = Promise.resolve()

/** True for a promise or any other thenable (an app may return either). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

/** True when `result` has a `close()` to call, or when asking throws (`BaseHandler`'s `#closeResult` meets it). */
export function hasClose(result: unknown): boolean {
  try {
    // A JavaScript app may have returned anything, null included.
    return typeof (result as { close?: unknown } | null)?.close === 'function'
  } catch {
    return true
  }
}

/** A no-op rejection handler. */
export function ignore(): void {
  // A rejection handled elsewhere.
}
