/**
 * Clients that go away at random points of an upload, of a download, and while the app is still
 * thinking; the apps that record what each request went through; and the check of those records.
 *
 * The promise checked: `close()` runs exactly once on every body the app returned, the client
 * abort signal (`wsgits.signal`) fires exactly once for every request whose client left early,
 * the native request/response of a `from*` bridge see the client leave (`res` `'close'` before
 * `'finish'`), and no promise is left rejected with nobody listening.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { connect } from 'node:net'

/**
 * What one request went through, on the gateway side and (for `from*` bridges) the native side.
 *
 * @typedef {object} FaultRecord
 * @property {string} kind 'upload' | 'download' | 'wait'
 * @property {number} closes calls of the gateway body's `close()`
 * @property {number} aborts `'abort'` events of `wsgits.signal`
 * @property {boolean} returned the gateway app returned a body
 * @property {number} nativeCloses `'close'` events of the native response (from* bridges)
 * @property {number} nativeAborts of those, how many came before the response ended
 */

/**
 * Records by request id (the `id` query parameter).
 *
 * @typedef {Map<string, FaultRecord>} FaultRecords
 */

const CHUNK = Buffer.alloc(16 * 1024, 0x78)
const UPLOAD_SIZE = 4 * 1024 * 1024

/**
 * @param {string} query
 * @returns {string}
 */
function idOf(query) {
  return new URLSearchParams(query).get('id') ?? ''
}

/**
 * @param {FaultRecords} records
 * @param {string} id
 * @param {string} kind
 * @returns {FaultRecord}
 */
function record(records, id, kind) {
  let r = records.get(id)
  if (r === undefined) {
    r = { kind, closes: 0, aborts: 0, returned: false, nativeCloses: 0, nativeAborts: 0 }
    records.set(id, r)
  }
  return r
}

/**
 * Watch `environ['wsgits.signal']` and count its `'abort'` in `r` (once per signal object).
 *
 * @param {Record<string, unknown>} environ
 * @param {FaultRecord} r
 */
function watchSignal(environ, r) {
  const signal = /** @type {AbortSignal | undefined} */ (environ['wsgits.signal'])
  if (signal === undefined) return
  if (signal.aborted) r.aborts++
  else signal.addEventListener('abort', () => r.aborts++, { once: true })
}

/**
 * The gateway app the fault runs talk to:
 * - `/download`: streams 16 KiB chunks until `close()` (the client never gets to the end);
 * - `/upload`: reads `wsgi.input` to the end, then answers with the byte count;
 * - `/wait`: waits for the client to leave (or 2 s) before it answers.
 *
 * @param {FaultRecords} records
 * @returns {(environ: Record<string, any>, startResponse: (status: any, headers: any) => unknown) => Promise<any>}
 */
export function faultApp(records) {
  return async (environ, startResponse) => {
    const path = String(environ['PATH_INFO'])
    const kind = path.slice(1)
    const r = record(records, idOf(String(environ['QUERY_STRING'])), kind)
    watchSignal(environ, r)
    if (kind === 'upload') {
      const input = environ['wsgi.input']
      let n = 0
      for (;;) {
        const chunk = await input.read(65536)
        if (chunk.length === 0) break
        n += chunk.length
      }
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      r.returned = true
      return Object.assign([Buffer.from(String(n))], { close: () => void r.closes++ })
    }
    if (kind === 'wait') {
      const signal = /** @type {AbortSignal | undefined} */ (environ['wsgits.signal'])
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 2000)
        signal?.addEventListener('abort', () => {
          clearTimeout(timer)
          resolve(undefined)
        })
      })
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      r.returned = true
      return Object.assign([Buffer.from('late')], { close: () => void r.closes++ })
    }
    startResponse('200 OK', [['Content-Type', 'application/octet-stream']])
    let stopped = false
    const chunks = (async function* () {
      while (!stopped) {
        yield CHUNK
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    r.returned = true
    return Object.assign(chunks, {
      close() {
        r.closes++
        stopped = true
      },
    })
  }
}

/**
 * The same routes as a Node listener, for the `from*` bridges (the native side of the bridge);
 * it counts `res` `'close'` events, and those that came before the response ended.
 *
 * @param {FaultRecords} records
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void>}
 */
export function faultListener(records) {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const kind = url.pathname.slice(url.pathname.lastIndexOf('/') + 1)
    const r = record(records, url.searchParams.get('id') ?? '', kind)
    res.on('close', () => {
      r.nativeCloses++
      if (!res.writableEnded) r.nativeAborts++
    })
    if (kind === 'upload') {
      let n = 0
      try {
        for await (const chunk of req) n += /** @type {Buffer} */ (chunk).length
      } catch {
        return
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' })
      res.end(String(n))
      return
    }
    if (kind === 'wait') {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 2000)
        res.once('close', () => {
          clearTimeout(timer)
          resolve(undefined)
        })
      })
      if (!res.destroyed) res.end('late')
      return
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' })
    while (!res.destroyed) {
      if (!res.write(CHUNK)) {
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
    }
  }
}

