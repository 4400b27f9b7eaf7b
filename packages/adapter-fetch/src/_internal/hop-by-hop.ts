/**
 * Hop-by-hop header detection for both directions of the fetch bridge.
 *
 * Wider than `isHopByHop` of `@wsgi/core/util` (wsgiref's list, which even spells `trailers`):
 * at a fetch boundary every connection-level header is dropped, so core's check is extended with
 * `Trailer`, all `Proxy-*` and every name that `Connection` itself lists.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9110#section-7.6.1 RFC 9110, Connection}
 * @module
 */
import { isHopByHop } from '@wsgi/core/util'

/** The lower-cased names a `Connection` header value lists (`close` and `keep-alive` included). */
export function connectionTokens(value: string | null | undefined): Set<string> {
  const tokens = new Set<string>()
  if (value == null) return tokens
  for (const part of value.split(',')) {
    const token = part.trim().toLowerCase()
    if (token !== '') tokens.add(token)
  }
  return tokens
}

/**
 * The names a `Connection` header value lists beyond the hop-by-hop ones every message drops:
 * undefined for none (the usual `keep-alive` or `close`), which saves building a set.
 */
export function connectionListed(value: string | null | undefined): Set<string> | undefined {
  if (value == null) return undefined
  const lower = value.toLowerCase()
  // `close` names no header, `keep-alive` one that is hop-by-hop anyway.
  if (lower === 'keep-alive' || lower === 'close') return undefined
  return connectionTokens(value)
}

/**
 * True when `name` must not cross the boundary: a hop-by-hop header, any `Proxy-*`, or a name
 * listed in the message's own `Connection` header (`listed`, lower-cased).
 */
export function isHopByHopHeader(name: string, listed?: ReadonlySet<string>): boolean {
  const lower = name.toLowerCase()
  return (
    isHopByHop(lower) ||
    lower === 'trailer' ||
    lower.startsWith('proxy-') ||
    listed?.has(lower) === true
  )
}
