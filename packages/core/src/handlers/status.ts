/**
 * The response status as a handler checks it: the status line rules of wsgiref's
 * `start_response`, its three-digit code, and which codes carry a body.
 *
 * @module
 */
import { WSGIError, describeJS } from '../errors.ts'
import type { Status } from '../types.ts'

/** The final status codes a handler that writes its own status line can send. */
export const FINAL_STATUS_RANGE: readonly [number, number] = [200, 599]

/** Status codes whose responses never carry a body (RFC 9110 §6.4.1). */
export function isNullBodyStatus(code: number): boolean {
  return (code >= 100 && code < 200) || code === 204 || code === 205 || code === 304
}

/** The three-digit code at the start of a status line; NaN without one. */
export function statusCode(s: string | undefined): number {
  // Runs for every response: plain arithmetic instead of slice() + parseInt().
  if (s === undefined || s.length < 3) return NaN
  const a = s.charCodeAt(0) - 48
  const b = s.charCodeAt(1) - 48
  const c = s.charCodeAt(2) - 48
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 && c >= 0 && c <= 9 ? a * 100 + b * 10 + c : NaN
}

/**
 * Check a status line as wsgiref's `start_response` does (and gh-144370's control characters).
 *
 * @throws WSGIError `ERR_WSGI_INVALID_STATUS`
 */
export function checkStatus(status: unknown): asserts status is Status {
  if (typeof status !== 'string') {
    throw new WSGIError(
      'ERR_WSGI_INVALID_STATUS',
      `Status must be a string such as '200 OK' (got ${describeJS(status)})`,
    )
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is rejected
  if (/[\x00-\x1f\x7f]/.test(status)) {
    throw new WSGIError('ERR_WSGI_INVALID_STATUS', 'Control characters are not allowed in status')
  }
  if (status.length < 4) {
    throw new WSGIError('ERR_WSGI_INVALID_STATUS', 'Status must be at least 4 characters')
  }
  if (!/^[0-9]{3}/.test(status)) {
    throw new WSGIError('ERR_WSGI_INVALID_STATUS', 'Status message must begin w/3-digit code')
  }
  if (status[3] !== ' ') {
    throw new WSGIError('ERR_WSGI_INVALID_STATUS', 'Status message must have a space after code')
  }
}
