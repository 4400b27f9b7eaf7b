/**
 * The starting shape of a `FetchHandler` environ: every key a fetch request's environ always
 * has, in one order, so that V8 keeps it a fast object.
 *
 * Why: built key by key from `{}`, the computed `HTTP_*` keys (keyed stores past a dozen
 * out-of-object properties) turned each environ into a slow dictionary: every store a hash
 * insert, every read by the app a hash lookup, and more garbage per request. Core's Node bridge
 * does the same for its own keys (`newEnviron` in core's `node/handler-support.ts`).
 *
 * @module
 */
/**
 * A constructor, not an object literal: V8 never pretenures a constructor's objects (see the
 * note on core's `EnvironShape`), and its in-object room covers the keys added after these.
 * Its prototype is `Object.prototype`: the environ stays a plain object.
 */
const FetchEnvironShape = function (this: Record<string, unknown>): void {
  this['REQUEST_METHOD'] = undefined
  this['SCRIPT_NAME'] = undefined
  this['PATH_INFO'] = undefined
  this['QUERY_STRING'] = undefined
  this['REQUEST_URI'] = undefined
  this['SERVER_NAME'] = undefined
  this['SERVER_PORT'] = undefined
  this['SERVER_PROTOCOL'] = undefined
  this['wsgi.input_terminated'] = undefined
  this['wsgits.fetch_request'] = undefined
  this['wsgi.input'] = undefined
  this['wsgi.errors'] = undefined
  this['wsgi.version'] = undefined
  this['wsgi.run_once'] = undefined
  this['wsgi.url_scheme'] = undefined
  this['wsgi.multithread'] = undefined
  this['wsgi.multiprocess'] = undefined
  this['wsgi.file_wrapper'] = undefined
} as unknown as new () => Record<string, unknown>
FetchEnvironShape.prototype = Object.prototype

/** A new environ with the keys of {@link FetchEnvironShape}, all still undefined. */
export function newFetchEnviron(): Record<string, unknown> {
  return new FetchEnvironShape()
}

/**
 * Remove the keys of {@link newFetchEnviron} that a hook left unset (a subclass's `addCgiVars`,
 * no `wsgiFileWrapper`), so that no key holds `undefined`. Each key is named: a loop over computed
 * keys would cost more than the shape saves.
 */
export function dropUnsetFetch(env: Record<string, unknown>): void {
  if (env['REQUEST_METHOD'] === undefined) delete env['REQUEST_METHOD']
  if (env['SCRIPT_NAME'] === undefined) delete env['SCRIPT_NAME']
  if (env['PATH_INFO'] === undefined) delete env['PATH_INFO']
  if (env['QUERY_STRING'] === undefined) delete env['QUERY_STRING']
  if (env['REQUEST_URI'] === undefined) delete env['REQUEST_URI']
  if (env['SERVER_NAME'] === undefined) delete env['SERVER_NAME']
  if (env['SERVER_PORT'] === undefined) delete env['SERVER_PORT']
  if (env['SERVER_PROTOCOL'] === undefined) delete env['SERVER_PROTOCOL']
  if (env['wsgi.input_terminated'] === undefined) delete env['wsgi.input_terminated']
  if (env['wsgits.fetch_request'] === undefined) delete env['wsgits.fetch_request']
  if (env['wsgi.input'] === undefined) delete env['wsgi.input']
  if (env['wsgi.errors'] === undefined) delete env['wsgi.errors']
  if (env['wsgi.version'] === undefined) delete env['wsgi.version']
  if (env['wsgi.run_once'] === undefined) delete env['wsgi.run_once']
  if (env['wsgi.url_scheme'] === undefined) delete env['wsgi.url_scheme']
  if (env['wsgi.multithread'] === undefined) delete env['wsgi.multithread']
  if (env['wsgi.multiprocess'] === undefined) delete env['wsgi.multiprocess']
  if (env['wsgi.file_wrapper'] === undefined) delete env['wsgi.file_wrapper']
}
