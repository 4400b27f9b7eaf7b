/**
 * Graceful-shutdown signal handling for the `wsgi` command: the first SIGTERM or SIGINT starts a
 * graceful stop, a later one (for a process that is not a cluster worker) exits at once.
 *
 * @module
 */

/** The signals that stop the server. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']

/** Options of {@link onStopSignal}. */
export interface OnStopSignalOptions {
  /**
   * What a second signal does. `'force'` exits at once with 128 + the signal number, the shell
   * convention; `'ignore'` is for cluster workers, which get Ctrl-C twice (once from the terminal,
   * through the process group, and once forwarded by the primary) and leave forcing to the primary.
   */
  readonly repeat: 'force' | 'ignore'
  /** Where the signals come from and how to exit; the process unless a test says otherwise. */
  readonly target?: SignalTarget
}

/** The part of `process` that {@link onStopSignal} uses. */
export interface SignalTarget {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown
  exit(code: number): void
}

const SIGNAL_NUMBERS: Readonly<Partial<Record<NodeJS.Signals, number>>> = { SIGINT: 2, SIGTERM: 15 }

/**
 * Calls `stop` once, on the first SIGTERM or SIGINT; returns a function that removes the handlers.
 *
 * Installing a handler also stops Node's default of exiting on these signals.
 */
export function onStopSignal(
  stop: (signal: NodeJS.Signals) => void,
  options: OnStopSignalOptions,
): () => void {
  const target = options.target ?? process
  let stopping = false
  const handler = (signal: NodeJS.Signals): void => {
    if (!stopping) {
      stopping = true
      stop(signal)
    } else if (options.repeat === 'force') {
      target.exit(128 + (SIGNAL_NUMBERS[signal] ?? 0))
    }
  }
  for (const signal of STOP_SIGNALS) target.on(signal, handler)
  return () => {
    for (const signal of STOP_SIGNALS) target.off(signal, handler)
  }
}
