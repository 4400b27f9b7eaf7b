/**
 * The bytes of a `Response` made from a string or bytes, taken without reading its stream.
 *
 * `c.text()`, `c.json()` and `new Response('…')` keep their body in memory; reading it through
 * the `ReadableStream` costs a reader, a pull that encodes the string, and a promise per step,
 * for bytes that are there already. Where the runtime's `Response` keeps what it was made from
 * where it can be read (undici on Node, which keeps the source beside the stream), the bytes are
 * taken from there and the stream is cancelled through a reader, which leaves the `Response` as
 * a full read would: `bodyUsed` true, its stream closed and locked.
 *
 * @module
 */
import { RuntimeResponse } from './light-response.ts'
import { onUndici } from './undici-runtime.ts'
import { utf8 } from './utf8.ts'

interface BodyState {
  stream?: unknown
  source?: unknown
}

// The internal slot holding `{ body: { stream, source, length } }`, found once on a probe.
const STATE: symbol | undefined = findState()

function findState(): symbol | undefined {
  if (!onUndici()) return undefined
  try {
    const probe = new RuntimeResponse('probe')
    for (const key of Object.getOwnPropertySymbols(probe)) {
      const state = (probe as unknown as Record<symbol, { body?: BodyState } | undefined>)[key]
      if (state?.body?.source === 'probe' && state.body.stream === probe.body) return key
    }
  } catch {
    // No such slot: every body is read through its stream.
  }
  return undefined
}

/**
 * The whole body of `response` when it was made from a string or bytes and nobody read or
 * locked it, with its stream cancelled; undefined otherwise (read it as a stream).
 */
export function wholeBody(response: unknown): Uint8Array | undefined {
  if (STATE === undefined || !(response instanceof RuntimeResponse)) return undefined
  const body = (response as unknown as Record<symbol, { body?: BodyState | null } | undefined>)[
    STATE
  ]?.body
  if (body === undefined || body === null) return undefined
  const source = body.source
  let bytes: Uint8Array
  if (typeof source === 'string') bytes = utf8(source)
  // The constructor copied it: nobody else holds these bytes.
  else if (source instanceof Uint8Array) bytes = source
  else return undefined
  const stream = response.body
  if (stream === null || stream !== body.stream || stream.locked || response.bodyUsed) {
    return undefined
  }
  // Through a reader, so the stream ends as reading it to the end left it: closed, disturbed
  // (`bodyUsed`) and locked.
  stream
    .getReader()
    .cancel()
    .catch(() => undefined)
  return bytes
}
