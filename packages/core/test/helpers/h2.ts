/**
 * The conformance package's HTTP/2 test scaffolding (an h2c or h2 server on 127.0.0.1, a client
 * session closed when the test ends, one request on it), for core's own tests.
 *
 * Imported by path rather than as `@wsgi/conformance`, for the reason `raw-http.ts` gives.
 *
 * @module
 */

export { h2Request, h2Session } from '../../../conformance/src/h2.ts'
