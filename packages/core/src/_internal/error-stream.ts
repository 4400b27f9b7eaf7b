/**
 * `wsgi.errors` implementations: in memory (tests, `setupTestingDefaults`), over any text sink
 * (`process.stderr`), and over `console.error` (fetch runtimes). Node-free.
 *
 * @module
 */
import type { ErrorStream } from '../types.ts'

/** An {@link ErrorStream} that keeps what was written, like Python's `StringIO`. */
export class StringErrorStream implements ErrorStream {
  #parts: string[] = []

  write(s: string): void {
    this.#parts.push(s)
  }

  writelines(seq: Iterable<string>): void {
    for (const s of seq) this.write(s)
  }

  flush(): void {
    // Nothing is buffered outside #parts.
  }

  /** Everything written so far. */
  getValue(): string {
    const text = this.#parts.join('')
    this.#parts = [text]
    return text
  }
}

/** Anything with `write(text)`, such as `process.stderr`. */
export interface TextSink {
  write(s: string): unknown
}

/** An {@link ErrorStream} that writes straight through to a text sink (`process.stderr`). */
export class TextErrorStream implements ErrorStream {
  readonly sink: TextSink

  constructor(sink: TextSink) {
    this.sink = sink
  }

  write(s: string): void {
    this.sink.write(s)
  }

  writelines(seq: Iterable<string>): void {
    for (const s of seq) this.sink.write(s)
  }

  flush(): void {
    // The sink owns its buffering; Node's stderr writes are synchronous for files and TTYs.
  }
}

/**
 * An {@link ErrorStream} over `console.error`, for runtimes without `process.stderr`. Text is held
 * until a newline (or `flush()`), because `console.error` always ends a line.
 */
export class ConsoleErrorStream implements ErrorStream {
  #pending = ''

  write(s: string): void {
    const text = this.#pending + s
    const cut = text.lastIndexOf('\n')
    if (cut < 0) {
      this.#pending = text
      return
    }
    this.#pending = text.slice(cut + 1)
    console.error(text.slice(0, cut))
  }

  writelines(seq: Iterable<string>): void {
    for (const s of seq) this.write(s)
  }

  flush(): void {
    if (this.#pending !== '') console.error(this.#pending)
    this.#pending = ''
  }
}
