/**
 * The bytes of a request body that Koa middleware read and kept. Whether the body was read at
 * all, and what `wsgi.input` then serves, is core's one rule (`bodySource` of
 * `@wsgi/core/node`); this module only knows where Koa's body parsers leave the bytes:
 * koa-bodyparser keeps the text it parsed in `ctx.request.rawBody`, koa-body may keep it under
 * a symbol of the parsed body.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'

import { bodySource as coreBodySource } from '@wsgi/core/node'
import type { BodySource } from '@wsgi/core/node'

/** The request fields body parsers leave behind. */
export interface ParsedRequest {
  readonly req: IncomingMessage
  /** Koa's request: koa-bodyparser sets `body` and `rawBody`, koa-body may keep the raw text. */
  readonly request: { body?: unknown; rawBody?: unknown }
}

/** How to keep the bytes, ending the `ERR_WSGI_BODY_ALREADY_READ` message. */
export const KOA_ADVICE: string =
  'Koa middleware (a body parser?) read it and kept no bytes; mount the app before the parser'

// koa-body's `includeUnparsed: true` keeps the raw text under this symbol of the parsed body.
const kUnparsedBody = Symbol.for('unparsedBody')

function asBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value
  // co-body (behind koa-bodyparser and koa-body) always decodes as UTF-8, whatever the charset.
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  return undefined
}

function keptBytes(ctx: ParsedRequest): Uint8Array | undefined {
  const body = ctx.request.body
  return (
    asBytes(ctx.request.rawBody) ??
    asBytes((ctx.req as { rawBody?: unknown }).rawBody) ??
    asBytes(body) ??
    (typeof body === 'object' && body !== null
      ? asBytes((body as Record<symbol, unknown>)[kUnparsedBody])
      : undefined)
  )
}

/** Where the body of a Koa request comes from: core's rule with Koa's kept bytes. */
export function bodySource(ctx: ParsedRequest): BodySource {
  return coreBodySource(ctx.req, () => keptBytes(ctx))
}
