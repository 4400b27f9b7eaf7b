/**
 * `wsgi serve --workers N`: the `node:cluster` primary. It forks N workers that share the port,
 * restarts a worker that dies unexpectedly, and on SIGTERM or SIGINT forwards the signal and exits
 * once every worker has finished its requests in flight.
 *
 * The workers run this same command again (cluster re-executes the entry script with the same
 * arguments) and take the `serve()` path with `cluster.isWorker` true.
 *
 * @module
 */

import cluster from 'node:cluster'
import type { Worker } from 'node:cluster'

import type { ServeOptions } from './args.ts'
import type { CLIOutput } from './output.ts'
import { banner, httpsBanner } from './output.ts'
import { onStopSignal } from './signals.ts'

/** What a worker sends the primary once it listens (cluster's own event lacks the address). */
export interface ListeningMessage {
  readonly type: 'wsgi:listening'
  readonly address: { readonly address: string; readonly port: number }
}

function isListeningMessage(message: unknown): message is ListeningMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'wsgi:listening'
  )
}

/** Tells the primary that this worker listens, and where. */
export function announceListening(address: ListeningMessage['address']): void {
  const message: ListeningMessage = {
    type: 'wsgi:listening',
    address: { address: address.address, port: address.port },
  }
  process.send?.(message)
}

/**
 * Runs the cluster primary until every worker has exited after a stop signal, and resolves with
 * the exit code: 0 after a graceful stop; a worker's own code when it exits before it listens
 * (for example 2 for a missing module), since restarting it would only fail again.
 */
export function runPrimary(options: ServeOptions, out: CLIOutput): Promise<number> {
  const workers = options.workers ?? 1
  // Workers that listened once: only those are restarted when they die.
  const listened = new WeakSet<Worker>()
  let listening = 0
  let announced = false
  let stopping = false
  let exitCode = 0

  // Our own count: cluster.workers drops a worker only once it is both dead and disconnected.
  const alive = new Set<Worker>()

  return new Promise((resolve) => {
    const fork = (): void => {
      alive.add(cluster.fork())
    }
    const stopAll = (signal: NodeJS.Signals): void => {
      for (const worker of alive) worker.process.kill(signal)
    }
    const removeHandlers = onStopSignal(
      (signal) => {
        stopping = true
        stopAll(signal)
      },
      { repeat: 'force' },
    )

    cluster.on('message', (worker, message: unknown) => {
      if (!isListeningMessage(message) || listened.has(worker)) return
      listened.add(worker)
      listening++
      if (!announced && listening === workers) {
        announced = true
        const line = banner(message.address, ` with ${workers} workers`)
        out.stdout(options.certfile === undefined ? line : httpsBanner(line))
      }
    })

    cluster.on('exit', (worker, code, signal) => {
      alive.delete(worker)
      const how = signal ? `signal ${signal}` : `code ${code}`
      if (!stopping && listened.has(worker)) {
        out.stderr(`wsgi: worker ${worker.process.pid ?? '?'} died (${how}); starting a new one\n`)
        fork()
        return
      }
      if (!stopping) {
        // It never listened: the module is broken or the port is taken. Stop the others.
        out.stderr(`wsgi: worker ${worker.process.pid ?? '?'} exited before listening (${how})\n`)
        stopping = true
        exitCode = code || 1
        stopAll('SIGTERM')
      } else if (code !== 0 && !signal && exitCode === 0) {
        // A failed exit counts; a death by the forwarded signal (a worker still starting up,
        // without its handlers yet) is a stop as asked.
        exitCode = code
      }
      if (alive.size === 0) {
        removeHandlers()
        resolve(exitCode)
      }
    })

    for (let i = 0; i < workers; i++) fork()
  })
}
