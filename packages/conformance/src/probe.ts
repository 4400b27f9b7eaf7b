/**
 * The probe the reference apps and listeners report to, so that a test can see what happened
 * on the server side of a request: how often the body's `close()` ran, whether the abort signal
 * fired, how many bytes the app produced, and gates the test opens to let an app go on.
 *
 * Every request names its record with an `id` query parameter, so tests that share one server
 * never read each other's records.
 *
 * @module
 */

/** What the server side of one request did. */
export interface ProbeRecord {
  /** Calls of the body's `close()` (gateway apps) or `'close'` events of `res` (listeners). */
  closes: number
  /** The client-abort signal fired (`wsgits.signal`, or `res` closed before it ended). */
  aborted: boolean
  /** Response body bytes the app has produced so far. */
  produced: number
  /** The app ran to its end (not cut off). */
  finished: boolean
}

type Listener = () => void

/** Records per request id, with waiting and gates. */
export class Probe {
  readonly #records = new Map<string, ProbeRecord>()
  readonly #listeners = new Set<Listener>()
  readonly #gates = new Map<string, { promise: Promise<void>; open: () => void }>()

  /** The record of `id`, created empty on first use. */
  record(id: string): ProbeRecord {
    let record = this.#records.get(id)
    if (record === undefined) {
      record = { closes: 0, aborted: false, produced: 0, finished: false }
      this.#records.set(id, record)
    }
    return record
  }

  /** Change the record of `id` and wake whoever waits on it. */
  update(id: string, change: (record: ProbeRecord) => void): void {
    change(this.record(id))
    for (const listener of [...this.#listeners]) listener()
  }

  /** Resolve with the record of `id` once `test` holds for it; reject after `timeoutMs`. */
  waitFor(
    id: string,
    test: (record: ProbeRecord) => boolean,
    timeoutMs = 10_000,
  ): Promise<ProbeRecord> {
    const record = this.record(id)
    if (test(record)) return Promise.resolve(record)
    return new Promise((resolve, reject) => {
      const check: Listener = () => {
        if (!test(record)) return
        clearTimeout(timer)
        this.#listeners.delete(check)
        resolve(record)
      }
      const timer = setTimeout(() => {
        this.#listeners.delete(check)
        reject(
          new Error(`probe ${id}: condition not met in ${timeoutMs} ms: ${JSON.stringify(record)}`),
        )
      }, timeoutMs)
      this.#listeners.add(check)
    })
  }

  /** A promise that resolves once the test calls {@link Probe.open} for `id`. */
  gate(id: string): Promise<void> {
    return this.#gate(id).promise
  }

  /** Open the gate of `id`. */
  open(id: string): void {
    this.#gate(id).open()
  }

  #gate(id: string): { promise: Promise<void>; open: () => void } {
    let gate = this.#gates.get(id)
    if (gate === undefined) {
      let open: () => void = () => undefined
      const promise = new Promise<void>((resolve) => {
        open = resolve
      })
      gate = { promise, open }
      this.#gates.set(id, gate)
    }
    return gate
  }
}

/** The `id`, `n` and `size` parameters of a query string. */
export interface RequestParams {
  readonly id: string
  readonly n: number
  readonly size: number
}

/** Parse the parameters the reference apps and listeners take. */
export function paramsOf(query: string): RequestParams {
  const params = new URLSearchParams(query)
  return {
    id: params.get('id') ?? 'anonymous',
    n: Number(params.get('n') ?? '3'),
    size: Number(params.get('size') ?? '1048576'),
  }
}

const PATTERN_PERIOD = 251
const MAX_CHUNK = 65536
// Byte i of every generated body is i % 251 (a prime, so chunk edges never line up with it).
const PATTERN = new Uint8Array(MAX_CHUNK + PATTERN_PERIOD)
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = i % PATTERN_PERIOD

/** `length` bytes of the reference pattern starting at body offset `offset` (a view, no copy). */
export function patternChunk(offset: number, length: number): Uint8Array {
  if (length > MAX_CHUNK) throw new RangeError(`chunks are at most ${MAX_CHUNK} bytes`)
  const start = offset % PATTERN_PERIOD
  return PATTERN.subarray(start, start + length)
}

/** The size of every generated chunk. */
export const CHUNK_SIZE: number = MAX_CHUNK

/** Check that `chunk` holds the pattern bytes from body offset `offset`; the first bad index or -1. */
export function checkPattern(chunk: Uint8Array, offset: number): number {
  let expected = offset % PATTERN_PERIOD
  for (let i = 0; i < chunk.length; i++) {
    if (chunk[i] !== expected) return i
    expected = expected === PATTERN_PERIOD - 1 ? 0 : expected + 1
  }
  return -1
}
