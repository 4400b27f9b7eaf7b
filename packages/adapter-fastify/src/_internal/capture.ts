/**
 * A Fastify response, caught in an `onSend` hook, as a gateway response: the status and headers
 * on the reply, and the payload (string, Buffer, Node stream, web stream or `Response`) as a
 * streamed body with `close()`.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { STATUS_CODES } from 'node:http'

import type { FastifyReply } from 'fastify'

import type { HeaderList, ResponseBody, Status } from '@wsgi/core/types'
import { isHopByHop } from '@wsgi/core/util'

/** A response as `startResponse` and the server take it. */
export interface CapturedResponse {
  readonly status: Status
  readonly headers: HeaderList
  readonly body: ResponseBody
}

interface NodeStreamLike extends AsyncIterable<Uint8Array | string> {
  pipe: unknown
  readableEnded?: boolean
  destroy?(): void
}

interface WebStreamLike {
  getReader(): {
    read(): Promise<{ done: boolean; value?: Uint8Array }>
    cancel(): Promise<void>
    releaseLock(): void
  }
}

interface ResponseLike {
  readonly status: number
  readonly statusText: string
  readonly headers: {
    forEach(fn: (value: string, name: string) => void): void
    getSetCookie?(): string[]
  }
  readonly body: WebStreamLike | null
}

function isResponse(value: unknown): value is ResponseLike {
  // As Fastify does: by tag, so a Response of another realm or ponyfill counts too.
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.prototype.toString.call(value) === '[object Response]'
  )
}

function statusOf(code: number, reason: string | undefined): Status {
  return `${code} ${reason !== undefined && reason !== '' ? reason : (STATUS_CODES[code] ?? 'Unknown')}`
}

/** A Node stream as a body: chunks as they come; `close()` destroys it when unfinished. */
function nodeStreamBody(stream: NodeStreamLike): ResponseBody {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const chunk of stream) {
        yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      }
    },
    close() {
      if (stream.readableEnded !== true) stream.destroy?.()
    },
  }
}

/** A web `ReadableStream` as a body; `close()` cancels it when unfinished. */
function webStreamBody(stream: WebStreamLike): ResponseBody {
  const reader = stream.getReader()
  let done = false
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const step = await reader.read()
        if (step.done) {
          done = true
          return
        }
        if (step.value !== undefined) yield step.value
      }
    },
    async close() {
      if (!done) await reader.cancel().catch(() => undefined)
    },
  }
}

/** The payload of an `onSend` hook as a gateway body. */
export function bodyOf(payload: unknown): ResponseBody {
  if (payload === null || payload === undefined) return []
  if (typeof payload === 'string') return [Buffer.from(payload)]
  if (payload instanceof Uint8Array) return [payload]
  if (typeof (payload as Partial<NodeStreamLike>).pipe === 'function') {
    return nodeStreamBody(payload as NodeStreamLike)
  }
  if (typeof (payload as Partial<WebStreamLike>).getReader === 'function') {
    return webStreamBody(payload as WebStreamLike)
  }
  // Fastify serialises everything else before onSend; anything left is sent as JSON.
  return [Buffer.from(JSON.stringify(payload))]
}

/**
 * The reply's status and headers plus the `onSend` payload, as a gateway response. Hop-by-hop
 * headers are left out; each value of a repeated header (`Set-Cookie`) is its own tuple.
 */
export function captureResponse(reply: FastifyReply, payload: unknown): CapturedResponse {
  const headers: HeaderList = []
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value === undefined || isHopByHop(name)) continue
    if (Array.isArray(value)) for (const v of value) headers.push([name, v])
    else headers.push([name, typeof value === 'string' ? value : String(value)])
  }
  if (isResponse(payload)) {
    // Fastify would merge these in after onSend: do it here, cookies one by one.
    const cookies = payload.headers.getSetCookie?.() ?? []
    for (const cookie of cookies) headers.push(['set-cookie', cookie])
    payload.headers.forEach((value, name) => {
      if (name === 'set-cookie' || isHopByHop(name)) return
      const i = headers.findIndex(([n]) => n.toLowerCase() === name)
      if (i >= 0) headers.splice(i, 1)
      headers.push([name, value])
    })
    return {
      status: statusOf(payload.status, payload.statusText),
      headers,
      body: payload.body === null ? [] : webStreamBody(payload.body),
    }
  }
  const code = reply.statusCode
  return { status: statusOf(code, reply.raw.statusMessage), headers, body: bodyOf(payload) }
}
