/**
 * The server's logging: the {@link LogStream} that holds access-log lines back to write many in
 * one go, and the pieces of wsgiref's log line (`log_date_time_string()`, the control-character
 * escaping of `log_message`).
 *
 * @module
 */
import type { ErrorStream } from '../types.ts'

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

// The access log writes one date per request; it only changes once a second.
let logSecond = -1
let logDate = ''

/** `23/Nov/2026 18:33:54` in local time, as Python's `log_date_time_string()`. */
export function logDateTimeString(): string {
  const now = Date.now()
  const second = Math.floor(now / 1000)
  if (second !== logSecond) {
    const d = new Date(now)
    const two = (n: number): string => String(n).padStart(2, '0')
    logDate =
      `${two(d.getDate())}/${MONTHS[d.getMonth()] ?? ''}/${String(d.getFullYear()).padStart(4, '0')} ` +
      `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
    logSecond = second
  }
  return logDate
}

// eslint-disable-next-line no-control-regex -- control characters are what gets escaped
const CONTROL_CHARS = /[\x00-\x1f\x7f-\x9f]/g
// eslint-disable-next-line no-control-regex -- the same set, to test without replacing
const HAS_CONTROL_CHARS = /[\x00-\x1f\x7f-\x9f]/

/** Python's `log_message` escaping (3.12+): control characters become `\xHH`. */
export function escapeControl(message: string): string {
  // Nearly every line is clean: a test is much cheaper than a replace with a callback.
  if (!HAS_CONTROL_CHARS.test(message)) return message
  return message.replace(
    CONTROL_CHARS,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  )
}

const LOG_DELAY_MS = 50
const HOLD_BYTES = 64 * 1024

// Streams with lines still held back, written out when the process exits.
const heldStreams = new Set<LogStream>()
let exitHookInstalled = false

/** `String.prototype.isWellFormed` (Node 20 has it; the ES2023 lib does not declare it). */
interface MaybeWellFormed {
  isWellFormed(): boolean
}

/**
 * The server's default `stderr`: text is held for up to 50 ms (or 64 KiB) and written to
 * `process.stderr` in one go, so that the access log costs one write for many requests rather
 * than one synchronous write each (which on a busy server costs a quarter of its throughput).
 *
 * The held text is kept as UTF-8 bytes outside V8's heap, not as strings: a busy server holds
 * hundreds of lines at any moment, and every young-generation collection copied each of them
 * again (a 64 KiB echo server's collections took 1 ms each instead of 0.3, about 3 µs per
 * request). Each line is encoded once and is garbage as soon as it is written here; the sink
 * gets the same text as before, one string per flush.
 *
 * Divergence from wsgiref: access-log lines appear up to 50 ms after the request; error
 * tracebacks call `flush()` and go out at once, and nothing is lost at exit.
 */
export class LogStream implements ErrorStream {
  readonly #sink: { write(s: string): unknown }
  #bytes: Buffer | undefined = undefined
  #used = 0
  #scheduled = false

  constructor(sink: { write(s: string): unknown } = process.stderr) {
    this.#sink = sink
  }

  write(s: string): void {
    if (s.length === 0) return
    // Text with a lone surrogate, which UTF-8 cannot carry, goes to the sink as it is.
    const encodable = (s as unknown as MaybeWellFormed).isWellFormed()
    const room = HOLD_BYTES - this.#used
    // At most 3 UTF-8 bytes per UTF-16 unit: nearly every line fits without being measured.
    let size = 0
    if (!encodable || (s.length * 3 > room && (size = Buffer.byteLength(s)) > room)) {
      this.flush()
      if (!encodable || size > HOLD_BYTES) {
        this.#sink.write(s)
        return
      }
    }
    const bytes = (this.#bytes ??= Buffer.allocUnsafeSlow(HOLD_BYTES))
    this.#used += bytes.write(s, this.#used)
    if (!this.#scheduled) {
      this.#scheduled = true
      heldStreams.add(this)
      if (!exitHookInstalled) {
        exitHookInstalled = true
        process.once('exit', flushHeldStreams)
      }
      setTimeout(this.#flushLater, LOG_DELAY_MS).unref()
    }
  }

  writelines(seq: Iterable<string>): void {
    for (const s of seq) this.write(s)
  }

  flush(): void {
    const used = this.#used
    if (used === 0 || this.#bytes === undefined) return
    this.#used = 0
    this.#sink.write(this.#bytes.toString('utf8', 0, used))
  }

  readonly #flushLater = (): void => {
    this.#scheduled = false
    heldStreams.delete(this)
    this.flush()
  }
}

function flushHeldStreams(): void {
  for (const stream of heldStreams) stream.flush()
  heldStreams.clear()
}
