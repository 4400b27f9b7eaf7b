/**
 * Command-line parsing for the `wsgi` command: `wsgi serve [module[:export]] [options]`,
 * `wsgi --help`, `wsgi --version`. Built on `node:util` `parseArgs`.
 *
 * The command is what `python -m wsgiref.simple_server` is to Python: with no module it serves the
 * demo application.
 *
 * @module
 */

import { parseArgs } from 'node:util'

import { APP_KINDS } from './app-kind.ts'
import type { AppKind } from './app-kind.ts'

/** Where the application comes from and how to serve it. */
export interface ServeOptions {
  /** The module path as typed (relative to the working directory), or none for the demo app. */
  readonly module: string | undefined
  /** The export after `:`, possibly dotted (`app.handler`); none for the default export. */
  readonly exportName: string | undefined
  /** Interface to listen on; `''` means every interface, as in wsgiref. */
  readonly host: string
  /** Port to listen on; 0 lets the system pick one. */
  readonly port: number
  /** Number of worker processes (`node:cluster`); none means one process and no cluster. */
  readonly workers: number | undefined
  /** Wrap the application in `validator()`. */
  readonly validate: boolean
  /** Write wsgiref's access-log line per request to stderr (`--no-access-log` turns it off). */
  readonly accessLog: boolean
  /** Most request body bytes an app may read (413 beyond); none means no limit. */
  readonly inputLimit: number | undefined
  /**
   * For a fetch app: put a light `Response` in place of the global one, as `@hono/node-server`
   * does by default (`--no-light-response` keeps the runtime's).
   */
  readonly lightResponse: boolean
  /** What the export is (`--kind`); none means told by its shape (see `app-kind.ts`). */
  readonly kind: AppKind | undefined
  /**
   * The module is a Python WSGI app (`--python`, or a module path ending in `.py`), run through
   * `@wsgi/adapter-python`'s `fromPython`.
   */
  readonly python: boolean
  /** Restart the server when a file under the application's folder changes. */
  readonly reload: boolean
  /** PEM certificate and key files: serve HTTPS. Both or neither. */
  readonly certfile: string | undefined
  readonly keyfile: string | undefined
}

/** What the command line asks for. */
export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'serve'; readonly options: ServeOptions }

/** A command line that cannot be run; the CLI prints the message and exits with code 2. */
export class UsageError extends Error {
  override get name(): string {
    return 'UsageError'
  }
}

/** The text of `wsgi --help`. */
export const USAGE: string = `Usage: wsgi serve [module[:export]] [options]
       wsgi --help | --version

Serve a gateway (WSGI, PEP 3333) application over HTTP, like python -m wsgiref.simple_server.

Arguments:
  module[:export]    path of an ESM, CommonJS or TypeScript module, relative to the current
                     directory, or gunicorn's dotted form (pkg.mod:app is ./pkg/mod.js, .mjs,
                     .cjs, .ts or pkg/mod/index.js). The application is its default export
                     (for CommonJS: module.exports), or the export named after ':' (dots walk
                     into objects: app.js:routes.api). Without a module the demo app is served.

                     A gateway app is served as it is; an Express, Koa, Fastify or Hono app, a
                     { fetch } object or (request) => Response function, and a Node (req, res)
                     listener through the matching from* bridge (its @wsgi/adapter-* package
                     must be installed). The startup line says which.

                     With --python (or a path ending in .py), module:app names a Python WSGI
                     app as gunicorn does (app.py:app, or pkg.mod:app from the current
                     directory), run in Pyodide through @wsgi/adapter-python; the folders
                     of PYTHONPATH (its dependencies) follow the module's on sys.path.

Options:
  --host HOST        interface to listen on (default: '' = every interface)
  -p, --port PORT    port to listen on, 0 for any free port (default: 8000)
  -w, --workers N    run N worker processes sharing the port (node:cluster); a worker that
                     dies is restarted
  --validate         check every request and response with validator() (wsgiref.validate)
  --no-access-log    do not log each request to stderr (errors are still logged)
  --input-limit N    most request body bytes an app may read; a larger body is answered 413
  --no-light-response
                     for a fetch app (Hono): keep the runtime's global Response; by default
                     a lighter one takes its place, as @hono/node-server does (fromFetch's
                     overrideGlobalResponse)
  --kind KIND        what the export is, instead of telling it by its shape: gateway,
                     express, koa, fastify, fetch or node (a (req, res) function of two
                     parameters is a gateway app unless they are named req and res)
  --python           the module is a Python WSGI app (module:callable, default application)
  --reload           restart the server when a file under the module's folder changes
  --certfile FILE    PEM certificate: serve HTTPS (with --keyfile)
  --keyfile FILE     PEM private key of --certfile
  -h, --help         show this help and exit
  -V, --version      show the version and exit

SIGTERM or SIGINT stops accepting connections, lets the requests in flight finish, then exits 0.
A second signal exits at once.
`

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string', short: 'p' },
  workers: { type: 'string', short: 'w' },
  validate: { type: 'boolean' },
  'no-access-log': { type: 'boolean' },
  'input-limit': { type: 'string' },
  'no-light-response': { type: 'boolean' },
  kind: { type: 'string' },
  python: { type: 'boolean' },
  reload: { type: 'boolean' },
  certfile: { type: 'string' },
  keyfile: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const

