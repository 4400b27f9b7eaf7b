/**
 * The conformance package's `http.server --cgi` scaffolding, for core's own tests.
 *
 * Imported by path rather than as `@wsgi/conformance`, for the reason `raw-http.ts` gives.
 *
 * @module
 */

export { startPythonCgi } from '../../../conformance/src/python-cgi.ts'
export type { PythonCgi } from '../../../conformance/src/python-cgi.ts'
