/**
 * Whether a failed read of the request body failed because the connection went away.
 *
 * @module
 */

/** Error codes Node and the streams give a read that failed because the connection went away. */
const RESET_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ERR_STREAM_PREMATURE_CLOSE',
])

/** True for a reset, abort or premature-close error, and for an `AbortError`. */
export function isConnectionReset(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return (
    (typeof code === 'string' && RESET_CODES.has(code)) ||
    (error as { name?: unknown } | null)?.name === 'AbortError'
  )
}
