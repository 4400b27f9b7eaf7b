/** Types of `fuzz.mjs` (see there). */
import type { Buffer } from 'node:buffer'
import type { IncomingMessage, ServerResponse } from 'node:http'

import type fc from 'fast-check'

import type { GatewayApp } from './bad-apps.mjs'

export interface FuzzRequest {
  readonly method: string
  readonly target: string
  readonly path: string
  readonly query: string
  readonly headers: [string, string][]
  readonly body: Uint8Array[]
  readonly chunked: boolean
}

export interface FuzzResponse {
  readonly status: number
  readonly headers: [string, string][]
  readonly body: Uint8Array[]
}

export interface Seen {
  readonly method: string
  readonly path: string
  readonly query: string
  readonly headers: [string, string][]
  readonly body: Buffer
}

export interface FuzzRegistry {
  readonly responses: Map<string, FuzzResponse>
  readonly seen: Map<string, Seen>
}

export interface Received {
  readonly status: number
  readonly headers: [string, string][]
  readonly body: Buffer
}

export function fuzzRegistry(): FuzzRegistry
export const requestArb: fc.Arbitrary<FuzzRequest>
export const utf8RequestArb: fc.Arbitrary<FuzzRequest>
export const responseArb: fc.Arbitrary<FuzzResponse>
export const asciiResponseArb: fc.Arbitrary<FuzzResponse>
export function fuzzGatewayApp(registry: FuzzRegistry): GatewayApp
export function recordNative(
  registry: FuzzRegistry,
  seen: { method: string; url: string; rawHeaders: string[]; body: Buffer },
): FuzzResponse
export function fuzzListener(
  registry: FuzzRegistry,
): (req: IncomingMessage, res: ServerResponse) => Promise<void>
export function fuzzFetchHandler(registry: FuzzRegistry): (request: Request) => Promise<Response>
export function sendFuzz(
  port: number,
  req: FuzzRequest,
  id: string,
  prefix?: string,
): Promise<Received>
export function requestProblems(
  sent: FuzzRequest,
  seen: Seen | undefined,
  prefix?: string,
): string[]
export function responseProblems(answered: FuzzResponse, got: Received): string[]
export function roundTrip(
  port: () => number,
  registry: FuzzRegistry,
  options?: { prefix?: string; asciiResponseHeaders?: boolean; utf8Paths?: boolean },
): fc.IAsyncPropertyWithHooks<[FuzzRequest, FuzzResponse]>
export function fuzzRuns(fallback: number): number
