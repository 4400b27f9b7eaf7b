/** Types of `early-answer.mjs` (see there). */
import type { GatewayApp } from './bad-apps.mjs'

export const EARLY_BODY: string
export const EARLY_UPLOAD: number
export const earlyAnswerApp: GatewayApp
export function checkEarlyAnswer(port: number, timeoutMs?: number): Promise<string[]>
