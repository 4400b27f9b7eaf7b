/**
 * The in-memory wire of the CPU judge (cpu-judge.mjs): a socket with no file descriptor that a
 * real `node:http` server accepts through its `'connection'` event, a reader for the HTTP/1.1
 * responses it writes, and a client that keeps one keep-alive connection busy with requests.
 *
 * Nothing here makes a system call, so the CPU time of a run is the server's code (parser,
 * `IncomingMessage`/`ServerResponse`, the stack under test) plus this small client, and not the
 * kernel's TCP path, whose cost and noise dominate the socket benchmark on a shared machine. The
 * client is the same for both sides of a comparison; its own cost is a few µs per request.
 *
 * Only `node:` modules are imported, so the judge can drive the stacks of any checkout.
 *
 * @module
 */
import { Duplex } from 'node:stream'

/**
 * A connection without a file descriptor: what the server writes goes to `sink` at once; what
 * the client sends is pushed into the readable side. It carries the fields `node:http` and the
 * frameworks read off a `net.Socket` (addresses, `setTimeout`, `setNoDelay`…).
 */
export class MemorySocket extends Duplex {
  remoteAddress = '127.0.0.1'
  remotePort = 50_000
  remoteFamily = 'IPv4'
  localAddress = '127.0.0.1'
  localPort = 8000
  /** @type {(chunk: Buffer) => void} */
  #sink

  /**
   * @param {(chunk: Buffer) => void} sink gets every chunk the server writes, in order
   * @param {number} localPort the port the server reports (its real listening port)
   */
  constructor(sink, localPort) {
    // Strings pass as they are, as on a net.Socket (which writes them to its handle without a
    // Buffer); the sink turns them into bytes on the client's side.
    super({ decodeStrings: false, allowHalfOpen: true })
    this.#sink = sink
    this.localPort = localPort
  }

  /**
   * The client pushes; there is nothing to pull.
   *
   * @override
   */
  _read() {}

  /**
   * @override
   * @param {Buffer | string} chunk
   * @param {BufferEncoding} encoding
   * @param {(error?: Error | null) => void} callback
   */
  _write(chunk, encoding, callback) {
    this.#sink(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk)
    callback()
  }

  /**
   * The corked head and body of a response, in one call, as a net.Socket writes them.
   *
   * @override
   * @param {Array<{ chunk: Buffer | string, encoding: BufferEncoding }>} chunks
   * @param {(error?: Error | null) => void} callback
   */
  _writev(chunks, callback) {
    for (const { chunk, encoding } of chunks) {
      this.#sink(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk)
    }
    callback()
  }

  /** @param {number} _ms */
  setTimeout(_ms) {
    return this
  }

  setNoDelay() {
    return this
  }

  setKeepAlive() {
    return this
  }

  ref() {
    return this
  }

  unref() {
    return this
  }
}

/**
 * One complete response.
 *
 * @typedef {object} WireResponse
 * @property {number} status
 * @property {string} head the status line and headers
 * @property {number} bodyLength body bytes (chunked bodies: the data, without the framing)
 * @property {Buffer | undefined} body the body, when the reader keeps bodies
 */

const CRLF2 = Buffer.from('\r\n\r\n')
const HEAD = 0
const LENGTH = 1
const CHUNK_LINE = 2
const CHUNK_DATA = 3
const CHUNK_END = 4
const TRAILER = 5

/**
 * Reads HTTP/1.1 responses from the bytes a server writes, chunk by chunk: `Content-Length` and
 * chunked bodies. A response the client cannot delimit on a keep-alive connection (no length,
 * not chunked, or `Connection: close`) is an error: the judge must not measure a broken path.
 */
export class ResponseReader {
  /** When true, each response's body is copied and handed over (for the correctness checks). */
  keepBody = false
  #state = HEAD
  /** @type {Buffer | undefined} head bytes of a head split over chunks */
  #pendingHead
  #pendingLine = ''
  #left = 0
  #status = 0
  #head = ''
  #bodyLength = 0
  /** @type {Buffer[]} */
  #parts = []
  /** @type {(response: WireResponse) => void} */
  #onResponse
  /** @type {(error: Error) => void} */
  #onError

  /**
   * @param {(response: WireResponse) => void} onResponse
   * @param {(error: Error) => void} onError
   */
  constructor(onResponse, onError) {
    this.#onResponse = onResponse
    this.#onError = onError
  }

