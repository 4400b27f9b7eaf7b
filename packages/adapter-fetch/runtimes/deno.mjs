/**
 * Deno: `Deno.serve` with the fetch handler (recipe in docs/deploy.md). Deno hands the
 * connection info as the second argument; toFetch's default reads REMOTE_ADDR from
 * `info.remoteAddr.hostname`.
 *
 * @module
 */
/* global Deno */
import { makeFetch } from './app.mjs'

const port = Number(Deno.env.get('PORT') ?? 8000)
Deno.serve({ hostname: '127.0.0.1', port }, makeFetch())
