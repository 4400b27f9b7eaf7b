/**
 * An application that answers before it reads the request body, the way an app refuses an
 * upload that is too large (`413`), and the check of what an uploading client gets through each
 * stack: the whole answer, never a connection reset in its place. A server that closed at once
 * while the client still sends would reset the connection and lose the answer; the bridges
 * drain up to a budget, then close the lingering way (say `Connection: close`, end their side,
 * read and drop what the client still sends).
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { once } from 'node:events'
import { connect } from 'node:net'

import { parseResponse } from './raw-http.mjs'

/** What the app answers, without reading a byte of the body. */
export const EARLY_BODY = 'upload refused'

/** The upload the client sends: four times the bridges' default drain budget. */
export const EARLY_UPLOAD = 4 * 1024 * 1024

/** @type {import('./bad-apps.mjs').GatewayApp} */
export function earlyAnswerApp(_environ, startResponse) {
  startResponse('413 Content Too Large', [
    ['Content-Type', 'text/plain'],
    ['Content-Length', String(EARLY_BODY.length)],
  ])
  return [Buffer.from(EARLY_BODY)]
}

/**
 * Uploads {@link EARLY_UPLOAD} bytes to `port` (honouring backpressure, stopping when the server
 * closes), and reads what comes back until the connection closes or `timeoutMs` passes.
 *
 * @param {number} port
 * @param {number} [timeoutMs]
 * @returns {Promise<string[]>} the problems, empty when the client read the whole answer
 */
export async function checkEarlyAnswer(port, timeoutMs = 20_000) {
  const socket = connect(port, '127.0.0.1')
  /** @type {Buffer[]} */
  const received = []
  /** @type {Error | undefined} */
  let failure
  socket.on('data', (chunk) => received.push(chunk))
  socket.on('error', (error) => {
    failure = error
  })
  const closed = once(socket, 'close').then(() => undefined)
  const timer = setTimeout(() => socket.destroy(), timeoutMs)
  try {
    await once(socket, 'connect')
    socket.write(
      `POST /early HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n` +
        `Content-Length: ${EARLY_UPLOAD}\r\n\r\n`,
    )
    const block = Buffer.alloc(64 * 1024, 0x61)
    for (let sent = 0; sent < EARLY_UPLOAD; sent += block.length) {
      if (socket.destroyed || socket.writableEnded) break
      if (!socket.write(block)) await Promise.race([once(socket, 'drain'), closed])
    }
  } catch (error) {
    failure = /** @type {Error} */ (error)
  }
  // A server that keeps the connection after draining the whole upload is as good as one that
  // closes it: stop waiting once the answer is in.
  const answered = async () => {
    while (parseResponse(Buffer.concat(received), false, false) === undefined) {
      await Promise.race([once(socket, 'data'), closed])
      if (socket.destroyed) return
    }
  }
  await Promise.race([answered(), closed])
  clearTimeout(timer)
  socket.destroy()
  const parsed = parseResponse(Buffer.concat(received), false, true)
  const code = /** @type {{ code?: string } | undefined} */ (failure)?.code
  /** @type {string[]} */
  const problems = []
  // A reset loses the answer whenever it overtakes it; that it did not on this run is luck.
  if (code !== undefined) problems.push(`the connection failed with ${code}`)
  if (parsed === undefined) {
    problems.push('no answer to the early-refused upload')
  } else {
    const { response } = parsed
    if (response.status !== 413) problems.push(`status ${response.status}, not 413`)
    if (!response.complete || response.body.toString() !== EARLY_BODY) {
      problems.push(`body ${JSON.stringify(response.body.toString())}, not the whole answer`)
    }
  }
  return problems
}
