/**
 * The gateway response headers as the `headers` of a fetch `Response`: what `toFetch` answers
 * with.
 *
 * @module
 */
import { WSGIError, describe } from '@wsgi/core/errors'
import type { Headers as WSGIHeaders } from '@wsgi/core/headers'

import { connectionTokens, isHopByHopHeader } from './hop-by-hop.ts'

// What fetch accepts (RFC 9110 token names; ByteString values), so that a plain record holds
// nothing a `Headers` would refuse.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// eslint-disable-next-line no-control-regex -- the test is for anything a ByteString cannot hold
const NOT_BYTESTRING = /[^\x00-\xff]|[\x00\r\n]/

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09
}

/** The value as a fetch `Headers` stores it: leading and trailing spaces and tabs removed. */
function normalizeValue(value: string): string {
  if (!isWhitespace(value.charCodeAt(0)) && !isWhitespace(value.charCodeAt(value.length - 1)))
    return value
  return value.replace(/^[ \t]+|[ \t]+$/g, '')
}

/**
 * The headers as a fetch `Headers`. Hop-by-hop headers (BaseHandler refuses wsgiref's list;
 * `Trailer`, `Proxy-*` and the names `Connection` lists are dropped here) never cross. Each
 * Set-Cookie is appended on its own, never joined.
 *
 * @throws WSGIError `ERR_WSGI_INVALID_HEADER` for a name or value fetch refuses.
 */
export function responseHeaders(headers: WSGIHeaders | undefined): globalThis.Headers {
  const out = new globalThis.Headers()
  const list = [...(headers ?? [])]
  const listed = connectionTokens(list.find(([n]) => n.toLowerCase() === 'connection')?.[1])
  for (const [name, value] of list) {
    if (isHopByHopHeader(name, listed)) continue
    try {
      out.append(name, value)
    } catch (error) {
      // fetch refuses a name that is no token or a value it cannot hold; say which, with a code.
      throw new WSGIError(
        'ERR_WSGI_INVALID_HEADER',
        `Invalid response header ${describe(name)}: ${describe(value)}`,
        { cause: error },
      )
    }
  }
  return out
}

/**
 * The headers as a `Response` takes them: the same fields as {@link responseHeaders}, as a plain
 * record of lower-case names whenever that says the same (no Set-Cookie given twice, a
 * `Content-Type` given, nothing fetch would refuse), else as a `Headers`.
 *
 * Why: building a `Headers` validates each name and value through WebIDL, and
 * `@hono/node-server` then copies it back into a record for `res.writeHead()`; a record it
 * hands to `res.writeHead()` as it is. (It adds a default `Content-Type` only to a `Headers`,
 * so a response without one keeps taking that path and comes out as before.)
 *
 * @throws WSGIError `ERR_WSGI_INVALID_HEADER` for a name or value fetch refuses.
 */
export function responseHeaderInit(
  headers: WSGIHeaders | undefined,
): Record<string, string> | globalThis.Headers {
  if (headers === undefined) return responseHeaders(headers)
  const record: Record<string, string> = {}
  let typed = false
  for (const entry of headers) {
    const name = entry[0]
    const value = entry[1]
    const lower = name.toLowerCase()
    if (
      lower === 'connection' ||
      lower === '__proto__' ||
      !TOKEN.test(name) ||
      NOT_BYTESTRING.test(value)
    ) {
      return responseHeaders(headers)
    }
    if (isHopByHopHeader(lower)) continue
    const kept = normalizeValue(value)
    if (Object.hasOwn(record, lower)) {
      if (lower === 'set-cookie') return responseHeaders(headers)
      // What a Headers gives for a name appended twice.
      record[lower] = `${record[lower] ?? ''}, ${kept}`
    } else {
      record[lower] = kept
      if (lower === 'content-type') typed = true
    }
  }
  return typed ? record : responseHeaders(headers)
}
