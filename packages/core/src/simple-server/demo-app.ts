/**
 * wsgiref's `demo_app`: the environ, printed as Python would print it.
 *
 * @module
 */
import type { StartResponse, WSGIEnvironment } from '../types.ts'
import { repr } from '../_internal/python.ts'

/**
 * The demo application: `Hello world!`, a blank line, then `key = repr(value)` for every environ
 * key in sorted order, as UTF-8 text. Port of wsgiref's `demo_app`.
 *
 * Values print as Python would print them: strings quoted and escaped, `True`/`False`/`None`,
 * `(1, 0)` for `wsgi.version`, and objects as `<ClassName>`.
 */
export function demoApp(environ: WSGIEnvironment, startResponse: StartResponse): Uint8Array[] {
  let text = 'Hello world!\n\n'
  const env = environ as Record<string, unknown>
  for (const key of Object.keys(env).sort()) text += `${key} = ${repr(env[key])}\n`
  startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']])
  return [new TextEncoder().encode(text)]
}
