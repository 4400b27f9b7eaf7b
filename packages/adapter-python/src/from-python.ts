/**
 * A Python WSGI application (Flask, Bottle, any PEP 3333 callable) as a gateway application:
 * `fromPython('module:app', options)`, run inside Pyodide (CPython compiled to WebAssembly).
 *
 * @module
 */
import { WSGIError, describe, invalidArgType } from '@wsgi/core/errors'
import type {
  HeaderList,
  ResponseBody,
  StartResponse,
  Status,
  WriteCallable,
  WSGIApplication,
  WSGIEnvironment,
} from '@wsgi/core/types'

import { READ_WINDOW, sharedInterpreter } from './interpreter.ts'
import type { Host, PythonInterpreter } from './interpreter.ts'

/** Options of {@link fromPython}. */
export interface FromPythonOptions {
  /**
   * Host folders appended to Python's `sys.path`, in order: the project folder holding the
   * module, and a `site-packages`/`dist-packages` folder with its pure-Python dependencies.
   * Default: the current working directory, as gunicorn imports from there.
   */
  readonly paths?: readonly string[] | undefined
  /**
   * The interpreter to run in (`new PythonInterpreter({ stderr })`). Default: the process's
   * shared one ({@link sharedInterpreter}), started at the first request.
   */
  readonly interpreter?: PythonInterpreter | undefined
  /** Wrap the app in Python's own `wsgiref.validate.validator`, its warnings made errors. */
  readonly validate?: boolean | undefined
  /**
   * Most request body bytes the app may read: a larger declared `Content-Length` is answered
   * `413` (`ERR_WSGI_BODY_TOO_LARGE`) without calling the app, and a read past it fails (413
   * unless the head is out). Default: no limit (the body is streamed, never held whole).
   */
  readonly maxBodySize?: number | undefined
}

// gunicorn's `module:callable`: dotted module, optional dotted attribute path.
const SPEC = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*(:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*)?$/

interface Loaded {
  readonly interpreter: PythonInterpreter
  readonly app: number
}

/**
 * A Python WSGI application as a gateway application.
 *
 * Python runs in a worker thread (one interpreter per process, shared): the app gets a real
 * `dict` environ, a Python `start_response` and a `wsgi.input` whose reads block the worker
 * until the main thread has read that much of the request body, never more than 64 KiB ahead
 * of what Python asked for. Its body is pulled one chunk per server pull and its `close()`
 * called exactly once. Requests go through the interpreter one at a time, from the call to the
 * body's `close()`; the main event loop stays free meanwhile.
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
  const limit = options.maxBodySize
  let loading: Promise<Loaded> | undefined

  const load = async (): Promise<Loaded> => {
    const interpreter = options.interpreter ?? sharedInterpreter()
    const app = await interpreter.loadApp(spec, options.validate === true, paths)
    return { interpreter, app }
  }
  // A failed import is retried by the next request (the file may have been fixed), and so is
  // the load into an interpreter whose worker has stopped since (the shared one is replaced).
  const loaded = async (): Promise<Loaded> => {
    const current = await (loading ??= load().catch((error: unknown) => {
      loading = undefined
      throw error
    }))
    if (!current.interpreter.stopped || options.interpreter !== undefined) return current
    loading = undefined
    return loaded()
  }

  return async (environ: WSGIEnvironment, startResponse: StartResponse): Promise<ResponseBody> => {
    if (limit !== undefined && Number(environ.CONTENT_LENGTH ?? '') > limit) throw tooLarge(limit)
    const { interpreter, app } = await loaded()
    const call = new Call(interpreter, environ, startResponse, limit)
    const release = await interpreter.acquire(call)
    call.release = release
    try {
      await interpreter.request({
        op: 'call',
        app,
        cgi: cgiVariables(environ),
        multiprocess: environ['wsgi.multiprocess'],
        runOnce: environ['wsgi.run_once'],
      })
    } catch (error) {
      await call.close()
      throw call.failure(error)
    }
    return call
  }
}

function tooLarge(limit: number): WSGIError {
  return new WSGIError(
    'ERR_WSGI_BODY_TOO_LARGE',
    `The request body is larger than the limit of ${limit} bytes (maxBodySize)`,
  )
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

/**
 * One request in the interpreter: the host answering the worker's questions (body reads,
 * `start_response`, `wsgi.errors`), then the response body, one Python `next()` per pull.
 */
class Call implements Host, AsyncIterableIterator<Uint8Array> {
  readonly errors: WSGIEnvironment['wsgi.errors']
  release: () => void = () => undefined
  readonly #interpreter: PythonInterpreter
  readonly #environ: WSGIEnvironment
  readonly #startResponse: StartResponse
  readonly #limit: number | undefined
  #write: WriteCallable | undefined
  #read = 0
  // What the server refused (a body read, a head): rethrown in place of Python's echo of it.
  #serverError: unknown
  #closed = false

  constructor(
    interpreter: PythonInterpreter,
    environ: WSGIEnvironment,
    startResponse: StartResponse,
    limit: number | undefined,
  ) {
    this.#interpreter = interpreter
    this.#environ = environ
    this.#startResponse = startResponse
    this.#limit = limit
    this.errors = environ['wsgi.errors']
  }

  async read(size: number): Promise<Uint8Array> {
    try {
      const bytes = await this.#environ['wsgi.input'].read(Math.min(size, READ_WINDOW))
      this.#read += bytes.length
      if (this.#limit !== undefined && this.#read > this.#limit) throw tooLarge(this.#limit)
      return bytes
    } catch (error) {
      this.#serverError ??= error
      throw error
    }
  }

  startResponse(status: unknown, headers: unknown, exc: string | undefined): void {
    if (exc !== undefined) {
      // Refused once the head is out: Python raises the app's own error then (PEP 3333).
      this.#write = this.#startResponse(status as Status, headers as HeaderList, new Error(exc))
      return
    }
    try {
      this.#write = this.#startResponse(status as Status, headers as HeaderList)
    } catch (error) {
      this.#serverError ??= error
      throw error
    }
  }

  async write(bytes: Uint8Array): Promise<void> {
    try {
      // Python's write() is only handed out by start_response, so #write is set.
      await this.#write?.(bytes)
    } catch (error) {
      this.#serverError ??= error
      throw error
    }
  }

  /** The error to answer with when Python failed with `error`. */
  failure(error: unknown): unknown {
    return this.#serverError ?? error
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    let chunk: { done?: true; bytes?: Uint8Array; invalid?: string }
    try {
      chunk = (await this.#interpreter.request({ op: 'next' })) as typeof chunk
    } catch (error) {
      throw this.failure(error)
    }
    if (chunk.bytes !== undefined) return { done: false, value: chunk.bytes }
    if (chunk.done === true) return { done: true, value: undefined }
    throw new WSGIError(
      'ERR_WSGI_INVALID_BODY_CHUNK',
      `The body iterable yielded ${chunk.invalid ?? 'something'}, not bytes`,
    )
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      await this.#interpreter.request({ op: 'close' })
    } catch (error) {
      // A stopped worker has nothing left to close; a Python error in close() is the app's.
      if (!this.#interpreter.stopped) throw error
    } finally {
      this.release()
    }
  }
}
