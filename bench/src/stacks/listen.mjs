/**
 * Listening helpers for the child servers: every server binds 127.0.0.1 on a free port.
 *
 * @module
 */

/** The address every server binds. */
export const HOST = '127.0.0.1'

/**
 * Listen on a free port of 127.0.0.1.
 *
 * @param {import('node:net').Server} server
 * @returns {Promise<number>} the port
 */
export function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, HOST, () => {
      server.off('error', reject)
      const address = server.address()
      resolve(typeof address === 'object' && address !== null ? address.port : 0)
    })
  })
}

/**
 * Close a server and every connection it holds.
 *
 * @param {import('node:http').Server} server
 * @returns {Promise<void>}
 */
export function close(server) {
  return new Promise((resolve) => {
    server.close(() => {
      resolve()
    })
    server.closeAllConnections()
  })
}
