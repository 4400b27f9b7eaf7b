/**
 * The Hono application of the benchmark: the four workloads as Hono routes below `/m`. It is the
 * baseline on `@hono/node-server`, and the fetch app `fromFetch(hono.fetch)` wraps.
 *
 * @module
 */
import { Hono } from 'hono'

import { HELLO_TEXT, MOUNT, chunkStream, downloadSize } from '../workloads.mjs'
import { countStream } from './native.mjs'

/**
 * The native Hono app.
 *
 * @returns {Hono}
 */
export function honoApp() {
  const app = new Hono()
  app.get(`${MOUNT}/hello`, (c) => c.text(HELLO_TEXT))
  app.post(`${MOUNT}/echo`, async (c) => {
    const body = await c.req.arrayBuffer()
    return c.body(body, 200, { 'content-type': 'application/octet-stream' })
  })
  app.put(`${MOUNT}/upload`, async (c) => c.text(String(await countStream(c.req.raw.body))))
  app.get(`${MOUNT}/download`, (c) => {
    const url = c.req.url
    const q = url.indexOf('?')
    const n = downloadSize(q < 0 ? '' : url.slice(q + 1))
    return c.body(chunkStream(n), 200, {
      'content-type': 'application/octet-stream',
      'content-length': String(n),
    })
  })
  return app
}
