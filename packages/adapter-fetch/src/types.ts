/**
 * Types shared by both directions of the fetch bridge.
 *
 * @module
 */

/**
 * A fetch handler: `(request, ...rest) => Response`, as `app.fetch` of Hono, itty-router's
 * `fetch`, the Remix and SvelteKit request handlers, and the `fetch` export of a Worker, Bun or
 * Deno server.
 *
 * The rest parameters are what the runtime hands over besides the request: on Workers and Hono
 * the `env` bindings and the execution context. They are typed `never` here so that any handler
 * is accepted whatever it declares for them.
 */
export type FetchRequestHandler = (
  request: Request,
  ...rest: never[]
) => Response | Promise<Response>

/**
 * The part of a Workers-style execution context (`ExecutionContext` in Hono and Cloudflare's
 * types) that a handler may call.
 */
export interface ExecutionContextLike {
  /** Keep the runtime working on `promise` after the response was returned. */
  waitUntil(promise: Promise<unknown>): void
  /** On Workers: on an exception, forward the request to the origin instead of failing. */
  passThroughOnException(): void
}

/** Environ key of the `env` bindings a fetch runtime handed `toFetch` (Hono's `c.env`). */
export const FETCH_ENV_KEY = 'wsgits.fetch_env' as const

/** Environ key of the execution context a fetch runtime handed `toFetch` (`waitUntil`). */
export const FETCH_CTX_KEY = 'wsgits.fetch_ctx' as const

/** What a fetch middleware calls to run the rest of the chain; the request defaults to its own. */
export type FetchNext = (request?: Request) => Promise<Response>

/**
 * A fetch middleware: gets the request and `next`, gives a response. The shape of itty-router,
 * HatTip and most `Request`/`Response` pipelines; `env` and `ctx` are the runtime's extras.
 */
export type FetchMiddleware = (
  request: Request,
  next: FetchNext,
  env?: unknown,
  ctx?: unknown,
) => Response | Promise<Response>

/**
 * Environ key of the `Request` a fetch runtime handed `toFetch`: what the runtime knows of the
 * request beyond the environ (`request.cf` on Workers, the object Bun's `server.requestIP()`
 * takes). A `fromFetch` further in hands this very `Request` to its handler while the environ
 * still matches it.
 */
export const FETCH_REQUEST_KEY = 'wsgits.fetch_request' as const
