/**
 * Server and gateway base classes. Port of Python's `wsgiref.handlers`: `BaseHandler` drives the
 * protocol, `SimpleHandler` runs it over streams, the CGI handlers run a CGI script. Beyond
 * wsgiref, `HostHandler` runs it for a host that takes a head and a body (Node's `res`, a
 * framework's reply, a fetch `Response`).
 *
 * @see {@link https://docs.python.org/3/library/wsgiref.html#module-wsgiref.handlers wsgiref.handlers}
 * @module
 */

export { BaseHandler, RESOLVED, formatDateTime } from './base-handler.ts'
export { HostHandler } from './host-handler.ts'
export { isNullBodyStatus, statusCode } from './status.ts'
export { SimpleHandler } from './simple-handler.ts'
export type { HandlerStderr, HandlerStdin } from './simple-handler.ts'
export { BaseCGIHandler, CGIHandler, IISCGIHandler, readEnviron } from './cgi-handler.ts'
