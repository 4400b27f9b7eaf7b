/**
 * The `Content-Length` rule of `strictResponse`: the length a response declares, and the check of
 * the body bytes counted against it.
 *
 * @module
 */
import { WSGIError, describeJS } from '../errors.ts'
import type { Headers } from '../headers.ts'

/**
 * Declared `Content-Length` of a response: undefined without one; its value when every copy is
 * the same decimal number. (A loop over the list, not `getAll()`: this runs for every response.)
 *
 * @throws WSGIError `ERR_WSGI_CONTENT_LENGTH_MISMATCH` for a value that is not a decimal number,
 *   or copies that disagree (RFC 9110 section 8.6: the recipient could not know the body's end).
 */
export function declaredLength(headers: Headers | undefined): number | undefined {
  if (headers === undefined) return undefined
  let length: number | undefined
  for (const [name, value] of headers) {
    if (name.length !== 14 || name.toLowerCase() !== 'content-length') continue
    const digits = value.trim()
    if (!/^[0-9]{1,15}$/.test(digits)) {
      throw new WSGIError(
        'ERR_WSGI_CONTENT_LENGTH_MISMATCH',
        `Content-Length must be a non-negative decimal integer (got ${describeJS(value)})`,
      )
    }
    const n = Number(digits)
    if (length !== undefined && n !== length) {
      throw new WSGIError(
        'ERR_WSGI_CONTENT_LENGTH_MISMATCH',
        `Content-Length is given twice with different values (${length} and ${n})`,
      )
    }
    length = n
  }
  return length
}

/**
 * The body bytes counted so far (`sent`) against the declared `Content-Length`: never more, and
 * (once the body is `complete`) exactly as many.
 *
 * @throws WSGIError `ERR_WSGI_CONTENT_LENGTH_MISMATCH`
 */
export function checkLength(declared: number | undefined, sent: number, complete: boolean): void {
  if (declared === undefined) return
  if (sent > declared || (complete && sent < declared)) {
    throw new WSGIError(
      'ERR_WSGI_CONTENT_LENGTH_MISMATCH',
      sent > declared
        ? `The response body is longer than its Content-Length (${sent} > ${declared} bytes)`
        : `The response body ended before its Content-Length (${sent} < ${declared} bytes)`,
    )
  }
}

/**
 * True when the `sent` bytes counted so far are the whole body of `result`: the single chunk of a
 * one-item array.
 */
export function wholeBodyKnown(result: unknown, sent: number): boolean {
  if (!Array.isArray(result) || result.length !== 1 || Object.hasOwn(result, Symbol.iterator)) {
    return false
  }
  const only: unknown = result[0]
  return only instanceof Uint8Array && only.length === sent
}
