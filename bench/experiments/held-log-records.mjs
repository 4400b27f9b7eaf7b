/**
 * The simple server with its access log held as the request's pieces rather than as encoded
 * lines: each request stores its address, date, method, target, version, code and size, and the
 * lines are formatted, joined and written only when the held records are flushed (every 50 ms,
 * before any other `stderr` text, and at exit). The text that reaches `stderr` is the same; what
 * moves is when it is formatted, and the per-line `Buffer#write` of `LogStream` is gone. The
 * question it answers: does the access log get cheaper per request that way?
 *
 *   node bench/src/ab.mjs file://$PWD/bench/experiments/held-log-records.mjs simple hello
 *
 * @module
 */
import { WSGIRequestHandler, makeServer } from '@wsgi/core/simple-server'

import { escapeControl, logDateTimeString } from '../../packages/core/dist/simple-server/log.js'
import { gatewayApp } from '../src/apps/gateway.mjs'
import { HOST } from '../src/stacks/listen.mjs'

const FIELDS = 7

/** A `wsgi.errors` that holds access-log records and writes them, formatted, in one go. */
class RecordLog {
  /** @type {unknown[]} */
  #records = []
  #scheduled = false

  /**
   * @param {string} address
   * @param {string} method
   * @param {string} url
   * @param {string} version
   * @param {number | string} code
   * @param {number | string} size
   */
  record(address, method, url, version, code, size) {
    this.#records.push(address, logDateTimeString(), method, url, version, code, size)
    if (!this.#scheduled) {
      this.#scheduled = true
      setTimeout(() => {
        this.#scheduled = false
        this.flush()
      }, 50).unref()
    }
  }

  /** @param {string} s */
  write(s) {
    this.flush()
    process.stderr.write(s)
  }

  /** @param {Iterable<string>} seq */
  writelines(seq) {
    for (const s of seq) this.write(s)
  }

  flush() {
    const records = this.#records
    if (records.length === 0) return
    this.#records = []
    let text = ''
    for (let i = 0; i < records.length; i += FIELDS) {
      const r = (/** @type {number} */ k) => String(records[i + k])
      text += `${r(0)} - - [${r(1)}] "${escapeControl(r(2))} ${escapeControl(r(3))} HTTP/${escapeControl(r(4))}" ${r(5)} ${r(6)}\n`
    }
    process.stderr.write(text)
  }
}

const log = new RecordLog()

class RecordingHandler extends WSGIRequestHandler {
  /**
   * @override
   * @param {number | string} [code]
   * @param {number | string} [size]
   */
  logRequest(code = '-', size = '-') {
    const req = this.request
    log.record(this.addressString(), req.method ?? '', req.url ?? '', req.httpVersion, code, size)
  }
}

/** @returns {Promise<import('../src/stacks/index.mjs').Running>} */
export async function start() {
  process.once('exit', () => {
    log.flush()
  })
  const server = await makeServer(HOST, 0, gatewayApp, { handlerClass: RecordingHandler })
  server.stderr = log
  return { port: server.serverPort, close: () => server.shutdown() }
}
