/**
 * The CGI keys a test compares across gateways: the ones every server sets from the request line,
 * the body's head and the peer. Node-free and import-free, so core's own tests can take it by
 * path (core cannot depend on this package).
 *
 * @module
 */

/** The request's CGI keys, as `wsgiref` sets them for any request. */
export const REQUEST_CGI_KEYS: readonly string[] = [
  'REQUEST_METHOD',
  'SCRIPT_NAME',
  'PATH_INFO',
  'QUERY_STRING',
  'CONTENT_TYPE',
  'CONTENT_LENGTH',
  'SERVER_PROTOCOL',
  'REMOTE_ADDR',
]

/** The entries of `environ` under `keys` (absent ones as `undefined`), as a plain object. */
export function pickKeys(
  environ: Readonly<Record<string, unknown>>,
  keys: readonly string[],
): Record<string, unknown> {
  const view: Record<string, unknown> = {}
  for (const key of keys) view[key] = environ[key]
  return view
}
