/**
 * `toFastify`'s route sends a synchronous app's answer at once, as a sync Fastify route does,
 * instead of returning a promise for Fastify to wait on. Fastify's own tracing channel tells the
 * two apart; the raw bytes, hook order and logging must not.
 */
import { tracingChannel } from 'node:diagnostics_channel'

import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'

import type { StartResponse, WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'

import { listenFastify, rawRequest } from '../test/helpers.ts'
import { toFastify } from './to-fastify.ts'

const channel = tracingChannel<unknown, { async: boolean }>('fastify.request.handler')

let stores: { async: boolean }[] = []
const onEnd = (store: { async: boolean }): void => {
  stores.push(store)
}
const subscribers = {
  start: () => undefined,
  end: onEnd,
  asyncStart: () => undefined,
  asyncEnd: () => undefined,
  error: () => undefined,
}

afterEach(() => {
  channel.unsubscribe(subscribers)
  stores = []
})

const syncApp: WSGIApplication = (environ: WSGIEnvironment, startResponse: StartResponse) => {
  startResponse('201 Created', [
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['X-Path', String(environ.PATH_INFO)],
    ['Set-Cookie', 'a=1'],
    ['Set-Cookie', 'b=2'],
  ])
  return [Buffer.from('made')]
}
// The same answer, after a turn of the event loop.
const asyncApp: WSGIApplication = async (environ, startResponse) => {
  await new Promise((resolve) => setImmediate(resolve))
  return syncApp(environ, startResponse)
}

/** Serve `app` under `/m` with hooks that record their order, and GET `target` raw. */
async function exchange(app: WSGIApplication, target: string): Promise<[string, string[]]> {
  const fastify = Fastify()
  const order: string[] = []
  fastify.addHook('onSend', async (_request, reply, payload) => {
    order.push(`onSend ${typeof payload === 'string' ? 'string' : 'buffer'}`)
    reply.header('x-hook', 'seen')
    return payload
  })
  fastify.addHook('onResponse', async (_request, reply) => {
    order.push(`onResponse ${reply.statusCode}`)
  })
  await fastify.register(toFastify(app), { prefix: '/m' })
  const base = await listenFastify(fastify)
  channel.subscribe(subscribers)
  const text = await rawRequest(
    base,
    `GET ${target} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`,
  )
  channel.unsubscribe(subscribers)
  return [text.replace(/\r\nDate: [^\r]*/, '\r\nDate: -'), order]
}

describe('toFastify and a synchronous app', () => {
  it('answers from the route itself: Fastify sees a sync handler (an async app: a promise)', async () => {
    await exchange(syncApp, '/m/x')
    expect(stores.map((store) => store.async)).toEqual([false])
    stores = []
    await exchange(asyncApp, '/m/x')
    expect(stores.map((store) => store.async)).toEqual([true])
  })

  it('sends the same bytes, and runs the hooks in the same order, as for an async app', async () => {
    const [syncBytes, syncOrder] = await exchange(syncApp, '/m/a%20b?q=1')
    const [asyncBytes, asyncOrder] = await exchange(asyncApp, '/m/a%20b?q=1')
    expect(syncBytes).toBe(asyncBytes)
    expect(syncBytes).toMatch(/^HTTP\/1.1 201 Created\r\n/)
    expect(syncBytes).toContain('\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n')
    expect(syncBytes).toContain('\r\nx-hook: seen\r\n')
    expect(syncBytes.endsWith('\r\n\r\nmade')).toBe(true)
    expect(syncOrder).toEqual(asyncOrder)
    expect(syncOrder).toEqual(['onSend buffer', 'onResponse 201'])
  })
})
