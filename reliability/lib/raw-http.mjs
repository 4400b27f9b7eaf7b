/**
 * Raw HTTP/1.1 over `node:net` for the reliability suites: send exact bytes (malformed requests
 * included) and read back every response on the connection, parsed by hand, so that a forged or
 * truncated response can be told from a whole one.
 *
 * Shared by the package tests (`packages/{core,adapter-}/test/reliability*`) and the full runs.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { connect } from 'node:net'

/**
 * @typedef {object} RawResponse
 * @property {number} status
 * @property {string} reason
 * @property {Array<[string, string]>} headers names lower-cased, in order, repeats kept
 * @property {Buffer} body
 * @property {boolean} complete false when the connection ended before the body did
 */

/**
 * @typedef {object} Exchange
 * @property {RawResponse[]} responses every response read, in order
 * @property {boolean} closed true when the server closed the connection
 * @property {Buffer} rest bytes after the last whole response (garbage, or a cut response)
 */

/**
 * @param {string} block
 * @returns {Array<[string, string]>}
 */
function parseFields(block) {
  /** @type {Array<[string, string]>} */
  const fields = []
  for (const line of block.split('\r\n')) {
    if (line === '') continue
    const colon = line.indexOf(':')
    fields.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()])
  }
  return fields
}

/**
 * The first response in `buf`, or undefined when more bytes are needed.
 *
 * @param {Buffer} buf
 * @param {boolean} head true for the answer to a HEAD request
 * @param {boolean} ended the connection is closed (a body without a length runs to its end)
 * @returns {{ response: RawResponse, rest: Buffer } | undefined}
 */
export function parseResponse(buf, head, ended) {
  const end = buf.indexOf('\r\n\r\n')
  if (end < 0) return undefined
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n')
  const statusLine = lines[0] ?? ''
  const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine)
  const status = match ? Number(match[1]) : 0
  const reason = match?.[2] ?? ''
  const headers = parseFields(lines.slice(1).join('\r\n'))
  let rest = buf.subarray(end + 4)
  /** @param {Buffer} body @param {boolean} complete */
  const done = (body, complete) => ({ response: { status, reason, headers, body, complete }, rest })
  if (status < 200 && status >= 100) {
    // An interim response: skip it, the final one follows.
    const next = parseResponse(rest, head, ended)
    return next
  }
  if (head || status === 204 || status === 304) return done(Buffer.alloc(0), true)
  const get = (/** @type {string} */ name) => headers.filter(([n]) => n === name).map(([, v]) => v)
  if (get('transfer-encoding').join(',').toLowerCase().includes('chunked')) {
    /** @type {Buffer[]} */
    const parts = []
    let pos = 0
    for (;;) {
      const lineEnd = rest.indexOf('\r\n', pos)
      if (lineEnd < 0) break
      const size = Number.parseInt(rest.subarray(pos, lineEnd).toString('latin1'), 16)
      if (Number.isNaN(size)) break
      if (size === 0) {
        const trailerEnd = rest.indexOf('\r\n\r\n', lineEnd)
        if (trailerEnd < 0) break
        const whole = rest
        rest = whole.subarray(trailerEnd + 4)
        return done(Buffer.concat(parts), true)
      }
      if (rest.length < lineEnd + 2 + size + 2) break
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size))
      pos = lineEnd + 2 + size + 2
    }
    if (!ended) return undefined
    const body = Buffer.concat(parts)
    rest = Buffer.alloc(0)
    return done(body, false)
  }
  const length = get('content-length')[0]
  if (length !== undefined) {
    const n = Number(length)
    if (rest.length >= n) {
      const body = rest.subarray(0, n)
      rest = rest.subarray(n)
      return done(body, true)
    }
    if (!ended) return undefined
    const body = rest
    rest = Buffer.alloc(0)
    return done(body, false)
  }
  if (!ended) return undefined
  const body = rest
  rest = Buffer.alloc(0)
  return done(body, true)
}

/**
 * Send `request` (a latin-1 string or bytes) on a new connection to `127.0.0.1:port` and read
 * responses until `expected` whole ones arrived and the connection is idle for `idleMs`, or the
 * server closed it, or `timeoutMs` passed (then the connection is destroyed).
 *
 * @param {number} port
 * @param {string | Uint8Array} request
 * @param {{ expected?: number, head?: boolean, idleMs?: number, timeoutMs?: number }} [options]
 * @returns {Promise<Exchange>}
 */
export function exchange(port, request, options = {}) {
  const { expected = 1, head = false, idleMs = 30, timeoutMs = 5000 } = options
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    /** @type {Buffer[]} */
    const chunks = []
    let closed = false
    let finished = false
    /** @type {NodeJS.Timeout | undefined} */
    let idle
    const finish = () => {
      if (finished) return
      finished = true
      clearTimeout(deadline)
      clearTimeout(idle)
      /** @type {RawResponse[]} */
      const responses = []
      let buf = Buffer.concat(chunks)
      for (;;) {
        const parsed = buf.length === 0 ? undefined : parseResponse(buf, head, true)
        if (parsed === undefined) break
        responses.push(parsed.response)
        buf = parsed.rest
        if (!parsed.response.complete) break
      }
      socket.destroy()
      resolve({ responses, closed, rest: buf })
    }
    const countWhole = () => {
      let buf = Buffer.concat(chunks)
      let n = 0
      for (;;) {
        const parsed = parseResponse(buf, head, false)
        if (parsed === undefined) return n
        n++
        buf = parsed.rest
      }
    }
    const deadline = setTimeout(finish, timeoutMs)
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      clearTimeout(idle)
      if (countWhole() >= expected) idle = setTimeout(finish, idleMs)
    })
    socket.on('error', () => {
      // A reset ends the exchange like a close.
    })
    socket.on('close', () => {
      closed = true
      finish()
    })
    socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request)
  })
}