const EXPORT_NAME = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/

function integer(flag: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `option --${flag} must be an integer from ${min} to ${max} (got '${value}')`,
    )
  }
  return n
}

/**
 * Splits `module[:export]` at its last `:`. A `:` that is part of a Windows drive (`C:\app.js`) or
 * is followed by a path separator is not an export separator.
 *
 * @throws UsageError when the module part is empty or the export is not an identifier path.
 */
export function splitModuleSpec(spec: string): [module: string, exportName: string | undefined] {
  const colon = spec.lastIndexOf(':')
  const tail = spec.slice(colon + 1)
  const isDrive = colon === 1 && /^[A-Za-z]$/.test(spec.charAt(0))
  if (colon === -1 || isDrive || /[\\/]/.test(tail)) return [spec, undefined]
  const module = spec.slice(0, colon)
  if (module === '') throw new UsageError(`missing module path before ':' in '${spec}'`)
  if (!EXPORT_NAME.test(tail)) {
    throw new UsageError(`'${tail}' is not an export name (in '${spec}')`)
  }
  return [module, tail]
}

/**
 * Parses the arguments after `wsgi` (`process.argv.slice(2)`).
 *
 * `--help` and `--version` win over everything else, so `wsgi serve --help` shows the help.
 *
 * @throws UsageError for an unknown command or option, a missing option value, a port outside
 *   0-65535, a worker count below 1, or more than one module.
 */
export function parseCommandLine(argv: readonly string[]): Command {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    // parseArgs' messages already name the option at fault; only the error class changes.
    throw new UsageError((error as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help === true) return { kind: 'help' }
  if (values.version === true) return { kind: 'version' }

  const [command, spec, ...extra] = positionals
  if (command === undefined) throw new UsageError('missing command (try: wsgi serve)')
  if (command !== 'serve') throw new UsageError(`unknown command '${command}' (try: wsgi serve)`)
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0] ?? ''}'`)

  const [module, exportName] = spec === undefined ? [undefined, undefined] : splitModuleSpec(spec)
  const kind = values.kind
  if (kind !== undefined && !(APP_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`option --kind must be one of ${APP_KINDS.join(', ')} (got '${kind}')`)
  }
  const python = values.python === true || (module?.endsWith('.py') ?? false)
  if (python && module === undefined) throw new UsageError('option --python needs a module:app')
  if (python && kind !== undefined)
    throw new UsageError('options --python and --kind exclude each other')
  if ((values.certfile === undefined) !== (values.keyfile === undefined)) {
    throw new UsageError('options --certfile and --keyfile go together')
  }
  return {
    kind: 'serve',
    options: {
      module,
      exportName,
      host: values.host ?? '',
      port: values.port === undefined ? 8000 : integer('port', values.port, 0, 65535),
      workers:
        values.workers === undefined ? undefined : integer('workers', values.workers, 1, 1024),
      validate: values.validate === true,
      accessLog: values['no-access-log'] !== true,
      inputLimit:
        values['input-limit'] === undefined
          ? undefined
          : integer('input-limit', values['input-limit'], 0, Number.MAX_SAFE_INTEGER),
      lightResponse: values['no-light-response'] !== true,
      kind: kind as AppKind | undefined,
      python,
      reload: values.reload === true,
      certfile: values.certfile,
      keyfile: values.keyfile,
    },
  }
}
