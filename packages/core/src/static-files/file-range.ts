/**
 * The file-like object `staticFiles` hands to `wsgi.file_wrapper`: a byte range of an open file.
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises'

import type { FileLike } from '../types.ts'

/** Reads `length` bytes of an open file from `start`; closing it closes the file, once. */
export class FileRange implements FileLike {
  readonly #handle: FileHandle
  #position: number
  #remaining: number
  #closed: Promise<void> | undefined = undefined

  constructor(handle: FileHandle, start: number, length: number) {
    this.#handle = handle
    this.#position = start
    this.#remaining = length
  }

  async read(size: number): Promise<Uint8Array> {
    const want = Math.min(size, this.#remaining)
    if (want <= 0 || this.#closed !== undefined) return new Uint8Array(0)
    const buffer = new Uint8Array(want)
    const { bytesRead } = await this.#handle.read(buffer, 0, want, this.#position)
    this.#position += bytesRead
    // A file that shrank while being sent ends early; the server sees fewer bytes than declared.
    this.#remaining = bytesRead === 0 ? 0 : this.#remaining - bytesRead
    return bytesRead === want ? buffer : buffer.subarray(0, bytesRead)
  }

  close(): Promise<void> {
    this.#closed ??= this.#handle.close()
    return this.#closed
  }
}
