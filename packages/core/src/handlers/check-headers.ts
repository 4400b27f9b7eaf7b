/**
 * The checks `startResponse` makes of the response headers at the call, the same on every host
 * (Node's server, Express, Koa, Fastify, fetch), so that a bad header fails where the app made
 * it, with a documented code, and not later as Node's `ERR_INVALID_CHAR` or a fetch
 * `TypeError`.
 *
 * wsgiref's `start_response` asserts that names and values are `str`; the control characters
 * are gh-143916's rule (as `Headers` has it), and latin-1 is what `send_preamble` would fail on
 * when it encodes the head.
 *
 * @module
 */

import { WSGIError, describe, describeJS } from '../errors.ts'

// The fast path: one test per string. Names: no C0 control, no DEL; values: HTAB allowed.
// Either: nothing above U+00FF.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is rejected
const NAME_BAD = /[\x00-\x1f\x7f]|[^\x00-\xff]/
// eslint-disable-next-line no-control-regex -- control characters are exactly what is rejected
const VALUE_BAD = /[\x00-\x08\x0a-\x1f\x7f]|[^\x00-\xff]/

function codePoint(s: string, index: number): string {
  const cp = s.codePointAt(index) ?? 0
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`
}

// `name` is the header's name as the app gave it, described only when a message is built: the
// check runs on every header of every response, and the happy path must not format anything.
function checkString(value: unknown, what: 'name' | 'value', name: unknown): void {
  if (typeof value !== 'string') {
    throw new WSGIError(
      'ERR_WSGI_INVALID_HEADER',
      what === 'name'
        ? `Header name must be a string (got ${describeJS(value)})`
        : `Header ${describeJS(name)} value must be a string (got ${describeJS(value)})`,
    )
  }
  const bad = (what === 'name' ? NAME_BAD : VALUE_BAD).exec(value)
  if (bad === null) return
  const label =
    what === 'name' ? `Header name ${describe(value)}` : `Header ${describeJS(name)} value`
  const at = `${codePoint(value, bad.index)} at index ${bad.index}`
  if (value.charCodeAt(bad.index) > 0xff) {
    throw new WSGIError(
      'ERR_WSGI_NOT_LATIN1',
      `${label} holds ${at}, above U+00FF: header strings are latin-1 (percent-encode or ` +
        'RFC 8187-encode other text)',
    )
  }
  throw new WSGIError(
    'ERR_WSGI_INVALID_HEADER',
    `${label} holds the control character ${at}: CR, LF, NUL and the others are not allowed` +
      (what === 'value' ? ' (HTAB is)' : ''),
  )
}

/**
 * Checks every `[name, value]` pair of a response header list: both strings, no control
 * characters (HTAB allowed in values), nothing above U+00FF. A list that is not an array of
 * pairs is left to `Headers`, which refuses it.
 *
 * @returns true when the list is an array of pairs and every pair passed (what `Headers` checks
 *   is then checked already); false for a list left to `Headers`.
 * @throws WSGIError `ERR_WSGI_INVALID_HEADER` for a name or value that is not a string or holds a
 *   control character; `ERR_WSGI_NOT_LATIN1` for a character above U+00FF.
 */
export function checkHeaderList(headers: unknown): boolean {
  if (!Array.isArray(headers)) return false
  for (const item of headers as unknown[]) {
    if (!Array.isArray(item) || item.length !== 2) return false
    const [name, value] = item as [unknown, unknown]
    checkString(name, 'name', name)
    checkString(value, 'value', name)
  }
  return true
}