/**
 * Gateway middleware that counts, for a `from*` bridge's app, what the server does with it: the
 * `close()` calls on the body it returns, and `wsgits.signal`.
 *
 * @param {(environ: any, startResponse: any) => any} app
 * @param {FaultRecords} records
 * @returns {(environ: any, startResponse: any) => Promise<any>}
 */
export function countingGateway(app, records) {
  return async (environ, startResponse) => {
    const path = String(environ['PATH_INFO'])
    const r = record(
      records,
      idOf(String(environ['QUERY_STRING'])),
      path.slice(path.lastIndexOf('/') + 1),
    )
    watchSignal(environ, r)
    const body = await app(environ, startResponse)
    r.returned = true
    // A wrapper rather than a patched close(): a body's own return() may call its close(), and
    // only the server's calls are counted.
    const wrapper = (async function* () {
      yield* body
    })()
    return Object.assign(wrapper, {
      close() {
        r.closes++
        return body.close?.()
      },
    })
  }
}

/**
 * One request whose client leaves early. `cut` is the byte count after which it leaves: of the
 * upload body it sends, or of the response it reads.
 *
 * @param {number} port
 * @param {'upload' | 'download' | 'wait'} kind
 * @param {string} id
 * @param {number} cut
 * @param {string} [prefix] a mount prefix put before the path
 * @returns {Promise<void>} resolves once the socket closed
 */
export function faultyRequest(port, kind, id, cut, prefix = '') {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.on('error', () => {
      // Resets are what this client is about.
    })
    socket.on('close', () => resolve())
    const target = `${prefix}/${kind}?id=${id}`
    if (kind === 'upload') {
      socket.write(
        `POST ${target} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: ${UPLOAD_SIZE}\r\n\r\n`,
      )
      let sent = 0
      const pump = () => {
        while (sent < cut) {
          const n = Math.min(CHUNK.length, cut - sent)
          sent += n
          if (!socket.write(CHUNK.subarray(0, n))) {
            socket.once('drain', pump)
            return
          }
        }
        // Give the server a moment to read what was sent, then leave.
        setTimeout(() => socket.destroy(), Math.floor(Math.random() * 3))
      }
      pump()
      return
    }
    socket.write(`GET ${target} HTTP/1.1\r\nHost: localhost\r\n\r\n`)
    if (kind === 'wait') {
      setTimeout(() => socket.destroy(), 1 + Math.floor(Math.random() * 10))
      return
    }
    let got = 0
    if (cut === 0) {
      setTimeout(() => socket.destroy(), Math.floor(Math.random() * 3))
      return
    }
    socket.on('data', (data) => {
      got += data.length
      if (got >= cut) socket.destroy()
    })
  })
}

/**
 * Run `count` faulty requests, `concurrency` at a time, cycling upload, download and wait, with
 * random cut points (upload: 1 byte to 2 MiB of a 4 MiB body; download: 0 to 256 KiB).
 *
 * @param {number} port
 * @param {{ count: number, concurrency?: number, idPrefix?: string, prefix?: string }} options
 * @returns {Promise<string[]>} the ids used
 */
