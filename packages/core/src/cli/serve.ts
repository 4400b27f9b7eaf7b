/**
 * `wsgi serve` in one process (also what each cluster worker runs): load the application, start
 * `makeServer()`, print where it listens, and stop gracefully on SIGTERM or SIGINT.
 *
 * @module
 */

import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'

import { demoApp, makeServer } from '../simple-server/index.ts'
import type { TLSOptions, WSGIServer } from '../simple-server/index.ts'
import type { WSGIApplication } from '../types.ts'
import { validator } from '../validate.ts'
import type { ServeOptions } from './args.ts'
import { loadApp } from './load-app.ts'
import type { CLIOutput } from './output.ts'
import { onStopSignal } from './signals.ts'
import { StartupError, wrapPython } from './wrap-app.ts'

/**
 * The application the options name (the demo app without a module), validated on request, and
 * the line that says how it is served (none for the demo app).
 */
export async function buildApp(
  options: ServeOptions,
): Promise<{ app: WSGIApplication; line: string | undefined }> {
  const loaded =
    options.module === undefined
      ? { app: demoApp, line: undefined }
      : options.python
        ? await wrapPython(options.module, options.exportName, process.cwd())
        : await loadApp(options.module, options.exportName, process.cwd(), options.kind, {
            lightResponse: options.lightResponse,
          })
  if (!options.validate) return loaded
  const line = loaded.line === undefined ? undefined : `${loaded.line}, checked by validator()`
  return { app: validator(loaded.app), line }
}

/** The certificate and key of `--certfile`/`--keyfile`, or none for plain HTTP. */
export async function readTLS(options: ServeOptions): Promise<TLSOptions | undefined> {
  const { certfile, keyfile } = options
  if (certfile === undefined || keyfile === undefined) return undefined
  const read = (flag: string, path: string): Promise<Buffer> =>
    readFile(path).catch((error: unknown) => {
      throw new StartupError(`cannot read --${flag} ${path}: ${(error as Error).message}`)
    })
  return { cert: await read('certfile', certfile), key: await read('keyfile', keyfile) }
}

/** How {@link serve} runs: alone, or as one worker of a cluster. */
export interface ServeMode {
  /** True in a cluster worker: `wsgi.multiprocess` is true when there are several workers. */
  readonly multiprocess: boolean
  /** Called once the server listens; alone it prints the banner, in a cluster it tells the primary. */
  readonly onListening: (address: AddressInfo) => void
  /** Called with the line saying how the app is served (`serving app.js as …`), if it says. */
  readonly onLoaded?: ((line: string) => void) | undefined
  /** What a second stop signal does (see `onStopSignal`). */
  readonly repeatSignal: 'force' | 'ignore'
}

/**
 * Serves the application until SIGTERM or SIGINT, then stops accepting connections, lets the
 * requests in flight finish and resolves with exit code 0.
 *
 * @throws UsageError when the module or its export cannot be found, or is no application
 *   (exit code 2).
 * @throws StartupError when its adapter or TypeScript loader is missing, or a TLS file cannot
 *   be read (exit code 1).
 * @throws ListenError when the server cannot listen: port taken, not allowed, address not local.
 */
export async function serve(
  options: ServeOptions,
  mode: ServeMode,
  out: CLIOutput,
): Promise<number> {
  // Handlers go in first, so that a signal during start-up is a graceful stop too.
  let server: WSGIServer | undefined
  const state = { stopRequested: false }
  const stop = (): void => {
    server?.shutdown().catch((error: unknown) => {
      out.stderr(`wsgi: error while shutting down: ${String(error)}\n`)
    })
  }
  const removeHandlers = onStopSignal(
    () => {
      state.stopRequested = true
      stop()
    },
    { repeat: mode.repeatSignal },
  )
  try {
    const built = await buildApp(options)
    let { app } = built
    if (built.line !== undefined) mode.onLoaded?.(built.line)
    if (mode.multiprocess) app = multiprocess(app)
    const tls = await readTLS(options)
    server = await makeServer(options.host, options.port, app, {
      accessLog: options.accessLog,
      inputLimit: options.inputLimit,
      tls,
    }).catch((error: unknown) => {
      throw listenError(error, options)
    })
    const address = server.httpServer.address()
    if (address !== null && typeof address === 'object') mode.onListening(address)
    const serving = server.serveForever()
    if (state.stopRequested) stop()
    await serving
  } finally {
    removeHandlers()
  }
  return 0
}

/** The server could not listen: the port is taken, not allowed, or the address is not local. */
export class ListenError extends Error {
  override get name(): string {
    return 'ListenError'
  }
}

const LISTEN_PROBLEMS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available',
  ENOTFOUND: 'host not found',
}

// A readable error for the usual reasons listen() fails; anything else passes unchanged.
function listenError(error: unknown, options: ServeOptions): unknown {
  const code = (error as { code?: unknown } | null)?.code
  const problem = typeof code === 'string' ? LISTEN_PROBLEMS[code] : undefined
  if (problem === undefined) return error
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return new ListenError(`cannot listen on ${host}:${options.port}: ${problem}`, { cause: error })
}

// Sets wsgi.multiprocess for an application run by one of several worker processes.
// simple-server's ServerHandler takes no such option, so the flag goes on the environ before the
// application (and the validator) sees it.
function multiprocess(app: WSGIApplication): WSGIApplication {
  return (environ, startResponse) => {
    environ['wsgi.multiprocess'] = true
    return app(environ, startResponse)
  }
}
