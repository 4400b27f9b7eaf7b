/**
 * A bad header from a gateway app under Fastify: `startResponse` refuses it at the call, and
 * Fastify's logger gets the `ERR_WSGI_*` code: as the `code` of the error it logs (the app's own
 * error with `exposeErrors`, else the generic 500 whose `cause` it is).
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
  msg?: string
  err?: { code?: string; message?: string; stack?: string }
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
  it('logs the code, and keeps the message from the client', async () => {
    const { fastify, entries } = loggedFastify()
    await fastify.register(toFastify(euro))
    const base = await listenFastify(fastify)
    const response = await fetch(`${base}/`)
    expect(response.status).toBe(500)
    expect(await response.text()).not.toContain('X-Price')
    await expect.poll(() => entries.length).toBeGreaterThan(0)
    expect(entries[0]?.err?.code).toBe('ERR_WSGI_NOT_LATIN1')
    expect(entries[0]?.err?.stack).toContain('WSGIError [ERR_WSGI_NOT_LATIN1]: Header')
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
