/**
 * The application every runtime script serves, from the built dist of @wsgi/core and
 * @wsgi/adapter-fetch (what a user's project imports), so the deploy recipes in docs/deploy.md
 * run here as written:
 *
 * - `/gw/*`: a gateway application through `toFetch` (hello with REMOTE_ADDR, a streamed echo of
 *   the request body, and a slow and a fast stream whose `close()` calls are counted);
 * - `/rt/*`: a Hono app through a round trip, `toFetch(fromFetch(hono.fetch))`;
 * - `/closes`: how many times each body's `close()` ran, as JSON.
 *
 * @module
 */
import { Hono } from 'hono'

import { fromFetch, toFetch } from '@wsgi/adapter-fetch'

const encoder = new TextEncoder()

/** `close()` calls of the slow bodies, by request id (`/gw/slow?id=…`). */
const closes = {}

/** A body that yields a chunk every 2 ms, up to 2,000 chunks, and counts its `close()` calls. */
function slowBody(id) {
  let sent = 0
  closes[id] = 0
  return {
    async *[Symbol.asyncIterator]() {
      while (sent < 2000) {
        sent += 1
        yield encoder.encode(`chunk ${sent}\n`)
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
    },
    close() {
      closes[id] += 1
    },
  }
}

/**
 * A body that yields 64 KiB chunks as fast as they are read (at most 1 GiB), counting its
 * `close()` calls: a client that goes away meets the runtime in the middle of a write.
 */
function fastBody(id) {
  let sent = 0
  closes[id] = 0
  const chunk = new Uint8Array(65536).fill(0x61)
  return {
    *[Symbol.iterator]() {
      while (sent < 16384) {
        sent += 1
        yield chunk
      }
    },
    close() {
      closes[id] += 1
    },
  }
}

/** The gateway application. */
export function gatewayApp(environ, startResponse) {
  const path = environ.PATH_INFO
  if (path === '/hello') {
    startResponse('200 OK', [['Content-Type', 'text/plain']])
    return [encoder.encode(`hello ${environ.REMOTE_ADDR ?? '-'} ${environ.REQUEST_METHOD}`)]
  }
  if (path === '/echo') {
    startResponse('200 OK', [['Content-Type', 'application/octet-stream']])
    const input = environ['wsgi.input']
    return (async function* echo() {
      for (;;) {
        const chunk = await input.read(16384)
        if (chunk.length === 0) return
        yield chunk
      }
    })()
  }
  if (path === '/slow' || path === '/fast') {
    const id = new URLSearchParams(environ.QUERY_STRING).get('id') ?? path
    startResponse('200 OK', [['Content-Type', 'text/plain']])
    return path === '/slow' ? slowBody(id) : fastBody(id)
  }
  startResponse('404 Not Found', [['Content-Type', 'text/plain']])
  return [encoder.encode('not found')]
}

/** The Hono app of the round trip. */
export const hono = new Hono()
hono.get('/rt/hello', (c) => c.text(`hono ${c.req.header('x-test') ?? ''}`))
hono.post('/rt/echo', (c) => new Response(c.req.raw.body))

/**
 * The runtime's fetch handler. `options.remoteAddress` is passed to toFetch when given (the
 * runtimes' own addresses are found by toFetch's default).
 */
export function makeFetch(options = {}) {
  const gateway = toFetch(gatewayApp, { scriptName: '/gw', ...options })
  const roundTrip = toFetch(fromFetch(hono.fetch), options)
  return (request, env, ctx) => {
    const path = new URL(request.url).pathname
    if (path === '/closes') return Response.json(closes)
    if (path.startsWith('/rt/')) return roundTrip(request, env, ctx)
    return gateway(request, env, ctx)
  }
}
