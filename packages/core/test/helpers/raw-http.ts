/**
 * The conformance package's raw HTTP client, for core's own tests.
 *
 * Imported by path rather than as `@wsgi/conformance`: conformance depends on core, so a
 * devDependency back on it made a workspace cycle (pnpm warns about it on every install). The
 * file needs nothing but `node:` modules, and the spec project references conformance's build,
 * so it is type-checked once, there.
 *
 * @module
 */

export { RawClient, exchange } from '../../../conformance/src/raw-http.ts'
