/**
 * The conformance suite for the Node bridge of `@wsgi/core`, in three arrangements:
 * - to: `node:http` + `toNodeListener(app)`;
 * - from: a Node listener through `fromNodeListener`, served by `toNodeListener` on `node:http`;
 * - round trip: `toNodeListener(fromNodeListener(toNodeListener(app)))`.
 *
 * @module
 */
import type { RequestListener } from 'node:http'

import { fromNodeListener, toNodeListener } from '@wsgi/core/node'
import type { WSGIApplication } from '@wsgi/core'

import { describeBridge, serveNode } from '../src/index.ts'

// Application errors are expected here (the suite provokes them); keep them off the test output.
const quiet = { write: () => undefined, writelines: () => undefined, flush: () => undefined }

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
