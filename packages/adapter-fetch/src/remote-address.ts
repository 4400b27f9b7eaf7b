/**
 * The client's address of a fetch `Request`, which no `Request` carries: each runtime tells it
 * in its own way, beside the request. `toFetch` puts it in `REMOTE_ADDR`.
 *
 * @module
 */
import { describe, invalidArgType } from '@wsgi/core/errors'

/**
 * Finds the client's address of a request: `(request, env) => address | undefined`, where `env`
 * is the second argument the runtime passed to the fetch handler (Hono's `c.env`).
 */
export type RemoteAddressFn = (request: Request, env: unknown) => string | undefined

// Each member below is read by its name at its own place in the code (`object(env)?.['x']`),
// not through a helper taking the key: a read by a computed key is a slow lookup on every request.
function object(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)
    : undefined
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * The address the runtime read off the connection, found by the shape of `env` (never from a
 * header, which any client can send):
 *
 * - Bun: `env` is the `Server`, and `server.requestIP(request)?.address` (only for the `Request`
 *   Bun made: one rebuilt by a router gives nothing);
 * - Deno: `env` is the handler info of `Deno.serve`, and `info.remoteAddr.hostname`;
 * - AWS Lambda through Hono's `handle(app)`: the API Gateway event's `requestContext`, as
 *   `env.requestContext.http.sourceIp` (HTTP API, v2) or `.identity.sourceIp` (REST API, v1);
 * - `@hono/node-server`: `env.incoming.socket.remoteAddress`.
 *
 * Anywhere else (workerd, which tells no address; a test's `app.request()`) it gives
 * `undefined`, and `REMOTE_ADDR` is left out.
 */
export function runtimeRemoteAddress(request: Request, env: unknown): string | undefined {
  const runtime = object(env)
  if (runtime === undefined) return undefined
  const requestIP = runtime['requestIP']
  if (typeof requestIP === 'function') {
    try {
      const address: unknown = (requestIP as (r: Request) => unknown).call(env, request)
      return text(object(address)?.['address'])
    } catch {
      // Bun throws for a Request it did not make: then the address is not known.
      return undefined
    }
  }
  const remoteAddr = runtime['remoteAddr']
  if (remoteAddr !== undefined) return text(object(remoteAddr)?.['hostname'])
  const lambda = runtime['requestContext']
  if (lambda !== undefined) {
    const context = object(lambda)
    return (
      text(object(context?.['http'])?.['sourceIp']) ??
      text(object(context?.['identity'])?.['sourceIp'])
    )
  }
  return text(object(object(runtime['incoming'])?.['socket'])?.['remoteAddress'])
}

/** `options.remoteAddress` checked, or the default (for `toFetch`/`toHono`; not exported by the index). */
export function remoteAddressOption(value: unknown): RemoteAddressFn {
  if (value === undefined) return runtimeRemoteAddress
  if (typeof value !== 'function') {
    throw invalidArgType(`options.remoteAddress must be a function (got ${describe(value)})`)
  }
  return value as RemoteAddressFn
}
