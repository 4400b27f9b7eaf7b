/** Types of `bad-apps.mjs` (see there). */
import type { Exchange } from './raw-http.mjs'

/** A gateway application, loosely typed: the catalogue breaks the types on purpose. */
export type GatewayApp = (
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bad apps break every type
  environ: any,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- likewise
  startResponse: any,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- likewise
) => any

export interface Probe {
  closes: number
}

export interface BadApp {
  readonly name: string
  readonly outcome: '500' | 'cut' | 'whole' | 'carried'
  /** The status a `'carried'` app sends. */
  readonly status?: number
  readonly codes?: string[]
  readonly closable?: boolean
  make(probe: Probe): GatewayApp
}

export const BAD_APPS: readonly BadApp[]
export const OK_BODY: string
export function badAppsApp(probes: Probe[]): GatewayApp
export function clientProblems(bad: BadApp, result: Exchange): string[]
export function checkBadApps(
  port: number,
  probes: Probe[],
  options?: { errorLog?: () => string; afterCodes?: boolean; settle?: () => Promise<void> },
): Promise<Map<string, string[]>>
