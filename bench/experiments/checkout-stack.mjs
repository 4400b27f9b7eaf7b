/**
 * A stack of this checkout, by its id after `?`: `file:///<checkout>/bench/experiments/
 * checkout-stack.mjs?hono-from`. `ab.mjs` takes stack ids of its own checkout only; through this
 * module it compares the same stack of two checkouts on sockets (a `git worktree` of an older
 * commit, with its own install and build, and this file copied into it if it predates it):
 *
 *   node bench/src/ab.mjs file://$PWD/bench/experiments/checkout-stack.mjs?hono-from \
 *     file:///tmp/base/bench/experiments/checkout-stack.mjs?hono-from hello --rounds 5
 *
 * For changes the CPU judge cannot measure (see the judge in bench/README.md).
 *
 * @module
 */
import { startStack } from '../src/stacks/index.mjs'

/** @returns {Promise<import('../src/stacks/index.mjs').Running>} */
export async function start() {
  const started = await startStack(new URL(import.meta.url).search.slice(1))
  if (!('port' in started)) throw new Error('checkout-stack.mjs serves socket stacks only')
  return started
}
