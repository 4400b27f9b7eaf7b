/**
 * Whether fetch here is Node's own (undici), whose objects keep their state in symbol
 * properties and can be stood in for: the fast paths of the fetch bridge (a `Request` built on
 * demand, a light `Response`, a body taken from its source) are for that runtime only.
 *
 * @module
 */

interface Versions {
  undici?: string
  bun?: string
  deno?: string
}

/** True on Node: `process.versions.undici` is there, and this is neither Bun nor Deno. */
export function onUndici(): boolean {
  const versions = (globalThis as { process?: { versions?: Versions } }).process?.versions
  // Bun and Deno carry a `process.versions` too, with fetch implementations of their own.
  return versions?.undici !== undefined && versions.bun === undefined && versions.deno === undefined
}
