/**
 * A server under test as the reliability suites drive it, and core's simple server in that
 * form. Needs nothing but `node:` types, so core's own reliability stacks take it by path (core
 * cannot depend on this package); `serve.ts` builds on it.
 *
 * @module
 */
import type { Server } from 'node:http'

/** A server under test, as the reliability suite drives it. */
export interface Listening {
  readonly port: number
  readonly server: Server
  /** Everything written to the log so far. */
  errors(): string
  close(): Promise<void>
}

/** What `simpleListening` uses of core's simple server (`WSGIServer`). */
export interface SimpleServerLike {
  readonly serverPort: number
  readonly httpServer: Server
  shutdown(): Promise<void>
}

/**
 * The listening simple server `server` as a server under test whose errors are in `log`; its
 * `close()` cuts the connections a fault left open before the server shuts down.
 */
export function simpleListening(server: SimpleServerLike, log: { getValue(): string }): Listening {
  return {
    port: server.serverPort,
    server: server.httpServer,
    errors: () => log.getValue(),
    close: async () => {
      server.httpServer.closeAllConnections()
      await server.shutdown()
    },
  }
}
