/**
 * The conformance package's scaffolding for unread request bodies (an app that answers without
 * reading, a fast upload, a trickle, curl), for core's own tests.
 *
 * Imported by path rather than as `@wsgi/conformance`, for the reason `raw-http.ts` gives.
 *
 * @module
 */

export * from '../../../conformance/src/upload.ts'
