/** Types of `faults.mjs` (see there). */
import type { IncomingMessage, ServerResponse } from 'node:http'

import type { GatewayApp } from './bad-apps.mjs'

export interface FaultRecord {
  kind: string
  closes: number
  aborts: number
  returned: boolean
  nativeCloses: number
  nativeAborts: number
}

export type FaultRecords = Map<string, FaultRecord>

export function faultApp(records: FaultRecords): GatewayApp
export function faultListener(
  records: FaultRecords,
): (req: IncomingMessage, res: ServerResponse) => Promise<void>
export function countingGateway(app: GatewayApp, records: FaultRecords): GatewayApp
export function faultyRequest(
  port: number,
  kind: 'upload' | 'download' | 'wait',
  id: string,
  cut: number,
  prefix?: string,
): Promise<void>
export function runFaults(
  port: number,
  options: { count: number; concurrency?: number; idPrefix?: string; prefix?: string },
): Promise<string[]>
export function faultsSettle(
  records: FaultRecords,
  ids: readonly string[],
  timeoutMs?: number,
): Promise<void>
export function faultProblems(
  records: FaultRecords,
  ids: readonly string[],
  options?: { native?: boolean },
): { problems: string[]; seen: number }
export function faultFetchHandler(records: FaultRecords): (request: Request) => Promise<Response>
