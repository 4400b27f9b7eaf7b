/**
 * Bun: `Bun.serve` with the fetch handler (recipe in docs/deploy.md). Bun hands the server as
 * the second argument; toFetch's default reads REMOTE_ADDR from `server.requestIP(request)`.
 *
 * @module
 */
/* global Bun */
import { makeFetch } from './app.mjs'

const port = Number(process.env.PORT ?? 8000)
Bun.serve({ hostname: '127.0.0.1', port, fetch: makeFetch() })
console.log(`bun listening on http://127.0.0.1:${port}/`)
