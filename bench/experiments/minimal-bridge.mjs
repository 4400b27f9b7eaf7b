/**
 * The floor of the gateway interface: the least a PEP 3333 bridge can do per request (an environ
 * with the CGI keys and the `HTTP_*` headers, `startResponse`, the body read whole and written),
 * with no validation, no handler object and no extension keys. Not a usable bridge; a yardstick
 * for the simple server against raw `node:http` (`node`):
 *
 *   node bench/src/ab.mjs file://$PWD/bench/experiments/minimal-bridge.mjs node hello echo
 *
 * @module
 */
import { createServer } from 'node:http'

import { close, listen } from '../src/stacks/listen.mjs'
import { floorEnviron, runFloor } from './floor-parts.mjs'

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 */
function listener(req, res) {
  runFloor(floorEnviron(req, ''), (status, headers, body) => {
    const flat = []
    for (const [k, v] of headers) flat.push(k, v)
    res.writeHead(Number(status.slice(0, 3)), status.slice(4), flat)
    if (Array.isArray(body) && body.length === 1) res.end(body[0])
    else {
      for (const chunk of /** @type {Iterable<Uint8Array>} */ (body)) res.write(chunk)
      res.end()
    }
  })
}

/** @returns {Promise<import('../src/stacks/index.mjs').Running>} */
export async function start() {
  const server = createServer(listener)
  const port = await listen(server)
  return { port, close: () => close(server) }
}
