/**
 * The request body Fastify parses under gateway middleware: a `wsgi.input` a middleware replaced,
 * the bytes a body reader kept for replay, or an error when the body was already read.
 *
 * @module
 */
import { Readable as NodeReadable } from 'node:stream'
import type { Readable } from 'node:stream'

import type { FastifyRequest } from 'fastify'

import { bodyAlreadyRead, bodySource } from '@wsgi/core/node'
import { InputReader, readChunk } from '@wsgi/core/streams'
import type { InputStream } from '@wsgi/core/types'

import { FASTIFY_ADVICE } from '../fastify-handler.ts'

/** A gateway `InputStream` as a Node stream, for Fastify's parser. */
function inputStream(input: InputStream): Readable {
  return NodeReadable.from(
    (async function* () {
      for (;;) {
        const chunk = await readChunk(input, 65536)
        if (chunk.length === 0) return
        yield chunk
      }
    })(),
    { objectMode: false },
  )
}

/**
 * What to send when the middleware's response has no body. Fastify's automatic HEAD routes
 * measure the payload in an `onSend` hook and fail on `null`; an empty stream keeps the
 * Content-Length the middleware gave.
 */
export function noBody(request: FastifyRequest): Readable | null {
  if (request.method !== 'HEAD') return null
  return new NodeReadable({
    read() {
      this.push(null)
    },
  })
}

/** What `parsedBody` asks of each middleware layer of the request. */
export interface InputLayer {
  /** The `wsgi.input` the middleware handed on in place of the one it got, if it did. */
  replacedInput(): InputStream | undefined
}

/**
 * The body the route should parse, given the request's layers outermost first (`undefined`:
 * Fastify's own payload stands): the innermost middleware that handed on a replaced `wsgi.input`
 * decides.
 */
export function parsedBody(
  request: FastifyRequest,
  payload: Readable,
  layers: readonly InputLayer[],
): Readable | Error | undefined {
  for (const layer of layers.toReversed()) {
    const input = layer.replacedInput()
    if (input !== undefined) return inputStream(input)
  }
  const req = request.raw
  if (payload !== req) return undefined
  // Waiting on a body a middleware drained would hang forever (bridge-pitfalls A1).
  const source = bodySource(req)
  if (source.kind === 'consumed') return bodyAlreadyRead(FASTIFY_ADVICE)
  if (source.kind === 'replay' && source.bytes.length > 0) {
    return inputStream(InputReader.fromBytes(source.bytes))
  }
  return undefined
}
