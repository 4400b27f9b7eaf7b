/**
 * The stream objects of the environ, for anyone writing a server or a bridge: `wsgi.input` over
 * any chunk source, and `wsgi.errors` over a string, a text sink or `console.error`. Node-free.
 *
 * @module
 */
export { InputReader, readChunk } from './_internal/input.ts'
export type { InputReaderOptions } from './_internal/input.ts'
export { concatBytes } from './_internal/bytes.ts'
export { ConsoleErrorStream, StringErrorStream, TextErrorStream } from './_internal/error-stream.ts'
export type { TextSink } from './_internal/error-stream.ts'
