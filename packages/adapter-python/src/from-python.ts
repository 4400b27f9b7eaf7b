/**
 * A Python WSGI application (Flask, Bottle, any PEP 3333 callable) as a gateway application:
 * `fromPython('module:app', options)`, run inside Pyodide (CPython compiled to WebAssembly).
 *
 * @module
 */
import type { PyodideInterface } from 'pyodide'

import { WSGIError, describe, invalidArgType } from '@wsgi/core/errors'
import type {
  InputStream,
  ResponseBody,
  StartResponse,
  WSGIApplication,
  WSGIEnvironment,
} from '@wsgi/core/types'

import { acquire, interpreterOf, mountPaths, sharedPyodide } from './interpreter.ts'
import type { Bridge, Interpreter, PyObject } from './interpreter.ts'

/** Options of {@link fromPython}. */
export interface FromPythonOptions {
  /**
   * Host folders appended to Python's `sys.path`, in order: the project folder holding the
   * module, and a `site-packages`/`dist-packages` folder with its pure-Python dependencies.
   * Default: the current working directory, as gunicorn imports from there.
   */
  readonly paths?: readonly string[] | undefined
  /**
   * The Pyodide to run in (loaded by the caller with `loadPyodide()`, or its promise). Default:
   * one Pyodide per process, loaded at the first request and shared by every `fromPython` app.
   */
  readonly pyodide?: PyodideInterface | Promise<PyodideInterface> | undefined
  /** Wrap the app in Python's own `wsgiref.validate.validator`, its warnings made errors. */
  readonly validate?: boolean | undefined
  /**
   * Most request body bytes read into memory before the app is called; a larger body is
   * answered `413` (`ERR_WSGI_BODY_TOO_LARGE`) without calling the app. Default 10 MiB.
   */
  readonly maxBodySize?: number | undefined
}

/** The default of {@link FromPythonOptions.maxBodySize}: 10 MiB. */
export const DEFAULT_MAX_BODY_SIZE: number = 10 * 1024 * 1024

// gunicorn's `module:callable`: dotted module, optional dotted attribute path.
const SPEC = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*(:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*)?$/

interface Loaded {
  readonly interpreter: Interpreter
  readonly app: PyObject
}

/**
 * A Python WSGI application as a gateway application.
 *
 * The request body is read into memory (up to `maxBodySize`) before the app is called, because
 * synchronous Python cannot wait for a JavaScript stream; then the app runs with a real `dict`
 * environ, a Python `start_response` and `wsgi.input` as `io.BytesIO`. Its body is pulled one
 * chunk per server pull and its `close()` called exactly once. Requests go through the
 * interpreter one at a time, from the call to the body's `close()`.
 *
 * @example
 * ```ts
 * import { makeServer } from '@wsgi/core/simple-server'
 * import { fromPython } from '@wsgi/adapter-python'
 *
 * const app = fromPython('hello:app', { paths: ['.', '/usr/lib/python3/dist-packages'] })
 * const server = await makeServer('', 8000, app)
 * await server.serveForever()
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when `spec` is not `module` or `module:callable`.
 */
export function fromPython(spec: string, options: FromPythonOptions = {}): WSGIApplication {
  if (typeof spec !== 'string' || !SPEC.test(spec)) {
    throw invalidArgType(`spec must be "module:callable" (got ${describe(spec)})`)
  }
  const paths = options.paths ?? [process.cwd()]
  const limit = options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE
  let loading: Promise<Loaded> | undefined

  const load = async (): Promise<Loaded> => {
    const interpreter = interpreterOf(await (options.pyodide ?? sharedPyodide()))
    mountPaths(interpreter, paths)
    const app = interpreter.bridge.loadApp(spec, options.validate === true) as PyObject
    return { interpreter, app }
  }

  return async (environ: WSGIEnvironment, startResponse: StartResponse): Promise<ResponseBody> => {
    // Read before waiting for the interpreter, so a slow upload holds no other request back.
    const body = await readBody(environ, limit)
    // A failed import is retried by the next request (the file may have been fixed).
    loading ??= load().catch((error: unknown) => {
      loading = undefined
      throw error
    })
    const { interpreter, app } = await loading
    const release = await acquire(interpreter)
    let call: PyObject | undefined
    try {
      call = interpreter.bridge.Call(
        app,
        cgiVariables(environ),
        body,
        startResponse,
        environ['wsgi.errors'],
        environ['wsgi.multiprocess'],
        environ['wsgi.run_once'],
      ) as PyObject
      interpreter.bridge.start(call)
      return new PythonBody(interpreter.bridge, call, release)
    } catch (error) {
      try {
        if (call !== undefined) interpreter.bridge.close(call)
      } finally {
        call?.destroy()
        release()
      }
      throw error
    }
  }
}

// Every string entry: the CGI and HTTP_ variables and `wsgi.url_scheme` (latin-1 strings, which
// are PEP 3333's native strings as they are). Objects are rebuilt on the Python side.
function cgiVariables(environ: WSGIEnvironment): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(environ)) {
    if (typeof value === 'string') out[key] = value
  }
  return out
}

async function readBody(environ: WSGIEnvironment, limit: number): Promise<Uint8Array> {
  const tooLarge = (): WSGIError =>
    new WSGIError(
      'ERR_WSGI_BODY_TOO_LARGE',
      `The request body is larger than the limit of ${limit} bytes (maxBodySize)`,
    )
  const declared = Number(environ.CONTENT_LENGTH ?? '')
  if (declared > limit) throw tooLarge()
  const input: InputStream = environ['wsgi.input']
  const bytes = await input.read(limit + 1)
  if (bytes.length > limit) throw tooLarge()
  // A Node Buffer is a Uint8Array subclass Pyodide refuses to convert: hand it a plain view.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** The app's body iterable: one Python `next()` per pull, bytes copied out as they come. */
class PythonBody implements Iterable<Uint8Array>, Iterator<Uint8Array> {
  readonly #bridge: Bridge
  readonly #call: PyObject
  readonly #release: () => void
  #closed = false

  constructor(bridge: Bridge, call: PyObject, release: () => void) {
    this.#bridge = bridge
    this.#call = call
    this.#release = release
  }

  [Symbol.iterator](): Iterator<Uint8Array> {
    return this
  }

  next(): IteratorResult<Uint8Array> {
    const chunk = this.#bridge.next(this.#call)
    if (chunk === undefined) return { done: true, value: undefined }
    return { done: false, value: toBytes(chunk) }
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    try {
      this.#bridge.close(this.#call)
    } finally {
      this.#call.destroy()
      this.#release()
    }
  }
}

// Python `bytes` arrive as a proxy: copy them into a Uint8Array and free the proxy. Anything
// else (a `str` arrives as a JavaScript string) is passed on for the server to refuse.
function toBytes(chunk: unknown): Uint8Array {
  if (isBytesProxy(chunk)) {
    try {
      return chunk.toJs() as Uint8Array
    } finally {
      chunk.destroy()
    }
  }
  return chunk as Uint8Array
}

interface BytesProxy {
  readonly type: 'bytes'
  toJs(): unknown
  destroy(): void
}

function isBytesProxy(value: unknown): value is BytesProxy {
  return (
    typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'bytes'
  )
}
