/**
 * The conformance suite for the Node bridge of `@wsgi/core`, in three arrangements:
 * - to: `node:http` + `toNodeListener(app)`;
 * - from: a Node listener through `fromNodeListener`, served by `toNodeListener` on `node:http`;
 * - round trip: `toNodeListener(fromNodeListener(toNodeListener(app)))`.
 *
 * @module
 */
import { createServer } from 'node:http'
import type { RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'

import { attachListener, fromNodeListener, toNodeListener } from '@wsgi/core/node'
import type { WSGIApplication } from '@wsgi/core'

import { describeBridge } from '../src/index.ts'
import type { Served } from '../src/index.ts'

// Application errors are expected here (the suite provokes them); keep them off the test output.
const quiet = { write: () => undefined, writelines: () => undefined, flush: () => undefined }

async function serveNode(listener: RequestListener): Promise<Served> {
  const server = createServer()
  attachListener(server, listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

const gateway = (app: WSGIApplication): RequestListener => toNodeListener(app, { errors: quiet })

describeBridge('node: toNodeListener', {
  serveGateway: (app) => serveNode(gateway(app)),
})

describeBridge('node: fromNodeListener', {
  serveListener: (listener) => serveNode(gateway(fromNodeListener(listener))),
})

describeBridge('node: round trip', {
  serveGateway: (app) => serveNode(gateway(fromNodeListener(gateway(app)))),
})
