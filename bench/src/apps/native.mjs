/**
 * The baselines: the four workloads written natively for `node:http` and as a plain fetch
 * handler, the way a user of each would write them.
 *
 * @module
 */
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import { HELLO, chunkStream, chunks, downloadSize, workloadOf } from '../workloads.mjs'

/** @typedef {import('node:http').IncomingMessage} IncomingMessage */
/** @typedef {import('node:http').ServerResponse} ServerResponse */

const HELLO_HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'content-length': '13' }

/**
 * Collect a small request body.
 *
 * @param {AsyncIterable<Buffer>} stream
 * @returns {Promise<Buffer>}
 */
export async function readAll(stream) {
  /** @type {Buffer[]} */
  const parts = []
  for await (const part of stream) parts.push(part)
  return parts.length === 1 && parts[0] !== undefined ? parts[0] : Buffer.concat(parts)
}

/**
 * Count a streamed request body by piping it into a counting sink.
 *
 * @param {import('node:stream').Readable} stream
 * @returns {Promise<number>}
 */
export async function countPiped(stream) {
  let n = 0
  await pipeline(
    stream,
    new Writable({
      write(chunk, _encoding, callback) {
        n += /** @type {Buffer} */ (chunk).length
        callback()
      },
    }),
  )
  return n
}

/**
 * The raw `node:http` handler: no framework, no bridge.
 *
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 */
export function nodeHandler(req, res) {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  switch (workloadOf(path)) {
    case 'hello':
      res.writeHead(200, HELLO_HEADERS)
      res.end(HELLO)
      return
    case 'echo':
      readAll(req).then((body) => {
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': String(body.length),
        })
        res.end(body)
      }, fail(res))
      return
    case 'upload':
      countPiped(req).then((n) => {
        const text = String(n)
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': text.length })
        res.end(text)
      }, fail(res))
      return
    case 'download': {
      const n = downloadSize(q < 0 ? '' : url.slice(q + 1))
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(n),
      })
      pipeline(Readable.from(chunks(n)), res).catch(fail(res))
      return
    }
    default:
      res.writeHead(404).end()
  }
}

/**
 * What to do when a baseline itself fails (it should not): cut the response.
 *
 * @param {ServerResponse} res
 * @returns {(error: unknown) => void}
 */
function fail(res) {
  return (error) => {
    process.stderr.write(`baseline failed: ${String(error)}\n`)
    res.destroy()
  }
}

/**
 * A plain fetch handler, for the servers that take one (`@hono/node-server`, `@whatwg-node/server`).
 *
 * @param {Request} request
 * @returns {Promise<Response>}
 */
export async function fetchHandler(request) {
  const url = request.url
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  switch (workloadOf(path)) {
    case 'hello':
      return new Response(HELLO, { headers: HELLO_HEADERS })
    case 'echo': {
      const body = new Uint8Array(await request.arrayBuffer())
      return new Response(body, {
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(body.length),
        },
      })
    }
    case 'upload': {
      const n = await countStream(request.body)
      return new Response(String(n), { headers: { 'content-type': 'text/plain' } })
    }
    case 'download': {
      const n = downloadSize(q < 0 ? '' : url.slice(q + 1))
      return new Response(chunkStream(n), {
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(n) },
      })
    }
    default:
      return new Response(null, { status: 404 })
  }
}

/**
 * Count the bytes of a WHATWG stream.
 *
 * @param {ReadableStream<Uint8Array> | null} body
 * @returns {Promise<number>}
 */
export async function countStream(body) {
  if (body === null) return 0
  let n = 0
  const reader = body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return n
    n += value.length
  }
}
