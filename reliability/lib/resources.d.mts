/** Types of `resources.mjs` (see there). */
import type { EventEmitter } from 'node:events'
import type { Server } from 'node:net'

export interface Snapshot {
  readonly resources: Record<string, number>
  readonly connections: number
  readonly listeners: number
  readonly rss: number
  readonly heapUsed: number
  readonly heapTotal: number
  readonly external: number
}

export interface Watch {
  servers?: Server[]
  emitters?: EventEmitter[]
}

export function snapshot(watch?: Watch): Promise<Snapshot>
export function growth(before: Snapshot, after: Snapshot): string[]
export function settledGrowth(
  before: Snapshot,
  watch?: Watch,
  timeoutMs?: number,
): Promise<{ after: Snapshot; problems: string[] }>
export function watchProcess<T>(
  work: () => Promise<T>,
): Promise<{ value: T; rejections: unknown[]; warnings: string[] }>
