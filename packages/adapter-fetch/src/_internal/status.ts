/**
 * Status codes across the fetch boundary: the reason phrase for a `Response` whose `statusText`
 * is empty (the default for `new Response(body, { status })`, and what HTTP/2 peers always
 * give), and which gateway statuses a `Response` can hold at all.
 *
 * The phrases are Node's (`STATUS_CODES` of `node:http`, which this Node-free module cannot
 * import; a test keeps the copy equal): a framework served by `@hono/node-server` answers with
 * `res.writeHead(status)`, so Node's phrase is what its clients see (`418 I'm a Teapot`).
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9110#section-15 RFC 9110, section 15}
 * @see {@link https://www.iana.org/assignments/http-status-codes IANA status code registry}
 * @module
 */
import { WSGIError, describe } from '@wsgi/core/errors'

const REASON_PHRASES: ReadonlyMap<number, string> = new Map([
  [100, 'Continue'],
  [101, 'Switching Protocols'],
  [102, 'Processing'],
  [103, 'Early Hints'],
  [200, 'OK'],
  [201, 'Created'],
  [202, 'Accepted'],
  [203, 'Non-Authoritative Information'],
  [204, 'No Content'],
  [205, 'Reset Content'],
  [206, 'Partial Content'],
  [207, 'Multi-Status'],
  [208, 'Already Reported'],
  [226, 'IM Used'],
  [300, 'Multiple Choices'],
  [301, 'Moved Permanently'],
  [302, 'Found'],
  [303, 'See Other'],
  [304, 'Not Modified'],
  [305, 'Use Proxy'],
  [307, 'Temporary Redirect'],
  [308, 'Permanent Redirect'],
  [400, 'Bad Request'],
  [401, 'Unauthorized'],
  [402, 'Payment Required'],
  [403, 'Forbidden'],
  [404, 'Not Found'],
  [405, 'Method Not Allowed'],
  [406, 'Not Acceptable'],
  [407, 'Proxy Authentication Required'],
  [408, 'Request Timeout'],
  [409, 'Conflict'],
  [410, 'Gone'],
  [411, 'Length Required'],
  [412, 'Precondition Failed'],
  [413, 'Payload Too Large'],
  [414, 'URI Too Long'],
  [415, 'Unsupported Media Type'],
  [416, 'Range Not Satisfiable'],
  [417, 'Expectation Failed'],
  [418, "I'm a Teapot"],
  [421, 'Misdirected Request'],
  [422, 'Unprocessable Entity'],
  [423, 'Locked'],
  [424, 'Failed Dependency'],
  [425, 'Too Early'],
  [426, 'Upgrade Required'],
  [428, 'Precondition Required'],
  [429, 'Too Many Requests'],
  [431, 'Request Header Fields Too Large'],
  [451, 'Unavailable For Legal Reasons'],
  [500, 'Internal Server Error'],
  [501, 'Not Implemented'],
  [502, 'Bad Gateway'],
  [503, 'Service Unavailable'],
  [504, 'Gateway Timeout'],
  [505, 'HTTP Version Not Supported'],
  [506, 'Variant Also Negotiates'],
  [507, 'Insufficient Storage'],
  [508, 'Loop Detected'],
  [509, 'Bandwidth Limit Exceeded'],
  [510, 'Not Extended'],
  [511, 'Network Authentication Required'],
])

/** Node's reason phrase of `status`, or `'unknown'` (as Node writes it) for any other code. */
export function reasonPhrase(status: number): string {
  return REASON_PHRASES.get(status) ?? 'unknown'
}

/**
 * The code of the gateway status line `'418 I'm a teapot'`, for a `Response`.
 *
 * @throws WSGIError `ERR_WSGI_INVALID_STATUS` for a code a `Response` cannot hold (anything
 *   outside 200 to 599: a final 1xx such as 101, or 600 to 999, which PEP 3333 allows), with the
 *   reason, so that the answer is a logged 500 rather than a bare `RangeError`.
 */
export function responseStatusCode(line: string): number {
  const status = Number.parseInt(line.slice(0, 3), 10)
  if (!(status >= 200 && status <= 599)) {
    throw new WSGIError(
      'ERR_WSGI_INVALID_STATUS',
      `A fetch Response cannot carry the status ${describe(line)}: its code must be from 200 to ` +
        '599 (see "Deliberate differences" in the @wsgi/adapter-fetch README)',
    )
  }
  return status
}

/**
 * Statuses whose responses never carry content (RFC 9110 sections 15.2, 15.3.5, 15.3.6, 15.4.5),
 * so a fetch `Response` for them must have a null body and a gateway body for them stays empty.
 */
export function isNullBodyStatus(status: number): boolean {
  return status === 101 || status === 204 || status === 205 || status === 304
}