export async function runFaults(port, options) {
  const { count, concurrency = 8, idPrefix = 'f', prefix = '' } = options
  /** @type {string[]} */
  const ids = []
  let next = 0
  /** @type {Array<'upload' | 'download' | 'wait'>} */
  const kinds = ['upload', 'download', 'wait']
  const worker = async () => {
    while (next < count) {
      const i = next++
      const kind = kinds[i % kinds.length] ?? 'download'
      const id = `${idPrefix}${i}`
      ids.push(id)
      const cut =
        kind === 'upload'
          ? 1 + Math.floor(Math.random() * (UPLOAD_SIZE / 2))
          : Math.floor(Math.random() * 256 * 1024)
      await faultyRequest(port, kind, id, cut, prefix)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return ids
}

/**
 * True when the server has seen the end of every request of `ids` it saw at all: its abort
 * signal fired, and the body the app returned (if any) was closed.
 *
 * @param {FaultRecords} records
 * @param {readonly string[]} ids
 * @returns {boolean}
 */
function faultsSettled(records, ids) {
  for (const id of ids) {
    const r = records.get(id)
    if (r === undefined) continue
    if (r.aborts === 0 || (r.returned && r.closes === 0)) return false
  }
  return true
}

/**
 * Wait until the server has seen every client of `ids` leave (see `faultsSettled`), or
 * `timeoutMs` passed. A client's run ends when its own socket closed; the server learns of it
 * later (on a busy machine, much later: an upload cut mid-body goes through Node's parser, the
 * server's answer to the broken request and the reset that answer meets), so checking the
 * records after a fixed pause reported signals that had simply not fired yet.
 *
 * @param {FaultRecords} records
 * @param {readonly string[]} ids
 * @param {number} [timeoutMs]
 * @returns {Promise<void>}
 */
export async function faultsSettle(records, ids, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  while (!faultsSettled(records, ids) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * What went wrong in the records of `ids` (once they settled: see `faultsSettle`).
 *
 * @param {FaultRecords} records
 * @param {readonly string[]} ids
 * @param {{ native?: boolean }} [options] `native`: check the native side too (from* bridges)
 * @returns {{ problems: string[], seen: number }}
 */
export function faultProblems(records, ids, options = {}) {
  /** @type {string[]} */
  const problems = []
  let seen = 0
  for (const id of ids) {
    const r = records.get(id)
    // The client may leave before the server parsed the request at all.
    if (r === undefined) continue
    seen++
    const where = `${id} (${r.kind})`
    if (r.returned && r.closes !== 1) problems.push(`${where}: close() ran ${r.closes} times`)
    if (!r.returned && r.closes !== 0) problems.push(`${where}: close() ran without a body`)
    if (r.aborts !== 1) problems.push(`${where}: the abort signal fired ${r.aborts} times`)
    if (options.native === true && r.nativeCloses > 0) {
      if (r.nativeCloses !== 1) problems.push(`${where}: res 'close' ${r.nativeCloses} times`)
      if (r.nativeAborts !== 1) problems.push(`${where}: res closed after it ended`)
    }
  }
  return { problems, seen }
}

/**
 * The same routes as a fetch handler, for `fromFetch` (the native side of the bridge): a
 * download whose stream is cancelled, an upload whose body read fails, a wait for
 * `request.signal`. `nativeCloses`/`nativeAborts` count the request signal's abort here.
 *
 * @param {FaultRecords} records
 * @returns {(request: Request) => Promise<Response>}
 */
export function faultFetchHandler(records) {
  return async (request) => {
    const url = new URL(request.url)
    const kind = url.pathname.slice(url.pathname.lastIndexOf('/') + 1)
    const r = record(records, url.searchParams.get('id') ?? '', kind)
    const onAbort = () => {
      r.nativeCloses++
      r.nativeAborts++
    }
    if (request.signal.aborted) onAbort()
    else request.signal.addEventListener('abort', onAbort, { once: true })
    if (kind === 'upload') {
      const body = await request.arrayBuffer()
      return new Response(String(body.byteLength))
    }
    if (kind === 'wait') {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 2000)
        request.signal.addEventListener('abort', () => {
          clearTimeout(timer)
          resolve(undefined)
        })
      })
      return new Response('late')
    }
    return new Response(
      new ReadableStream({
        pull(controller) {
          controller.enqueue(new Uint8Array(CHUNK))
          return new Promise((resolve) => setImmediate(resolve))
        },
      }),
    )
  }
}
