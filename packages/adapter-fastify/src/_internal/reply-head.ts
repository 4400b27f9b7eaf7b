/**
 * Put a gateway status and header list on a Fastify reply.
 *
 * @module
 */
import { STATUS_CODES } from 'node:http'

import type { FastifyReply } from 'fastify'

/** Merge the tokens of two `Vary` values (`*` wins). */
export function mergeVary(before: string, after: string): string {
  const tokens = new Map<string, string>()
  for (const token of `${before},${after}`.split(',')) {
    const trimmed = token.trim()
    if (trimmed === '*') return '*'
    if (trimmed !== '') tokens.set(trimmed.toLowerCase(), trimmed)
  }
  return [...tokens.values()].join(', ')
}

/**
 * Set `code`, `reason` and `headers` (grouped by lower-case name) on `reply`.
 *
 * With `replace`, every header already on the reply is removed first (the gateway response *is*
 * the whole response). Without it, the app's headers replace same-named ones that hooks set,
 * except `Set-Cookie`, which Fastify appends, and `Vary`, whose tokens are merged (CORS adds
 * `Origin` in a hook; a cache must still see it).
 */
export function setReplyHead(
  reply: FastifyReply,
  code: number,
  reason: string,
  headers: ReadonlyMap<string, readonly string[]>,
  replace: boolean,
): void {
  if (replace) {
    for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name)
  }
  reply.code(code)
  const raw = reply.raw
  const custom = reason !== STATUS_CODES[code]
  // Node fills in the standard phrase for an empty one, so only a custom phrase is kept (or an
  // earlier one cleared). HTTP/2 has no reason phrase, and warns when one is set.
  if (reply.request.raw.httpVersionMajor < 2 && (custom || Boolean(raw.statusMessage))) {
    raw.statusMessage = custom ? reason : ''
  }
  for (const [name, values] of headers) {
    if (name === 'set-cookie') {
      reply.header(name, [...values])
    } else if (name === 'vary' && reply.hasHeader('vary')) {
      reply.header(name, mergeVary(String(reply.getHeader('vary')), values.join(',')))
    } else {
      reply.header(name, values.length === 1 ? values[0] : [...values])
    }
  }
}
