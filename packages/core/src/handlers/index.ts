/**
 * Server and gateway base classes. Port of Python's `wsgiref.handlers`: `BaseHandler` drives the
 * protocol, `SimpleHandler` runs it over streams, the CGI handlers run a CGI script.
 *
 * @see {@link https://docs.python.org/3/library/wsgiref.html#module-wsgiref.handlers wsgiref.handlers}
 * @module
 */

export { BaseHandler, formatDateTime } from './base-handler.ts'
export { SimpleHandler } from './simple-handler.ts'
export type { HandlerStderr, HandlerStdin } from './simple-handler.ts'
export { BaseCGIHandler, CGIHandler, IISCGIHandler, readEnviron } from './cgi-handler.ts'
