/** Types of `malformed.mjs` (see there). */
import type { IncomingMessage, ServerResponse } from 'node:http'

import type { Exchange } from './raw-http.mjs'

export interface RejectedCase {
  readonly name: string
  readonly request: string
  readonly statuses: number[]
  readonly bodyError?: boolean
}

export interface EchoReport {
  readonly method: string
  readonly path: string
  readonly query: string
  readonly headers: [string, string][]
  readonly body: string
}

export interface Outcome {
  readonly responses: { status: number; complete: boolean }[]
  readonly reports: (EchoReport | undefined)[]
  readonly closed: boolean
}

export interface HostTraits {
  readonly resolvesDotSegments?: boolean
}

export interface AcceptedCase {
  readonly name: string
  readonly request: string
  readonly expected?: number
  check(outcome: Outcome, host: HostTraits): string[]
}

export const REJECTED: readonly RejectedCase[]
export const ACCEPTED: readonly AcceptedCase[]
export function headerValues(report: EchoReport, name: string): string[]
export function echoApp(
  environ: Record<string, unknown>,
  startResponse: (status: `${number} ${string}`, headers: [string, string][]) => unknown,
): Promise<Uint8Array[]>
export function unquoteLatin1(path: string): string
export function echoListener(req: IncomingMessage, res: ServerResponse): Promise<void>
export function checkAccepted(
  send: (request: string, expected: number) => Promise<Exchange>,
  host?: HostTraits,
  cases?: readonly AcceptedCase[],
): Promise<Map<string, string[]>>
export function checkRejected(
  port: number,
  calls: () => number,
  cases?: readonly RejectedCase[],
): Promise<Map<string, string>>
export function echoFetch(request: Request): Promise<Response>
