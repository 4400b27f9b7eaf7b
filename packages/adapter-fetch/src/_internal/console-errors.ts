/**
 * The default `wsgi.errors` of `toFetch`: `console.error`, the one error log every fetch runtime
 * has (Workers and Deno Deploy collect it; there is no `process.stderr` there).
 *
 * @module
 */
import type { ErrorStream } from '@wsgi/core/types'

/**
 * An {@link ErrorStream} over `console.error`. Text is held until a newline or `flush()`, because
 * each `console.error` call is a line of its own.
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
