/** Types of `suite.mjs` (see there). */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Server } from 'node:net'

import type { GatewayApp } from './bad-apps.mjs'
import type { HostTraits } from './malformed.mjs'

export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown
export type FetchHandler = (request: Request) => Response | Promise<Response>

export interface FarSide {
  readonly app: GatewayApp
  readonly listener: NodeListener
  readonly fetch: FetchHandler | undefined
}

export interface Running {
  readonly port: number
  readonly server: Server
  errors(): string
  close(): Promise<void>
}

export interface Stack {
  readonly name: string
  readonly far: 'app' | 'listener' | 'fetch'
  serve(far: FarSide, wrap: (outer: GatewayApp) => GatewayApp): Promise<Running>
  readonly afterCodes?: boolean
  readonly host?: HostTraits
  readonly asciiHeadersBecause?: string
  readonly utf8PathsBecause?: string
}

export interface SuiteOptions {
  toListener(app: GatewayApp): NodeListener
  toFetchHandler?(app: GatewayApp): FetchHandler
  faults?: number
  fuzzRuns?: number
}

export function describeReliability(stacks: readonly Stack[], options: SuiteOptions): void
