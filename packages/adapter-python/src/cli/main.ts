/**
 * The `wsgi-python` command: `wsgi-python serve module:app [--host H] [--port P] [--path DIR]…
 * [--validate]` serves a Python WSGI app on core's server, one process and one interpreter (for
 * workers, use core's `wsgi serve --workers N` on a module exporting `fromPython(...)`).
 *
 * @module
 */
import { parseArgs } from 'node:util'

import { makeServer } from '@wsgi/core/simple-server'

import { fromPython } from '../from-python.ts'

/** What `wsgi-python --help` prints. */
export const USAGE = `usage: wsgi-python serve module:app [--host H] [--port P] [--path DIR]... [--validate]

Serve a Python WSGI application (gunicorn's module:callable) through Pyodide.

  --host H      interface to listen on (default: every interface)
  --port P      port (default 8000; 0 picks a free one)
  --path DIR    folder put on Python's sys.path, repeatable (default: the working directory)
  --validate    wrap the app in Python's wsgiref.validate.validator
`

/** Runs `wsgi-python <argv>`; resolves with the exit code once the server stopped. */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        host: { type: 'string', default: '' },
        port: { type: 'string', default: '8000' },
        path: { type: 'string', multiple: true },
        validate: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
  } catch (error) {
    process.stderr.write(`wsgi-python: ${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(USAGE)
    return 0
  }
  const port = Number(values.port)
  if (positionals[0] !== 'serve' || positionals.length !== 2 || !Number.isInteger(port)) {
    process.stderr.write(USAGE)
    return 2
  }
  const spec = positionals[1] ?? ''
  let app
  try {
    app = fromPython(spec, { paths: values.path ?? [process.cwd()], validate: values.validate })
  } catch (error) {
    process.stderr.write(`wsgi-python: ${(error as Error).message}\n`)
    return 2
  }
  const server = await makeServer(values.host, port, app)
  process.stdout.write(
    `Serving ${spec} on ${values.host || '::'} port ${server.serverPort} (Pyodide loads at the first request) ...\n`,
  )
  const stop = (): void => {
    void server.shutdown()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  await server.serveForever()
  return 0
}
