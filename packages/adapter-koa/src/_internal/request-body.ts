/**
 * Did Koa middleware read the request body before the gateway app ran? And if so, are its bytes
 * still known? (bridge-pitfalls A1: never wait on a drained stream.)
 *
 * koa-bodyparser reads the whole body and keeps the text it parsed in `ctx.request.rawBody`; that
 * text is offered again as `wsgi.input` (core's `InputReader.fromBytes`). A body that is gone for
 * good makes every read of `wsgi.input` fail with `ERR_WSGI_BODY_ALREADY_READ` at once: never a
 * hang.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'

import { WSGIError } from '@wsgi/core/errors'
import type { InputStream } from '@wsgi/core/types'

/** What `wsgi.input` should serve. */
export type BodySource =
  | { readonly kind: 'stream' }
  | { readonly kind: 'replay'; readonly bytes: Uint8Array }
  | { readonly kind: 'consumed' }

/** The request fields body parsers leave behind. */
export interface ParsedRequest {
  readonly req: IncomingMessage & { rawBody?: unknown }
  /** Koa's request: koa-bodyparser sets `body` and `rawBody`, koa-body may keep the raw text. */
  readonly request: { body?: unknown; rawBody?: unknown }
}

const EMPTY = new Uint8Array(0)
// koa-body's `includeUnparsed: true` keeps the raw text under this symbol of the parsed body.
const kUnparsedBody = Symbol.for('unparsedBody')

function asBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value
  // co-body (behind koa-bodyparser and koa-body) always decodes as UTF-8, whatever the charset.
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  return undefined
}

function keptBytes(ctx: ParsedRequest): Uint8Array | undefined {
  const { request, req } = ctx
  const body = request.body
  return (
    asBytes(request.rawBody) ??
    asBytes(req.rawBody) ??
    asBytes(body) ??
    (typeof body === 'object' && body !== null
      ? asBytes((body as Record<symbol, unknown>)[kUnparsedBody])
      : undefined)
  )
}

function expectsBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  if (length !== undefined) return length !== '0'
  return req.headers['transfer-encoding'] !== undefined
}

/**
 * Decide where the body comes from. The stream counts as read once it ended or anyone pulled
 * data from it (`readableDidRead`): a partly read body cannot be offered whole again.
 */
export function bodySource(ctx: ParsedRequest): BodySource {
  const req = ctx.req
  if (!req.readableEnded && !req.readableDidRead) return { kind: 'stream' }
  const bytes = keptBytes(ctx)
  if (bytes !== undefined) return { kind: 'replay', bytes }
  // Nothing was lost when there was nothing to read (a GET whose stream was resumed).
  if (!expectsBody(req)) return { kind: 'replay', bytes: EMPTY }
  return { kind: 'consumed' }
}

function alreadyRead(): WSGIError {
  return new WSGIError(
    'ERR_WSGI_BODY_ALREADY_READ',
    'The request body was already read by Koa middleware (a body parser?) and its bytes were not kept',
  )
}

/** `wsgi.input` for a body that is gone: every read fails at once, none hangs. */
export class ConsumedInput implements InputStream {
  read(_size?: number): Promise<Uint8Array> {
    return Promise.reject(alreadyRead())
  }

  readline(_size?: number): Promise<Uint8Array> {
    return Promise.reject(alreadyRead())
  }

  readlines(_hint?: number): Promise<Uint8Array[]> {
    return Promise.reject(alreadyRead())
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return { next: () => Promise.reject(alreadyRead()) }
  }
}
