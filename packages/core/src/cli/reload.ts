/**
 * `wsgi serve --reload`: a supervisor that runs the server in a child process and starts a new
 * one whenever a file under the application's folder changes, as gunicorn's `--reload` and
 * `node --watch` do. A server that fails to start is started again at the next change.
 *
 * The child is this same command with the same arguments; `WSGI_RELOAD_CHILD` in its
 * environment makes it serve instead of supervising. When port 0 was asked for, the port the
 * first server got is kept for the next ones, so the address does not change under the user.
 *
 * @module
 */

import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { watch } from 'node:fs'
import type { FSWatcher } from 'node:fs'
import { dirname, resolve } from 'node:path'

import type { ServeOptions } from './args.ts'
import { resolveModulePath } from './load-app.ts'
import type { CLIOutput } from './output.ts'
import { onStopSignal } from './signals.ts'

/** Set in the environment of the server process a `--reload` supervisor runs. */
export const RELOAD_CHILD = 'WSGI_RELOAD_CHILD'

/** What the child sends once it listens. */
interface PortMessage {
  readonly type: 'wsgi:reload-port'
  readonly port: number
}

function isPortMessage(message: unknown): message is PortMessage {
  return (message as { type?: unknown } | null)?.type === 'wsgi:reload-port'
}

/** Changes that are not the application's: dependencies, VCS and editor files, build output. */
export function isIgnoredChange(filename: string): boolean {
  return filename
    .split(/[\\/]/)
    .some((part) => part === 'node_modules' || part.startsWith('.') || part.endsWith('~'))
}

// Several events come for one save (write, rename of a temp file…): one restart for them all.
const SETTLE_MS = 100

/**
 * Supervises `wsgi <argv>` until SIGTERM or SIGINT, then stops the server gracefully and resolves
 * with its exit code.
 */
export async function runReloader(
  argv: readonly string[],
  options: ServeOptions,
  out: CLIOutput,
): Promise<number> {
  const folder =
    options.module === undefined || (options.python && !options.module.endsWith('.py'))
      ? process.cwd()
      : options.python
        ? dirname(resolve(process.cwd(), options.module))
        : dirname(await resolveModulePath(options.module, process.cwd()))
  const script = process.argv[1] ?? ''
  let port: number | undefined
  let child: ChildProcess | undefined
  let stopping = false
  let restartPending = false
  let timer: NodeJS.Timeout | undefined

  return new Promise<number>((resolve) => {
    let watcher: FSWatcher | undefined = undefined
    const start = (): void => {
      const args = [...process.execArgv, script, ...argv]
      if (options.port === 0 && port !== undefined) args.push('--port', String(port))
      const current = spawn(process.execPath, args, {
        env: { ...process.env, [RELOAD_CHILD]: '1' },
        stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
      })
      child = current
      current.on('message', (message: unknown) => {
        if (isPortMessage(message)) port = message.port
      })
      current.once('exit', (code, signal) => {
        if (child === current) child = undefined
        if (stopping) {
          finish(code ?? (signal === null ? 1 : 0))
        } else if (restartPending) {
          restartPending = false
          start()
        } else {
          const how = signal === null ? `code ${code ?? '?'}` : `signal ${signal}`
          out.stderr(`wsgi: the server exited (${how}); waiting for a file change to restart\n`)
        }
      })
    }

    const restart = (filename: string): void => {
      out.stderr(`wsgi: ${filename} changed; restarting\n`)
      if (child === undefined) {
        start()
        return
      }
      // The first SIGTERM stops it gracefully; another one (a change meanwhile) at once.
      restartPending = true
      child.kill('SIGTERM')
    }

    const onChange = (_event: string, filename: string | Buffer | null): void => {
      const name = filename === null ? '' : String(filename)
      if (stopping || (name !== '' && isIgnoredChange(name))) return
      clearTimeout(timer)
      timer = setTimeout(() => {
        restart(name || folder)
      }, SETTLE_MS)
    }

    const killOnExit = (): void => {
      child?.kill('SIGKILL')
    }
    const removeHandlers = onStopSignal(
      (signal) => {
        stopping = true
        clearTimeout(timer)
        watcher?.close()
        if (child === undefined) finish(0)
        else child.kill(signal)
      },
      { repeat: 'force' },
    )
    // A forced exit (second signal) must not leave the server running on its own.
    process.on('exit', killOnExit)

    function finish(code: number): void {
      removeHandlers()
      process.off('exit', killOnExit)
      resolve(code)
    }

    watcher = watch(folder, { recursive: true }, onChange)
    start()
  })
}
