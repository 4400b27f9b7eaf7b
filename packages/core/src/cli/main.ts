/**
 * The `wsgi` command: parses the command line and runs `serve` alone or as a cluster, turning
 * every outcome into an exit code (0 done, 1 failure, 2 bad usage).
 *
 * @module
 */

import cluster from 'node:cluster'
import { readFileSync } from 'node:fs'

import { USAGE, UsageError, parseCommandLine } from './args.ts'
import { announceListening, runPrimary } from './cluster.ts'
import type { CLIOutput } from './output.ts'
import { banner, httpsBanner } from './output.ts'
import { RELOAD_CHILD, runReloader } from './reload.ts'
import { ListenError, serve } from './serve.ts'
import { StartupError } from './wrap-app.ts'

/** The process streams. */
export const processOutput: CLIOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}

/** The version of `@wsgi/core`, read from its package.json (two levels up from src/ and dist/). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown
  }
  return typeof pkg.version === 'string' ? pkg.version : 'unknown'
}

/**
 * Runs `wsgi <argv>` and resolves with the exit code. Serving resolves only after a stop signal
 * and a graceful shutdown.
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2))
 * ```
 */
export async function main(
  argv: readonly string[],
  out: CLIOutput = processOutput,
): Promise<number> {
  try {
    const command = parseCommandLine(argv)
    switch (command.kind) {
      case 'help':
        out.stdout(USAGE)
        return 0
      case 'version':
        out.stdout(`${version()}\n`)
        return 0
      case 'serve': {
        const { options } = command
        if (options.reload && process.env[RELOAD_CHILD] === undefined) {
          return await runReloader(argv, options, out)
        }
        if (options.workers !== undefined && cluster.isPrimary)
          return await runPrimary(options, out)
        const inCluster = cluster.isWorker
        const tls = options.certfile !== undefined
        return await serve(
          options,
          {
            multiprocess: inCluster && (options.workers ?? 1) > 1,
            onListening: (address) => {
              if (inCluster) announceListening(address)
              else out.stdout(tls ? httpsBanner(banner(address)) : banner(address))
              // Under --reload: the port to keep when the next server starts (port 0 asked).
              if (process.env[RELOAD_CHILD] !== undefined) {
                process.send?.({ type: 'wsgi:reload-port', port: address.port })
              }
            },
            // One line per command, not per worker (a restarted worker has a higher id).
            onLoaded: (line) => {
              if (!inCluster || cluster.worker?.id === 1) out.stdout(`wsgi: ${line}\n`)
            },
            // A cluster worker or a --reload child gets Ctrl-C twice (from the terminal, and
            // forwarded by its parent), which forces the exit when it must.
            repeatSignal: inCluster || process.env[RELOAD_CHILD] !== undefined ? 'ignore' : 'force',
          },
          out,
        )
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      out.stderr(`wsgi: error: ${error.message}\nTry 'wsgi --help' for more information.\n`)
      return 2
    }
    if (error instanceof ListenError || error instanceof StartupError) {
      out.stderr(`wsgi: error: ${error.message}\n`)
      return 1
    }
    out.stderr(`wsgi: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    return 1
  }
}
