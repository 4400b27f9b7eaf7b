/**
 * The text a handler writes: the RFC 1123 date of HTTP headers (`formatDateTime`, wsgiref's
 * `format_date_time`) and the error report `logException` writes to `wsgi.errors`.
 *
 * @see {@link https://docs.python.org/3/library/wsgiref.html#wsgiref.handlers.BaseHandler wsgiref.handlers.BaseHandler}
 * @module
 */
import { toError } from '../errors.ts'

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
// The last date formatDateTime() made, by its second.
let lastSeconds = NaN
let lastDate = ''

/**
 * An RFC 1123 date in GMT, as HTTP headers want it.
 *
 * @param timestamp - seconds since the epoch (Python's `time.time()` unit); defaults to now
 * @example
 * ```ts
 * formatDateTime(0) // 'Thu, 01 Jan 1970 00:00:00 GMT'
 * ```
 */
export function formatDateTime(timestamp: number = Date.now() / 1000): string {
  const seconds = Math.floor(timestamp)
  // Servers ask for "now" on every response, and it only changes once a second.
  if (seconds === lastSeconds) return lastDate
  const d = new Date(seconds * 1000)
  const two = (n: number): string => String(n).padStart(2, '0')
  const text =
    `${DAYS[d.getUTCDay()] ?? ''}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()] ?? ''} ` +
    `${String(d.getUTCFullYear()).padStart(4, '0')} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} GMT`
  lastSeconds = seconds
  lastDate = text
  return text
}

/**
 * `String(error)`, with the error's `code` in Node's format (`TypeError [ERR_X]: message`) when
 * the text does not show it already (a `TypeError` made by `invalidArgType`, say).
 */
function errorLine(error: Error): string {
  const text = String(error)
  const code = (error as { code?: unknown }).code
  if (typeof code !== 'string' || text.includes(`[${code}]`)) return text
  const prefix = `${error.name}: `
  return text.startsWith(prefix)
    ? `${error.name} [${code}]: ${text.slice(prefix.length)}`
    : `${text} [${code}]`
}

/**
 * The text `logException` writes: `Name [CODE]: message`, the stack frames (at most `limit`),
 * and each `cause` in turn. Never sent to a client.
 */
export function formatException(error: unknown, limit?: number): string {
  const lines: string[] = []
  let current: unknown = error
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    const err = toError(current)
    lines.push(`${depth === 0 ? '' : 'Caused by: '}${errorLine(err)}`)
    const frames = (err.stack ?? '').split('\n').filter((l) => l.startsWith('    at '))
    lines.push(...(limit === undefined ? frames : frames.slice(0, limit)))
    // A thrown non-error is wrapped by toError() with itself as the cause: that is the end of
    // the chain, not a new link (following it would print the same value over and over).
    current = err === current ? err.cause : undefined
  }
  return `${lines.join('\n')}\n`
}
