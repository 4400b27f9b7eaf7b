/**
 * A simple HTTP server for gateway applications. Port of Python's `wsgiref.simple_server`, on
 * `node:http`.
 *
 * `makeServer(host, port, app)` gives a listening {@link WSGIServer}; each request is handled by
 * a {@link WSGIRequestHandler}, which builds the environ (`getEnviron()`), runs the app through a
 * {@link ServerHandler} and writes one access-log line to stderr, in wsgiref's format.
 *
 * Differences from wsgiref, all Node's gifts: HTTP/1.1 with keep-alive, chunked request bodies,
 * `Expect: 100-continue` answered when the app reads its input, concurrent requests, and a
 * stricter request parser (llhttp: no bare LF line ends, no raw non-ASCII bytes in the target).
 *
 * One concern per file: `server.ts` ({@link WSGIServer}, {@link makeServer}), `request-handler.ts`
 * ({@link WSGIRequestHandler}, {@link ServerHandler}), `log.ts` ({@link LogStream}, the access-log
 * line's pieces), `version.ts` and `demo-app.ts`.
 *
 * @see {@link https://docs.python.org/3/library/wsgiref.html#module-wsgiref.simple_server wsgiref.simple_server}
 * @module
 */

export { serverVersion, softwareVersion, sysVersion } from './version.ts'
export { LogStream } from './log.ts'
export { ServerHandler, WSGIRequestHandler } from './request-handler.ts'
export type { RequestHandlerClass } from './request-handler.ts'
export { WSGIServer, makeServer } from './server.ts'
export type { MakeServerOptions, TLSOptions, WSGIServerClass } from './server.ts'
export { demoApp } from './demo-app.ts'
