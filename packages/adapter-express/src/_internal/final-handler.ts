/**
 * The end of a Connect-style chain run as a gateway app: what happens when every handler called
 * `next()` (a 404), or `next(err)`.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { STATUS_CODES } from 'node:http'

import { toError } from '@wsgi/core/errors'

/** A Connect-style handler: `(req, res, next)`. */
export type ConnectHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => unknown

/** The HTTP status an error asks for (http-errors' `status`/`statusCode`), if any. */
function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown }
  const code = typeof status === 'number' ? status : statusCode
  return typeof code === 'number' && Number.isInteger(code) && code >= 400 && code <= 599
    ? code
    : undefined
}

function sendPlain(res: ServerResponse, status: number): void {
  const body = `${STATUS_CODES[status] ?? 'Error'}\n`
  res.statusCode = status
  res.setHeader('Content-Type', 'text/plain; charset=utf-8')
  res.setHeader('Content-Length', Buffer.byteLength(body))
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.end(body)
}

/**
 * Run `handle(req, res, next)` and settle when the exchange is over.
 *
 * `next()` with nothing answers `404 Not Found`; `next(err)` with a client-error status (400-499,
 * as body-parser's and http-errors' errors carry) answers that status with its standard reason
 * phrase only (never the message, which may hold request details); any other error, and any
 * for which `rethrow` says so, rejects, so that the gateway server logs it and answers 500 (or
 * cuts a response already started).
 */
export function runChain(
  handle: ConnectHandler,
  req: IncomingMessage,
  res: ServerResponse,
  rethrow: (error: unknown) => boolean = () => false,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    res.once('close', () => {
      resolve()
    })
    const done = (error?: unknown): void => {
      if (error === undefined || error === null || error === 'route' || error === 'router') {
        if (!res.headersSent) sendPlain(res, 404)
        return
      }
      const status = rethrow(error) ? undefined : statusOf(error)
      if (status !== undefined && status < 500 && !res.headersSent) {
        sendPlain(res, status)
        return
      }
      reject(toError(error))
    }
    try {
      handle(req, res, done)
    } catch (error) {
      done(error)
    }
  })
}
