/**
 * The live heap every bench server holds before it starts its stack, so that no row measures
 * where V8's collector heuristics happen to put a process of its size.
 *
 * Why: during an upload, Node's HTTP parser hands each body chunk over in a new `ArrayBuffer`,
 * and V8 starts incremental marking again and again in a process whose live heap sits between
 * about 8 and 11 MiB (the size below which it never marks and the size from which its next
 * limit leaves room). Measured on Node 20 with 256 MiB uploads: the raw `node:http` handler at
 * 4.4 MiB of live heap ran 0 mark-compacts and 0.07–0.10 s of CPU; the same handler holding
 * 4–5 MiB more (8.5–9.7 MiB live) ran 11–16 mark-compacts and 0.12–0.26 s; at 11.7 MiB and above
 * (up to 34 MiB tried) it was back to 1 and 0.07–0.10 s. The Express stacks (8.3–8.7 MiB live)
 * landed in that band and the Koa and Fastify ones (7.5–8.0 MiB) did not, which is what the
 * `toExpress`/`fromExpress` upload rows had been measuring. Any real application holds more than
 * this, so every server is given the same ballast to sit well above the band.
 *
 * @module
 */

/** The environment variable that sets the ballast, in MiB (0 for none). */
export const HEAP_ENV = 'WSGI_BENCH_HEAP_MIB'

/** The default ballast: 16 MiB puts the smallest server (raw `node:http`) near 20 MiB. */
export const HEAP_MIB = 16

/** @type {unknown[]} */
const held = []

/**
 * Hold about `mib` MiB of live objects for the life of the process (small objects, as an
 * application's state is, so they live in V8's old space and not in its large-object space).
 *
 * @param {number} mib
 * @returns {number} the growth of `heapUsed` it caused, in bytes
 */
export function holdHeap(mib) {
  const target = mib * 1024 * 1024
  const start = process.memoryUsage().heapUsed
  let grown = 0
  for (let n = 0; grown < target; n++) {
    const block = Array.from({ length: 1024 }, (_, i) => ({ n, i, text: `${n}:${i}` }))
    held.push(block)
    grown = process.memoryUsage().heapUsed - start
  }
  return grown
}
