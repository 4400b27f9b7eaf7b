/**
 * The gateway application every "ours" server runs (directly on the simple server, or mounted in
 * a framework through `toExpress`/`toKoa`/`toFastify`/`toFetch`): the four workloads, written as
 * a user of the gateway interface would write them.
 *
 * @module
 */
import { CHUNK_SIZE, HELLO, chunks, downloadSize, workloadOf } from '../workloads.mjs'

/** @typedef {import('@wsgi/core').WSGIApplication} WSGIApplication */
/** @typedef {import('@wsgi/core').WSGIEnvironment} WSGIEnvironment */
/** @typedef {import('@wsgi/core').StartResponse} StartResponse */

/** @type {Array<[string, string]>} */
const HELLO_HEADERS = [
  ['Content-Type', 'text/plain; charset=utf-8'],
  ['Content-Length', String(HELLO.length)],
]

/**
 * `POST echo`: read the body whole (it is small), send it back.
 *
 * @param {WSGIEnvironment} environ
 * @param {StartResponse} startResponse
 * @returns {Promise<Uint8Array[]>}
 */
async function echo(environ, startResponse) {
  const body = await environ['wsgi.input'].read()
  startResponse('200 OK', [
    ['Content-Type', 'application/octet-stream'],
    ['Content-Length', String(body.length)],
  ])
  return [body]
}

/**
 * `PUT upload`: stream the body in, count it, answer the count.
 *
 * @param {WSGIEnvironment} environ
 * @param {StartResponse} startResponse
 * @returns {Promise<Uint8Array[]>}
 */
async function upload(environ, startResponse) {
  // read1 (core's InputReader has it, as Python's buffered readers do) hands over the chunks as
  // they come; read(size) would join them into exact 64 KiB blocks, one copy per block. An app
  // that streams an upload uses read1 where the server offers it.
  const input = /** @type {{ read1?: (size: number) => Promise<Uint8Array> }} */ (
    environ['wsgi.input']
  )
  const read =
    input.read1 === undefined
      ? (/** @type {number} */ size) => environ['wsgi.input'].read(size)
      : input.read1.bind(input)
  let n = 0
  for (;;) {
    const chunk = await read(CHUNK_SIZE)
    if (chunk.length === 0) break
    n += chunk.length
  }
  const text = Buffer.from(String(n))
  startResponse('200 OK', [
    ['Content-Type', 'text/plain'],
    ['Content-Length', String(text.length)],
  ])
  return [text]
}

/**
 * The gateway application of the benchmark.
 *
 * @type {WSGIApplication}
 */
export function gatewayApp(environ, startResponse) {
  switch (workloadOf(environ.PATH_INFO ?? '')) {
    case 'hello':
      startResponse('200 OK', HELLO_HEADERS)
      return [HELLO]
    case 'echo':
      return echo(environ, startResponse)
    case 'upload':
      return upload(environ, startResponse)
    case 'download': {
      const n = downloadSize(environ.QUERY_STRING ?? '')
      startResponse('200 OK', [
        ['Content-Type', 'application/octet-stream'],
        ['Content-Length', String(n)],
      ])
      // A sync iterable: the server writes each chunk and waits for the socket to drain.
      return chunks(n)
    }
    default:
      startResponse('404 Not Found', [['Content-Type', 'text/plain']])
      return [Buffer.from('not found')]
  }
}
