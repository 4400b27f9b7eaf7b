/**
 * What Koa middleware downstream left on `ctx` (status, headers, body), as a gateway response:
 * the inner application of `toKoaMiddleware`.
 *
 * The body is turned into bytes the way Koa's `respond()` would send it: a string as UTF-8, a
 * Buffer as it is, a stream chunk by chunk (pulled, so with backpressure), JSON for any other
 * object, Koa's status text when there is no body, and nothing for HEAD and 204/205/304. Koa 3's
 * `Blob`, `ReadableStream` and `Response` bodies stream too.
 *
 * @module
 */
import type { OutgoingHttpHeader, ServerResponse } from 'node:http'
import { STATUS_CODES } from 'node:http'
import { Stream } from 'node:stream'
import type { Readable } from 'node:stream'

import type Koa from 'koa'

import type { HeaderList, ResponseBody, StartResponse, Status } from '@wsgi/core/types'
import { isHopByHop } from '@wsgi/core/util'

const EMPTY_STATUSES = new Set([204, 205, 304])

/** The Koa response fields read here (`_explicitNullBody` is Koa's own, in Koa 2 and 3). */
interface KoaResponseState {
  readonly _explicitNullBody?: unknown
}

function tagOf(value: unknown): string {
  return Object.prototype.toString.call(value)
}

/** Koa's `isStream()`: a Node stream (old or new style) Koa would pipe. */
function isNodeStream(value: unknown): value is Readable {
  return (
    value instanceof Stream ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as Partial<Readable>).pipe === 'function' &&
      typeof (value as Partial<Readable>).read === 'function')
  )
}

/** A Node stream as a body: pulled chunk by chunk, destroyed by `close()` if unfinished. */
function streamBody(stream: Readable): ResponseBody {
  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
      for await (const chunk of stream as AsyncIterable<unknown>) {
        yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array)
      }
    },
    close(): void {
      if (!stream.destroyed && !stream.readableEnded) stream.destroy()
    },
  }
}

/** A WHATWG `ReadableStream` as a body, cancelled by `close()` if unfinished. */
function webStreamBody(stream: ReadableStream<Uint8Array> | null): ResponseBody {
  if (stream === null) return []
  let done = false
  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
      const reader = stream.getReader()
      try {
        for (;;) {
          const step = await reader.read()
          if (step.done) break
          yield step.value
        }
        done = true
      } finally {
        reader.releaseLock()
      }
    },
    async close(): Promise<void> {
      if (!done && !stream.locked) await stream.cancel()
    },
  }
}

/** The headers of `res` as a gateway header list: original case, each value apart, no hop-by-hop. */
export function headerListOf(res: ServerResponse): HeaderList {
  const list: HeaderList = []
  // getRawHeaderNames() (Node >= 15.13, untyped in @types/node) keeps the case the app used.
  const raw = res as ServerResponse & { getRawHeaderNames?: () => string[] }
  for (const name of raw.getRawHeaderNames?.() ?? res.getHeaderNames()) {
    if (isHopByHop(name)) continue
    const value: OutgoingHttpHeader | undefined = res.getHeader(name)
    if (value === undefined) continue
    if (Array.isArray(value)) for (const v of value) list.push([name, v])
    else list.push([name, String(value)])
  }
  return list
}

/** The body bytes Koa would send for `ctx.body`, and the header changes it would make first. */
function bodyOf(ctx: Koa.ParameterizedContext): ResponseBody {
  const body: unknown = ctx.body
  const code = ctx.status
  if (EMPTY_STATUSES.has(code)) {
    ctx.body = null
    return []
  }
  if (ctx.method === 'HEAD') {
    // The app may still yield its body: the gateway server drops it for HEAD.
    if (body === null || body === undefined) return []
  } else if (body === null || body === undefined) {
    if ((ctx.response as KoaResponseState)._explicitNullBody === true) {
      ctx.remove('Content-Type')
      ctx.length = 0
      return []
    }
    const text = ctx.req.httpVersionMajor >= 2 ? String(code) : ctx.message || String(code)
    ctx.type = 'text'
    ctx.length = Buffer.byteLength(text)
    return [Buffer.from(text)]
  }
  if (body instanceof Uint8Array) return [body]
  if (typeof body === 'string') return [Buffer.from(body)]
  if (isNodeStream(body)) return streamBody(body)
  switch (tagOf(body)) {
    case '[object ReadableStream]':
      return webStreamBody(body as ReadableStream<Uint8Array>)
    case '[object Blob]':
    case '[object File]':
      // Brand checks, not instanceof: a Blob or Response from another realm or polyfill counts.
      return webStreamBody((body as { stream(): ReadableStream<Uint8Array> }).stream())
    case '[object Response]':
      return webStreamBody((body as { body: ReadableStream<Uint8Array> | null }).body)
    default: {
      const json = Buffer.from(JSON.stringify(body))
      ctx.length = json.length
      return [json]
    }
  }
}

/**
 * Call `startResponse` with what `ctx` holds now and return the body. Koa's own changes on the
 * way out (the status text for an empty body, `Content-Length` of JSON) are made on `ctx` first,
 * so the gateway sees what Koa would have sent.
 */
export function respondFromContext(
  ctx: Koa.ParameterizedContext,
  startResponse: StartResponse,
): ResponseBody {
  const body = bodyOf(ctx)
  const code = ctx.status
  const reason = ctx.message || (STATUS_CODES[code] ?? '')
  try {
    startResponse(`${String(code).padStart(3, '0')} ${reason}` as Status, headerListOf(ctx.res))
  } catch (error) {
    void body.close?.()
    throw error
  }
  return body
}
