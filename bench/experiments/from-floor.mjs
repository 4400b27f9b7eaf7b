/**
 * The floor of the `from*` rows: the raw `node:http` handler of the baselines (no framework)
 * through `fromNodeListener` on the simple server. What is left is the simple server's layer
 * (environ, handler, access log) and the hand-over of the server's own request and response,
 * which every `from*` row pays before its framework runs. The yardstick for `fromExpress`,
 * `fromKoa` and `fromFastify` against raw `node:http` (`node`):
 *
 *   node bench/src/ab.mjs file://$PWD/bench/experiments/from-floor.mjs node hello echo
 *
 * @module
 */
import { fromNodeListener } from '@wsgi/core/node'

import { nodeHandler } from '../src/apps/native.mjs'
import { serveSimple } from '../src/stacks/node.mjs'

/** @returns {Promise<import('../src/stacks/index.mjs').Running>} */
export function start() {
  return serveSimple(fromNodeListener(nodeHandler))
}
