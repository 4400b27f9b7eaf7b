/**
 * The wrappers `validator()` puts around `wsgi.input`, `wsgi.errors` and the response body
 * (CPython's `InputWrapper`, `ErrorWrapper` and `IteratorWrapper`). Internal: reached only
 * through `validator()`.
 *
 * @module
 */

import { WSGIValidationError } from '../errors.ts'
import type { ErrorStream, InputStream } from '../types.ts'
import { emitWSGIWarning } from '../warnings.ts'
import { repr } from './python.ts'

/** Whether `startResponse` was called; shared by one request's wrappers. */
export interface StartState {
  started: boolean
}

/** Throws the validator's error: CPython's `assert_(False, message)`. */
export function fail(message: string): never {
  throw new WSGIValidationError(message)
}

// ---------------------------------------------------------------------------------------------
// wsgi.input and wsgi.errors wrappers

/** `wsgi.input` as the application sees it: checks every call and every result (I1–I7). */
export class InputWrapper implements InputStream {
  readonly #input: InputStream

  constructor(input: InputStream) {
    this.#input = input
  }

  // CPython requires exactly one argument: stricter than PEP 3333, which lets read() go without.
  async read(...args: [size?: number]): Promise<Uint8Array> {
    if (args.length !== 1) fail(`wsgi.input.read() takes exactly 1 argument (${args.length} given)`)
    return checkBytes('read', await this.#input.read(...args))
  }

  async readline(...args: [size?: number]): Promise<Uint8Array> {
    if (args.length > 1) {
      fail(`wsgi.input.readline() takes at most 1 argument (${args.length} given)`)
    }
    return checkBytes('readline', await this.#input.readline(...args))
  }

  async readlines(...args: [hint?: number]): Promise<Uint8Array[]> {
    if (args.length > 1) {
      fail(`wsgi.input.readlines() takes at most 1 argument (${args.length} given)`)
    }
    const lines: unknown = await this.#input.readlines(...args)
    if (!Array.isArray(lines)) {
      fail(`wsgi.input.readlines() must return an array (got ${repr(lines)})`)
    }
    for (const line of lines as unknown[]) checkBytes('readlines', line)
    return lines as Uint8Array[]
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const line = await this.readline()
      if (line.length === 0) return
      yield line
    }
  }

  close(): never {
    fail('input.close() must not be called')
  }
}

function checkBytes(method: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    fail(`wsgi.input.${method}() must return Uint8Array data (got ${repr(value)})`)
  }
  return value
}

/** `wsgi.errors` as the application sees it: text only, never closed (R1–R4). */
export class ErrorWrapper implements ErrorStream {
  readonly #errors: ErrorStream

  constructor(errors: ErrorStream) {
    this.#errors = errors
  }

  write(s: unknown): void {
    // CPython: a bare AssertionError.
    if (typeof s !== 'string') {
      fail(`wsgi.errors.write() argument must be a string (got ${repr(s)})`)
    }
    this.#errors.write(s)
  }

  writelines(seq: Iterable<unknown>): void {
    for (const line of seq) this.write(line)
  }

  flush(): void {
    this.#errors.flush()
  }

  close(): never {
    fail('errors.close() must not be called')
  }
}

// ---------------------------------------------------------------------------------------------
// response body

// Reports bodies that were never closed (IT6). CPython does it from __del__; GC timing decides when.
const unclosed: FinalizationRegistry<undefined> | undefined =
  typeof globalThis.FinalizationRegistry === 'function'
    ? new FinalizationRegistry(() => {
        emitWSGIWarning('WSGIWRN004')
      })
    : undefined

/** The body handed to the server: checks each chunk and the order of events (IT1–IT6). */
export class IteratorWrapper implements AsyncIterableIterator<Uint8Array> {
  readonly #original: object
  readonly #iterator: Iterator<unknown> | AsyncIterator<unknown>
  #closed = false
  // Cleared once checked, so only the first chunk is checked (IT4).
  #checkStart: StartState | undefined

  constructor(original: unknown, state: StartState) {
    const iterable = Object(original) as Partial<AsyncIterable<unknown> & Iterable<unknown>>
    // The iterator is taken now, as CPython's iter() is, so that errors surface in the app call.
    const asyncIterator = iterable[Symbol.asyncIterator]
    const syncIterator = iterable[Symbol.iterator]
    const iterator =
      typeof asyncIterator === 'function'
        ? asyncIterator.call(iterable)
        : typeof syncIterator === 'function'
          ? syncIterator.call(iterable)
          : // Divergence from wsgiref: CPython's iter() raises a TypeError here.
            fail(`The application must return an iterable (got ${repr(original)})`)
    this.#original = iterable
    this.#iterator = iterator
    this.#checkStart = state
    unclosed?.register(this, undefined, this)
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#closed) fail('Iterator read after closed')
    const result = await this.#iterator.next()
    if (result.done) return { done: true, value: undefined }
    const value: unknown = result.value
    if (!(value instanceof Uint8Array)) fail(`Iterator yielded non-bytestring (${repr(value)})`)
    if (this.#checkStart) {
      if (!this.#checkStart.started) {
        fail(
          'The application returns and we started iterating over its body, but start_response has not yet been called',
        )
      }
      this.#checkStart = undefined
    }
    return { done: false, value }
  }

  /** Ends iteration early (a `for await` loop left by `break` or a throw): forwarded as is. */
  async return(): Promise<IteratorResult<Uint8Array>> {
    await this.#iterator.return?.()
    return { done: true, value: undefined }
  }

  /** Marks the body closed and calls the application body's own `close()`, if it has one. */
  close(): void | Promise<void> {
    this.#closed = true
    unclosed?.unregister(this)
    const close = (this.#original as { close?: unknown }).close
    if (typeof close === 'function') return close.call(this.#original) as void | Promise<void>
  }
}
