/**
 * fetch Request/Response handlers (Hono, Bun, Deno, Workers) ⇄ WSGI gateway interface.
 *
 * @module
 */
export {}
