/**
 * The raw `node:http` handler (`node`), answering inside the `'request'` event as it does, or,
 * with `?micro`, a microtask later. Shows what the CPU judge's in-memory connection adds to a
 * response written inside the event (about 2 µs) that a socket does not:
 *
 *   node src/cpu-judge-child.mjs <checkout> file:///…/deferred-raw.mjs hello 5 20000 20000 1
 *   node src/cpu-judge-child.mjs <checkout> file:///…/deferred-raw.mjs?micro hello 5 20000 20000 1
 *   node bench/src/ab.mjs file://$PWD/bench/experiments/deferred-raw.mjs \
 *     file://$PWD/bench/experiments/deferred-raw.mjs?micro hello
 *
 * @module
 */
import { nodeHandler } from '../src/apps/native.mjs'
import { serveListener } from '../src/stacks/node.mjs'

/** @returns {Promise<import('../src/stacks/index.mjs').Running>} */
export function start() {
  if (new URL(import.meta.url).search === '?micro') {
    return serveListener((req, res) => {
      queueMicrotask(() => {
        nodeHandler(req, res)
      })
    })
  }
  return serveListener(nodeHandler)
}
