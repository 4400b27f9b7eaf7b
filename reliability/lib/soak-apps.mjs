/**
 * The application of the soak runs, in the three shapes a far side takes (gateway app, Node
 * listener, fetch handler), and the load loop that drives it: keep-alive connections making a
 * mix of small GETs, echoed POSTs and streamed responses, each answer checked byte for byte.
 *
 * Routes: `GET /hello` (13 bytes), `POST /echo` (the body back), `GET /stream?n=<k>` (`k` chunks
 * of `chunk <i>\n`, one per tick).
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { Agent, request } from 'node:http'

const HELLO = Buffer.from('Hello, world!')

/**
 * @param {number} n
 * @returns {string}
 */
export function streamText(n) {
  let text = ''
  for (let i = 0; i < n; i++) text += `chunk ${i}\n`
  return text
}

/**
 * @param {string} query
 * @returns {number}
 */
function countOf(query) {
  return Math.min(64, Math.max(0, Number(new URLSearchParams(query).get('n')) || 0))
}

/**
 * The gateway app.
 *
 * @param {Record<string, any>} environ
 * @param {(status: any, headers: any) => unknown} startResponse
 * @returns {Promise<any>}
 */
export async function soakApp(environ, startResponse) {
  const path = String(environ['PATH_INFO'])
  if (path === '/echo') {
    const input = environ['wsgi.input']
    /** @type {Buffer[]} */
    const chunks = []
    for (;;) {
      const chunk = await input.read(65536)
      if (chunk.length === 0) break
      chunks.push(Buffer.from(chunk))
    }
    const body = Buffer.concat(chunks)
    startResponse('200 OK', [
      ['Content-Type', 'application/octet-stream'],
      ['Content-Length', String(body.length)],
    ])
    return [body]
  }
  if (path === '/stream') {
    const n = countOf(String(environ['QUERY_STRING']))
    startResponse('200 OK', [['Content-Type', 'text/plain']])
    return (async function* () {
      for (let i = 0; i < n; i++) {
        yield Buffer.from(`chunk ${i}\n`)
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
  }
  startResponse('200 OK', [
    ['Content-Type', 'text/plain'],
    ['Content-Length', String(HELLO.length)],
  ])
  return [HELLO]
}

/**
 * The Node listener.
 *
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @returns {Promise<void>}
 */
export async function soakListener(req, res) {
  const url = new URL(req.url ?? '/', 'http://x')
  if (url.pathname.endsWith('/echo')) {
    /** @type {Buffer[]} */
    const chunks = []
    for await (const chunk of req) chunks.push(/** @type {Buffer} */ (chunk))
    const body = Buffer.concat(chunks)
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': body.length,
    })
    res.end(body)
    return
  }
  if (url.pathname.endsWith('/stream')) {
    const n = countOf(url.search)
    res.writeHead(200, { 'Content-Type': 'text/plain' })
    for (let i = 0; i < n; i++) {
      if (!res.write(`chunk ${i}\n`)) {
        await new Promise((resolve) => {
          const done = () => {
            res.off('drain', done)
            res.off('close', done)
            resolve(undefined)
          }
          res.on('drain', done)
          res.on('close', done)
        })
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
    res.end()
    return
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': HELLO.length })
  res.end(HELLO)
}

/**
 * The fetch handler.
 *
 * @param {Request} request
 * @returns {Promise<Response>}
 */
export async function soakFetch(request) {
  const url = new URL(request.url)
  if (url.pathname.endsWith('/echo')) {
    return new Response(await request.arrayBuffer(), {
      headers: { 'content-type': 'application/octet-stream' },
    })
  }
  if (url.pathname.endsWith('/stream')) {
    const n = countOf(url.search)
    let i = 0
    return new Response(
      new ReadableStream({
        async pull(controller) {
          if (i >= n) {
            controller.close()
            return
          }
          controller.enqueue(new TextEncoder().encode(`chunk ${i++}\n`))
          await new Promise((resolve) => setImmediate(resolve))
        },
      }),
      { headers: { 'content-type': 'text/plain' } },
    )
  }
  return new Response(HELLO, { headers: { 'content-type': 'text/plain' } })
}

/**
 * @typedef {object} LoadResult
 * @property {number} requests answered correctly
 * @property {number} wrong answers with the wrong status or bytes
 * @property {number} failed requests that failed (socket errors, timeouts)
 * @property {string[]} samples a few descriptions of what went wrong
 * @property {number} seconds
 */

/**
 * Drive `127.0.0.1:port` with `connections` keep-alive connections for `seconds`: a mix of 60 %
 * `GET /hello`, 25 % `POST /echo` (1 B to 64 KiB) and 15 % `GET /stream`, every answer checked.
 *
 * @param {number} port
 * @param {{ connections: number, seconds: number }} options
 * @returns {Promise<LoadResult>}
 */
export async function runLoad(port, options) {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections })
  const deadline = Date.now() + options.seconds * 1000
  const started = Date.now()
  /** @type {LoadResult} */
  const result = { requests: 0, wrong: 0, failed: 0, samples: [], seconds: 0 }
  const payload = Buffer.alloc(65536)
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff
  const note = (/** @type {string} */ what) => {
    if (result.samples.length < 5) result.samples.push(what)
  }

  /** @returns {Promise<void>} */
  const one = () => {
    const roll = Math.random()
    const kind = roll < 0.6 ? 'hello' : roll < 0.85 ? 'echo' : 'stream'
    const size = 1 + Math.floor(Math.random() * payload.length)
    const n = 1 + Math.floor(Math.random() * 16)
    const path = kind === 'stream' ? `/stream?n=${n}` : `/${kind}`
    const expected =
      kind === 'hello'
        ? HELLO
        : kind === 'echo'
          ? payload.subarray(0, size)
          : Buffer.from(streamText(n))
    return new Promise((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          agent,
          method: kind === 'echo' ? 'POST' : 'GET',
          timeout: 30_000,
        },
        (res) => {
          /** @type {Buffer[]} */
          const chunks = []
          res.on('data', (c) => chunks.push(c))
          res.on('end', () => {
            const body = Buffer.concat(chunks)
            if (res.statusCode === 200 && body.equals(expected)) result.requests++
            else {
              result.wrong++
              note(`${path}: ${res.statusCode} with ${body.length} bytes, want ${expected.length}`)
            }
            resolve()
          })
          res.on('error', (error) => {
            result.failed++
            note(`${path}: ${error.message}`)
            resolve()
          })
        },
      )
      req.on('timeout', () => req.destroy(new Error('timed out')))
      req.on('error', (error) => {
        result.failed++
        note(`${path}: ${error.message}`)
        resolve()
      })
      if (kind === 'echo') {
        req.setHeader('content-type', 'application/octet-stream')
        req.end(payload.subarray(0, size))
      } else {
        req.end()
      }
    })
  }

  const worker = async () => {
    while (Date.now() < deadline) await one()
  }
  await Promise.all(Array.from({ length: options.connections }, worker))
  agent.destroy()
  result.seconds = (Date.now() - started) / 1000
  return result
}
