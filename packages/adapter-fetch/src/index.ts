/**
 * `@wsgi/adapter-fetch`: fetch `Request`/`Response` handlers (Hono, Bun, Deno, Workers) ⇄ the
 * gateway interface, in both directions. Node-free: it runs wherever `fetch` does. The Hono forms
 * (`toHono`, `toHonoMiddleware`, `fromHonoMiddleware`) live in `@wsgi/adapter-fetch/hono`.
 *
 * @module
 */

// gateway application → fetch handler
export { toFetch } from './to-fetch.ts'
export type { GatewayFetchHandler, ToFetchOptions } from './to-fetch.ts'
export { runtimeRemoteAddress } from './remote-address.ts'
export type { RemoteAddressFn } from './remote-address.ts'
export { FetchHandler } from './fetch-handler.ts'
export type { FetchHandlerOptions } from './fetch-handler.ts'

// fetch handler → gateway application
export { fromFetch } from './from-fetch.ts'
export type { FromFetchOptions } from './from-fetch.ts'

// middleware across the border
export { FETCH_NEXT_KEY, toFetchMiddleware } from './to-fetch-middleware.ts'
export { fromFetchMiddleware } from './from-fetch-middleware.ts'
export type { FetchMiddleware, FetchNext } from './types.ts'

// shared
export { FETCH_CTX_KEY, FETCH_ENV_KEY, FETCH_REQUEST_KEY } from './types.ts'
export type { ExecutionContextLike, FetchRequestHandler } from './types.ts'
