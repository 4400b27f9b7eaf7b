/**
 * The load the parent puts on a child server: autocannon for request rates, one `node:http`
 * connection for the 1 GiB transfers, an IPC "run" for in-process stacks, and single requests
 * that check every server answers correctly before it is measured.
 *
 * @module
 */
import { Agent, request as httpRequest } from 'node:http'
import { performance } from 'node:perf_hooks'

import autocannon from 'autocannon'

import {
  CHUNK,
  CHUNK_SIZE,
  ECHO_BODY,
  HELLO_TEXT,
  MOUNT,
  UPLOAD_TYPE,
  rateRequest,
} from './workloads.mjs'

/** @typedef {import('./spawn.mjs').Child} Child */

/** @typedef {'hello' | 'echo'} RateWorkload */
/** @typedef {'upload' | 'download'} TransferWorkload */

/**
 * One measured round of a request-rate workload.
 *
 * @typedef {object} RateSample
 * @property {number} requests requests completed
 * @property {number} seconds how long the load ran
 * @property {number} rps requests / seconds
 * @property {number} cpu server CPU time used, µs
 * @property {number} perCpuSecond requests per second of server CPU: the capacity measure
 * @property {number} utilisation server CPU time / wall time (1 = the server core was saturated)
 */

/**
 * Run autocannon against `child` for `seconds`, and read the server's CPU time around it.
 *
 * @param {Child} child
 * @param {RateWorkload} workload
 * @param {{ seconds: number, connections: number, closes?: boolean }} options `closes`: the
 *   server closes each connection after its answer (resets are reconnections)
 * @returns {Promise<RateSample>}
 */
export async function measureRate(child, workload, options) {
  const spec = rateRequest(workload)
  const cpu0 = await child.cpu()
  const started = performance.now()
  let resets = 0
  /** @type {import('autocannon').Result} */
  const result = await new Promise((resolve, reject) => {
    const tracker = autocannon(
      {
        url: `http://127.0.0.1:${child.port}${spec.path}`,
        method: spec.method,
        ...(spec.body === undefined
          ? {}
          : { body: spec.body, headers: { 'content-type': spec.contentType } }),
        connections: options.connections,
        pipelining: 1,
        duration: options.seconds,
      },
      (error, done) => {
        if (error) reject(error)
        else resolve(done)
      },
    )
    // A server that closes the connection after each answer (HTTP/1.0's wsgiref, gunicorn's sync
    // worker) meets the next request autocannon already wrote with a reset: no request was lost
    // (only answers count), so with `closes` those resets are reconnections, not failures.
    tracker.on('reqError', (/** @type {NodeJS.ErrnoException} */ error) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resets++
    })
  })
  const seconds = (performance.now() - started) / 1000
  const cpu = (await child.cpu()) - cpu0
  const errors = result.errors - (options.closes === true ? resets : 0)
  const bad = errors + result.timeouts + result.non2xx
  if (bad > 0) {
    throw new Error(
      `${child.stack} ${workload}: ${errors} errors, ${result.timeouts} timeouts, ` +
        `${result.non2xx} non-2xx answers\n${child.logTail()}`,
    )
  }
  const requests = result.requests.total
  return {
    requests,
    seconds,
    rps: requests / seconds,
    cpu,
    perCpuSecond: requests / (cpu / 1e6),
    utilisation: cpu / 1e6 / seconds,
  }
}

/**
 * Call an in-process stack in a loop for `seconds` (the loop runs in the child).
 *
 * @param {Child} child
 * @param {RateWorkload} workload
 * @param {{ seconds: number, connections: number }} options
 * @returns {Promise<RateSample>}
 */
export async function measureInProcess(child, workload, options) {
  // The child builds the request itself: a Buffer does not survive the IPC channel's JSON.
  const answer = await child.ask('run', {
    workload,
    durationMs: options.seconds * 1000,
    concurrency: options.connections,
  })
  if (answer['errors'] > 0) {
    throw new Error(
      `${child.stack} ${workload}: ${answer['errors']} errors: ${answer['firstError']}`,
    )
  }
  const seconds = options.seconds
  const requests = /** @type {number} */ (answer['ops'])
  const cpu = /** @type {number} */ (answer['cpu'])
  return {
    requests,
    seconds,
    rps: requests / seconds,
    cpu,
    perCpuSecond: requests / (cpu / 1e6),
    utilisation: cpu / 1e6 / seconds,
  }
}

