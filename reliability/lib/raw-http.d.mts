/** Types of `raw-http.mjs` (see there). */
import type { Buffer } from 'node:buffer'

export interface RawResponse {
  readonly status: number
  readonly reason: string
  readonly headers: [string, string][]
  readonly body: Buffer
  readonly complete: boolean
}

export interface Exchange {
  readonly responses: RawResponse[]
  readonly closed: boolean
  readonly rest: Buffer
}

export function parseResponse(
  buf: Buffer,
  head: boolean,
  ended: boolean,
): { response: RawResponse; rest: Buffer } | undefined

export function exchange(
  port: number,
  request: string | Uint8Array,
  options?: { expected?: number; head?: boolean; idleMs?: number; timeoutMs?: number },
): Promise<Exchange>
