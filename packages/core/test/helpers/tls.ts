/**
 * The conformance package's HTTPS scaffolding (a self-signed certificate for 127.0.0.1, a GET over
 * a real https client), for core's own tests.
 *
 * Imported by path rather than as `@wsgi/conformance`, for the reason `raw-http.ts` gives.
 *
 * @module
 */

export { httpsGetText, selfSignedCert } from '../../../conformance/src/tls.ts'