/**
 * One measured transfer.
 *
 * @typedef {object} TransferSample
 * @property {number} bytes bytes moved
 * @property {number} seconds wall time, first byte sent to last byte received
 * @property {number} mbps MB/s (10^6 bytes per second)
 * @property {number} cpu server CPU time used, µs
 * @property {number} rssGrowth the server's peak RSS during the transfer minus its RSS before, bytes
 */

// One connection per transfer, never reused: each transfer starts from the same state.
const agent = new Agent({ keepAlive: false })

/**
 * Upload or download `bytes` through `child` on one connection, with backpressure on our side.
 *
 * @param {Child} child
 * @param {TransferWorkload} workload
 * @param {number} bytes
 * @returns {Promise<TransferSample>}
 */
export async function measureTransfer(child, workload, bytes) {
  const cpu0 = await child.cpu()
  const rss0 = await child.rssWatch()
  const started = performance.now()
  const moved =
    workload === 'upload' ? await upload(child.port, bytes) : await download(child.port, bytes)
  const seconds = (performance.now() - started) / 1000
  const peak = await child.rssPeak()
  const cpu = (await child.cpu()) - cpu0
  if (moved !== bytes) {
    throw new Error(`${child.stack} ${workload}: ${moved} bytes moved, ${bytes} expected`)
  }
  return { bytes, seconds, mbps: bytes / 1e6 / seconds, cpu, rssGrowth: Math.max(0, peak - rss0) }
}

/**
 * PUT `bytes` bytes; resolves with the count the server answers.
 *
 * @param {number} port
 * @param {number} bytes
 * @returns {Promise<number>}
 */
function upload(port, bytes) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: `${MOUNT}/upload`,
        agent,
        headers: { 'content-type': UPLOAD_TYPE, 'content-length': String(bytes) },
      },
      (res) => {
        let text = ''
        res.setEncoding('latin1')
        res.on('data', (part) => {
          text += part
        })
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`upload: status ${res.statusCode}: ${text}`))
          else resolve(Number(text))
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    let left = bytes
    const pump = () => {
      while (left > 0) {
        const size = Math.min(left, CHUNK_SIZE)
        left -= size
        const more = req.write(size === CHUNK_SIZE ? CHUNK : CHUNK.subarray(0, size))
        if (!more) {
          req.once('drain', pump)
          return
        }
      }
      req.end()
    }
    pump()
  })
}

/**
 * GET a `bytes`-byte download; resolves with the byte count received.
 *
 * @param {number} port
 * @param {number} bytes
 * @returns {Promise<number>}
 */
function download(port, bytes) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: `${MOUNT}/download?n=${bytes}`, agent },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume()
          reject(new Error(`download: status ${res.statusCode}`))
          return
        }
        let n = 0
        res.on('data', (/** @type {Buffer} */ part) => {
          n += part.length
        })
        res.on('end', () => {
          resolve(n)
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/**
 * Check that a server answers each workload correctly (status, bytes), before it is measured:
 * a bridge that fails fast must not look fast. Resolves with what is wrong, or `undefined`.
 *
 * @param {Child} child
 * @param {Array<RateWorkload | TransferWorkload>} workloads
 * @returns {Promise<string | undefined>}
 */
export async function probe(child, workloads) {
  const base = `http://127.0.0.1:${child.port}${MOUNT}`
  const problems = []
  for (const workload of workloads) {
    try {
      if (workload === 'hello') {
        const res = await fetch(`${base}/hello`)
        const text = await res.text()
        if (res.status !== 200 || text !== HELLO_TEXT) problems.push(`hello: ${res.status} ${text}`)
      } else if (workload === 'echo') {
        const res = await fetch(`${base}/echo`, {
          method: 'POST',
          body: ECHO_BODY,
          headers: { 'content-type': 'application/octet-stream' },
        })
        const body = Buffer.from(await res.arrayBuffer())
        if (res.status !== 200 || !body.equals(ECHO_BODY)) {
          problems.push(`echo: ${res.status}, ${body.length} bytes back`)
        }
      } else {
        // Not a whole chunk, so the last partial chunk is exercised too.
        const size = 3 * CHUNK_SIZE + 123
        const moved =
          workload === 'upload' ? await upload(child.port, size) : await download(child.port, size)
        if (moved !== size) problems.push(`${workload}: ${moved} bytes, ${size} expected`)
      }
    } catch (error) {
      problems.push(`${workload}: ${String(error)}`)
    }
  }
  return problems.length === 0 ? undefined : problems.join('; ')
}
