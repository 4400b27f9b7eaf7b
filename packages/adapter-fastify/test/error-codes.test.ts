/**
 * A bad header from a gateway app under Fastify: `startResponse` refuses it at the call, and
 * Fastify's logger gets the `ERR_WSGI_*` code with the app's own message: from Fastify's error
 * handler with `exposeErrors`; else in an entry of the handler's own (the app's error), beside
 * Fastify's entry for the generic 500, which carries the code and nothing of the app's message.
 *
 * @module
 */
import { Writable } from 'node:stream'

import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'

import type { WSGIApplication } from '@wsgi/core/types'

import { toFastify } from '../src/to-fastify.ts'

import { listenFastify } from './helpers.ts'

const euro: WSGIApplication = (_environ, startResponse) => {
  startResponse('200 OK', [['X-Price', '10 €']])
  return [new TextEncoder().encode('not sent')]
}

interface Entry {
  level: number
  reqId?: string
  code?: string
  msg?: string
  err?: { type?: string; code?: string; message?: string; stack?: string }
}

/** A Fastify instance whose log entries (pino JSON lines) are collected. */
function loggedFastify(): { fastify: FastifyInstance; entries: Entry[] } {
  const entries: Entry[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') entries.push(JSON.parse(line) as Entry)
      }
      done()
    },
  })
  const fastify: FastifyInstance = Fastify({ logger: { level: 'error', stream } })
  return { fastify, entries }
}

describe("a bad response header under Fastify's logger", () => {
  it("logs the app's error once, with its code and a clean message, and keeps it from the client", async () => {
    const { fastify, entries } = loggedFastify()
    await fastify.register(toFastify(euro))
    const base = await listenFastify(fastify)
    const response = await fetch(`${base}/`)
    expect(response.status).toBe(500)
    const body = await response.text()
    expect(body).not.toContain('X-Price')
    expect(body).not.toContain('U+20AC')
    // Fastify's own entry for the 500 comes last: the handler logs the app's error before it.
    await expect.poll(() => entries.some((e) => e.msg?.startsWith('A server error'))).toBe(true)
    const own = entries.filter((e) => JSON.stringify(e).includes('X-Price'))
    expect(own).toHaveLength(1)
    expect(own[0]).toMatchObject({ level: 50, code: 'ERR_WSGI_NOT_LATIN1' })
    expect(own[0]?.msg).toMatch(/^Header 'X-Price' value holds U\+20AC/)
    expect(own[0]?.err).toMatchObject({ type: 'WSGIError', code: 'ERR_WSGI_NOT_LATIN1' })
    expect(own[0]?.err?.message).toMatch(/^Header 'X-Price' value holds U\+20AC/)
    expect(own[0]?.err?.stack).toContain('X-Price')
    // Fastify's entry: the code and the request id, and the generic message with nothing after it.
    const generic = entries.find((e) => e.msg?.startsWith('A server error'))
    expect(generic?.err?.code).toBe('ERR_WSGI_NOT_LATIN1')
    expect(generic?.err?.message).toBe(
      'A server error occurred.  Please contact the administrator.',
    )
    expect(generic?.reqId).toBe(own[0]?.reqId)
  })

  it("with exposeErrors logs the app's own error: its code and a clean message", async () => {
    const { fastify, entries } = loggedFastify()
    await fastify.register(toFastify(euro, { exposeErrors: true }))
    const base = await listenFastify(fastify)
    expect((await fetch(`${base}/`)).status).toBe(500)
    await expect.poll(() => entries.length).toBeGreaterThan(0)
    expect(entries[0]?.err?.code).toBe('ERR_WSGI_NOT_LATIN1')
    expect(entries[0]?.err?.message).toMatch(/^Header 'X-Price' value holds U\+20AC/)
    expect(entries[0]?.msg).toMatch(/^Header 'X-Price' value holds U\+20AC/)
  })
})
