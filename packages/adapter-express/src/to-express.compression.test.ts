/**
 * A large response through Express's `compression()`: `compression` hands `'drain'` listeners
 * added with `res.on` to its gzip stream, so the bridge's wait for `'drain'` must remove its
 * listener from there (no `MaxListenersExceededWarning`, no listener left behind).
 */
import { randomBytes } from 'node:crypto'
import type { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import compression from 'compression'
import express from 'express'

import type { WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'

import { listen } from '../test/helpers.ts'
import { fromExpressMiddleware } from './from-express-middleware.ts'
import { toExpress } from './to-express.ts'

// Incompressible chunks: the gzip stream's buffer fills at every write, so the bridge waits for
// 'drain' once per chunk, far more than the 10 listeners Node warns after.
const CHUNK = randomBytes(64 * 1024)
const CHUNKS = 64

interface Observed {
  /** Most 'drain' listeners seen at once on the emitter compression puts them on. */
  most: number
  /**
   * 'drain' listeners left there, and added to `res`, once the body was done (compression adds
   * one of its own to `res`, to resume its stream).
   */
  left: number[]
}

/** A gateway app streaming CHUNKS chunks; it watches the 'drain' listeners as it goes. */
function bigApp(observed: Observed): WSGIApplication {
  return (environ: WSGIEnvironment, startResponse) => {
    startResponse('200 OK', [['Content-Type', 'application/octet-stream']])
    const res = environ['wsgits.node_response'] as ServerResponse
    let target: EventEmitter | undefined
    const before = res.listeners('drain')
    const probe = (): void => {
      // Not a listener that runs: only to learn where res.on() puts 'drain' listeners.
    }
    return {
      *[Symbol.iterator]() {
        for (let i = 0; i < CHUNKS; i++) {
          yield CHUNK
          if (target === undefined) {
            // compression made its stream on the first write; res.on returns that stream.
            target = res.on('drain', probe)
            target.removeListener('drain', probe)
            res.removeListener('drain', probe)
          }
          observed.most = Math.max(observed.most, target.listenerCount('drain'))
        }
      },
      close() {
        const after = res.listeners('drain').filter((listener) => !before.includes(listener))
        observed.left = [target?.listenerCount('drain') ?? -1, after.length]
      },
    }
  }
}

/** GET the body (fetch gunzips it); its length. */
async function gunzippedLength(base: string): Promise<number> {
  const response = await fetch(base, { headers: { 'Accept-Encoding': 'gzip' } })
  expect(response.headers.get('content-encoding')).toBe('gzip')
  const raw = response.body
  if (raw === null) throw new Error('no body')
  let length = 0
  for await (const chunk of raw) length += (chunk as Uint8Array).length
  return length
}

describe('waiting for drain under compression() leaves no listener behind', () => {
  const warnings: Error[] = []
  const onWarning = (warning: Error): void => {
    warnings.push(warning)
  }
  beforeEach(() => {
    warnings.length = 0
    process.on('warning', onWarning)
  })
  afterEach(() => {
    process.off('warning', onWarning)
  })

  it.each([
    [
      'toExpress(app) after app.use(compression())',
      (app: WSGIApplication) => express().use(compression()).use(toExpress(app)),
    ],
    [
      'fromExpressMiddleware(compression()) under toExpress',
      (app: WSGIApplication) => express().use(toExpress(fromExpressMiddleware(compression())(app))),
    ],
  ])('%s', async (_name, build) => {
    const observed: Observed = { most: 0, left: [] }
    const base = await listen(build(bigApp(observed)))
    expect(await gunzippedLength(base)).toBe(CHUNK.length * CHUNKS)
    expect(observed.most).toBeLessThanOrEqual(1)
    expect(observed.left[0]).toBe(0)
    expect(observed.left[1]).toBeLessThanOrEqual(1)
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve))
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([])
  })
})
