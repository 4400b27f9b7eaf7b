/**
 * Cloudflare Workers (workerd): the module worker (recipe in docs/deploy.md), bundled with
 * esbuild into one file that `workerd.capnp` embeds. workerd tells the client's address in no
 * argument; behind Cloudflare the `CF-Connecting-IP` header carries it (set by Cloudflare's edge,
 * so trust it only there). Here the runner's client sends it itself.
 *
 * @module
 */
import { makeFetch } from './app.mjs'

export default {
  fetch: makeFetch({
    remoteAddress: (request) => request.headers.get('cf-connecting-ip') ?? undefined,
  }),
}
