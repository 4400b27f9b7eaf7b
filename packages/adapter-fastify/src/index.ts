/**
 * Fastify ⇄ WSGI gateway interface, in both directions.
 *
 * @module
 */
export {}
