/**
 * Where `wsgi.input` comes from when a Node framework (Express, Koa, Fastify) holds the request
 * before the gateway app does: the live stream, bytes a body parser kept, or nothing at all.
 * One rule for every host, so the same request gets the same answer whichever framework it
 * came through (bridge-pitfalls A1: never wait on a drained stream).
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'

import { WSGIError } from '../errors.ts'
import type { InputStream } from '../types.ts'
import { InputReader } from '../_internal/input.ts'
import { bodySourceOf } from './synthetic-request.ts'

/** What `wsgi.input` should serve. */
export type BodySource =
  | { readonly kind: 'stream' }
  | { readonly kind: 'replay'; readonly bytes: Uint8Array }
  | { readonly kind: 'consumed' }

/** The fields that body parsers of every framework leave on the Node request. */
interface ParsedFields {
  /** Kept by users in a body-parser `verify` callback (`req.rawBody = buf`), a common idiom. */
  rawBody?: unknown
  /** body-parser 1.x (Express 4) sets it once it started reading. */
  _body?: unknown
}

const EMPTY = new Uint8Array(0)
const STREAM: BodySource = { kind: 'stream' }
const CONSUMED: BodySource = { kind: 'consumed' }

/** True when the request announces a body: `Transfer-Encoding`, or a `Content-Length` above 0. */
export function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true
  const length = req.headers['content-length']
  return length !== undefined && /[1-9]/.test(length)
}

/**
 * True when something took bytes from the request stream: it ended, anyone pulled data from it
 * (`readableDidRead`: a partly read body cannot be offered whole again), or body-parser 1
 * flagged it. Whether `req.body` is set says nothing by itself: body-parser sets it to `{}`
 * even when it skipped the request (graphql-yoga#1336).
 */
export function bodyWasRead(req: IncomingMessage): boolean {
  return req.readableEnded || req.readableDidRead || (req as ParsedFields)._body === true
}

/**
 * Decide where the body comes from: the live stream while nobody read it; once read, the bytes
 * that `req.rawBody` or the host's own parser kept (`keptBytes`), an empty body when the request
 * had none to lose, and otherwise nothing ({@link ConsumedInput}).
 */
export function bodySource(
  req: IncomingMessage,
  keptBytes?: () => Uint8Array | undefined,
): BodySource {
  if (!bodyWasRead(req)) return STREAM
  const raw = (req as ParsedFields).rawBody
  const bytes = raw instanceof Uint8Array ? raw : keptBytes?.()
  if (bytes !== undefined) return { kind: 'replay', bytes }
  // Nothing was lost when there was nothing to read (a GET whose stream was resumed).
  if (!hasBody(req)) return { kind: 'replay', bytes: EMPTY }
  return CONSUMED
}

/**
 * The error for a body that was read before the gateway side got to it; `advice` says, in the
 * host's words, how to keep the bytes.
 */
export function bodyAlreadyRead(advice: string): WSGIError {
  return new WSGIError(
    'ERR_WSGI_BODY_ALREADY_READ',
    `The request body was already read before the gateway app ran; ${advice}`,
  )
}

/**
 * `wsgi.input` of a request whose body something else read and did not keep. Every read rejects
 * at once with `ERR_WSGI_BODY_ALREADY_READ`, because waiting on the drained stream would hang
 * forever.
 */
export class ConsumedInput implements InputStream {
  readonly #advice: string

  /** @param advice how to keep the bytes, in the host's words (ends the error message) */
  constructor(advice: string) {
    this.#advice = advice
  }

  /** @throws WSGIError `ERR_WSGI_BODY_ALREADY_READ` (as a rejection) */
  read(_size?: number): Promise<Uint8Array> {
    return Promise.reject(bodyAlreadyRead(this.#advice))
  }

  /** @throws WSGIError `ERR_WSGI_BODY_ALREADY_READ` (as a rejection) */
  readline(_size?: number): Promise<Uint8Array> {
    return Promise.reject(bodyAlreadyRead(this.#advice))
  }

  /** @throws WSGIError `ERR_WSGI_BODY_ALREADY_READ` (as a rejection) */
  readlines(_hint?: number): Promise<Uint8Array[]> {
    return Promise.reject(bodyAlreadyRead(this.#advice))
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return { next: () => Promise.reject(bodyAlreadyRead(this.#advice)) }
  }
}

/**
 * The environ keys a replayed body changes: the bytes a parser kept are the decoded body, so
 * `CONTENT_LENGTH` says how long they are and no content or transfer coding is claimed.
 */
export function replayEnviron(environ: Record<string, unknown>, bytes: Uint8Array): void {
  environ['CONTENT_LENGTH'] = String(bytes.length)
  delete environ['HTTP_CONTENT_ENCODING']
  delete environ['HTTP_TRANSFER_ENCODING']
}

/**
 * The `wsgi.input` of a {@link BodySource}: `stream()` for the live stream, a reader over the
 * kept bytes, or a {@link ConsumedInput} with the host's `advice`.
 */
export function inputOf(
  source: BodySource,
  stream: () => InputStream,
  advice: string,
): InputStream {
  if (source.kind === 'stream') return stream()
  if (source.kind === 'replay') return InputReader.fromBytes(source.bytes)
  return new ConsumedInput(advice)
}

// The request a Node handler's `wsgi.input` reads, on the input itself: the way back from the
// input of a handler on a synthetic request to the input that request is made from (see
// passBodyOn). Not a WeakMap: V8's scavenger keeps the value of an entry in an old-space table
// alive, and a request reaches its input again (through the environ the bridges link to it), so
// every request's objects were promoted and freed only by a mark-compact (issue 16: GC at a
// quarter of the `fromKoa` pass-through's time).
const kInputRequest = Symbol('wsgits.inputRequest')

interface RequestNoted {
  [kInputRequest]?: IncomingMessage
}
// Inputs whose request went on down the host's chain: their handler is not the body's last owner.
const passedOn = new WeakSet<object>()

/** Note that `input` reads `req` (core's Node handlers call it when they make `wsgi.input`). */
export function noteInputRequest(input: InputStream, req: IncomingMessage): void {
  ;(input as InputStream & RequestNoted)[kInputRequest] = req
}

/**
 * Mark the request body of `environ` as passed on down the host framework's chain (the inner app
 * of `toExpressMiddleware`/`toKoaMiddleware`/`toFastifyMiddleware` calling `next()`): the host's
 * own body reader now owns the real request. So no handler between the real request and this
 * environ (the handlers of synthetic requests made from one another's environs, as
 * `fromXMiddleware` makes them) drains what it thinks is unread, or closes the connection for it
 * (`drainLimit`): two readers on one stream race, the inner request sees its input end short,
 * and the drain resets a keep-alive connection. The host ends that request as it ends its own.
 */
export function passBodyOn(environ: Readonly<Record<string, unknown>> | undefined): void {
  let input: unknown = environ?.['wsgi.input']
  while (typeof input === 'object' && input !== null && !passedOn.has(input)) {
    passedOn.add(input)
    const req = (input as RequestNoted)[kInputRequest]
    input = req === undefined ? undefined : bodySourceOf(req)?.input
  }
}

/** True when the body `input` reads was passed on down the host's chain ({@link passBodyOn}). */
export function bodyPassedOn(input: InputStream | undefined): boolean {
  return input !== undefined && passedOn.has(input)
}
