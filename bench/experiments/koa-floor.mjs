/**
 * The floor of a gateway mount in Koa: the least a Koa middleware can do to run a PEP 3333 app
 * per request (`floor-parts.mjs`: the environ, the body read whole, `startResponse`; then the
 * body and head handed to Koa through `ctx.body`, `ctx.status`, `ctx.message` and `ctx.set`),
 * with no validation, no handler object, no extension keys and no mount detection. Not a usable
 * bridge; the yardstick for `toKoa` (the `koa-to` stack) against Koa alone (`koa`):
 *
 *   node bench/src/ab.mjs file://$PWD/bench/experiments/koa-floor.mjs koa hello echo
 *
 * @module
 */
import Koa from 'koa'

import { serveListener } from '../src/stacks/node.mjs'
import { MOUNT } from '../src/workloads.mjs'
import { floorEnviron, runFloor } from './floor-parts.mjs'

/**
 * @param {Koa.Context} ctx
 * @returns {void | Promise<void>}
 */
function floor(ctx) {
  return runFloor(floorEnviron(ctx.req, MOUNT), (status, headers, body) => {
    // The bench app's bodies are arrays (hello, echo, upload) or a sync generator (download).
    const chunks = [.../** @type {Iterable<Uint8Array>} */ (body)]
    ctx.status = Number(status.slice(0, 3))
    ctx.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
    ctx.message = status.slice(4)
    for (const [name, value] of headers) ctx.set(name, value)
  })
}

/** @returns {Promise<import('../src/stacks/index.mjs').Running>} */
export async function start() {
  const koa = new Koa()
  koa.use(floor)
  return serveListener(koa.callback())
}