  /** @param {Buffer} chunk */
  push(chunk) {
    let at = 0
    while (at < chunk.length) {
      switch (this.#state) {
        case HEAD:
          at = this.#readHead(chunk, at)
          if (at < 0) return
          break
        case LENGTH:
        case CHUNK_DATA: {
          const take = Math.min(this.#left, chunk.length - at)
          this.#bodyLength += take
          if (this.keepBody) this.#parts.push(Buffer.from(chunk.subarray(at, at + take)))
          this.#left -= take
          at += take
          if (this.#left === 0) {
            if (this.#state === LENGTH) this.#finish()
            else {
              this.#state = CHUNK_END
              this.#left = 2
            }
          }
          break
        }
        case CHUNK_END: {
          const take = Math.min(this.#left, chunk.length - at)
          this.#left -= take
          at += take
          if (this.#left === 0) this.#state = CHUNK_LINE
          break
        }
        case CHUNK_LINE:
        case TRAILER: {
          const nl = chunk.indexOf(10, at)
          if (nl < 0) {
            this.#pendingLine += chunk.toString('latin1', at, chunk.length)
            return
          }
          const line = (this.#pendingLine + chunk.toString('latin1', at, nl)).replace(/\r$/, '')
          this.#pendingLine = ''
          at = nl + 1
          this.#line(line)
          break
        }
      }
    }
  }

  /**
   * @param {Buffer} chunk
   * @param {number} at
   * @returns {number} where the head ended in `chunk`, or -1 when it goes on in the next chunk
   */
  #readHead(chunk, at) {
    const pending = this.#pendingHead
    const bytes = pending === undefined ? chunk : Buffer.concat([pending, chunk.subarray(at)])
    const from = pending === undefined ? at : 0
    const end = bytes.indexOf(CRLF2, from)
    if (end < 0) {
      this.#pendingHead = Buffer.from(bytes.subarray(from))
      return -1
    }
    this.#pendingHead = undefined
    const head = bytes.toString('latin1', from, end)
    this.#startBody(head)
    // Where the body starts in `chunk`: the head's end, less what came from earlier chunks.
    return pending === undefined ? end + 4 : end + 4 - pending.length + at
  }

  /** @param {string} head */
  #startBody(head) {
    this.#head = head
    this.#status = Number(head.slice(9, 12))
    this.#bodyLength = 0
    this.#parts = []
    // One lower-cased copy and three searches: the client's cost stays small beside the server's.
    const lower = head.toLowerCase()
    const at = lower.indexOf('\r\ncontent-length:')
    const length = at < 0 ? undefined : Number.parseInt(lower.slice(at + 17, at + 40).trim(), 10)
    const te = lower.indexOf('\r\ntransfer-encoding:')
    const chunked = te >= 0 && /^[^\r]*chunked/.test(lower.slice(te + 20))
    if (/\r\nconnection:\s*close/.test(lower)) {
      this.#onError(new Error(`the server closes the connection:\n${head}`))
    }
    if (chunked) this.#state = CHUNK_LINE
    else if (length !== undefined) {
      this.#left = length
      this.#state = LENGTH
      if (length === 0) this.#finish()
    } else this.#onError(new Error(`a response without a length on keep-alive:\n${head}`))
  }

  /** @param {string} line */
  #line(line) {
    if (this.#state === TRAILER) {
      if (line === '') this.#finish()
      return
    }
    const size = Number.parseInt(line, 16)
    if (Number.isNaN(size)) {
      this.#onError(new Error(`bad chunk size line ${JSON.stringify(line)}`))
      return
    }
    if (size === 0) this.#state = TRAILER
    else {
      this.#left = size
      this.#state = CHUNK_DATA
    }
  }

  #finish() {
    const body = this.keepBody ? Buffer.concat(this.#parts) : undefined
    this.#state = HEAD
    this.#parts = []
    this.#onResponse({ status: this.#status, head: this.#head, bodyLength: this.#bodyLength, body })
  }
}

/**
 * A client on one in-memory keep-alive connection to `server`: sends the same request again and
 * again, `depth` at a time (1: the next request after each response, as a keep-alive client
 * does; more: pipelined), and checks each response.
 */
export class MemoryClient {
  /** @type {MemorySocket} */
  #socket
  /** @type {ResponseReader} */
  #reader
  /** @type {Buffer[]} */
  #request
  /** @type {(response: WireResponse) => string | undefined} */
  #check
  #depth
  #sent = 0
  #done = 0
  #wanted = 0
  /** @type {((error?: Error) => void) | undefined} */
  #settle

  /**
   * @param {import('node:http').Server} server a server built by the stack (listening or not)
   * @param {Buffer[]} request the request's bytes, in the pieces a socket would deliver them
   * @param {(response: WireResponse) => string | undefined} check what is wrong, else `undefined`
   * @param {number} [depth] requests in flight at once
   */
  constructor(server, request, check, depth = 1) {
    this.#request = request
    this.#check = check
    this.#depth = depth
    this.#reader = new ResponseReader(
      (response) => {
        this.#response(response)
      },
      (error) => {
        this.#fail(error)
      },
    )
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 8000
    this.#socket = new MemorySocket((chunk) => {
      this.#reader.push(chunk)
    }, port)
    this.#socket.on('close', () => {
      this.#fail(new Error('the server closed the connection'))
    })
    server.emit('connection', this.#socket)
  }

  /**
   * Send `count` requests and wait for their responses.
   *
   * @param {number} count
   * @param {{ keepBody?: boolean }} [options] hand each body to the check (slower; for checks)
   * @returns {Promise<void>}
   */
  run(count, options = {}) {
    this.#reader.keepBody = options.keepBody ?? false
    this.#sent = 0
    this.#done = 0
    this.#wanted = count
    return new Promise((resolve, reject) => {
      this.#settle = (error) => {
        this.#settle = undefined
        if (error === undefined) resolve()
        else reject(error)
      }
      for (let i = 0; i < Math.min(this.#depth, count); i++) this.#send()
    })
  }

  /** Close the connection from the client's side. */
  close() {
    this.#settle = undefined
    this.#socket.push(null)
    this.#socket.destroy()
  }

  #send() {
    this.#sent++
    for (const piece of this.#request) this.#socket.push(piece)
  }

  /** @param {WireResponse} response */
  #response(response) {
    const problem = this.#check(response)
    if (problem !== undefined) {
      this.#fail(new Error(`${problem}\n${response.head}`))
      return
    }
    this.#done++
    if (this.#done === this.#wanted) this.#settle?.()
    // The next request arrives in a later turn of the event loop, as one from a socket does.
    else if (this.#sent < this.#wanted) setImmediate(() => this.#send())
  }

  /** @param {Error} error */
  #fail(error) {
    this.#settle?.(error)
  }
}
