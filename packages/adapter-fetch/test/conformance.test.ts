/**
 * The conformance suite for the fetch bridge, served by `@hono/node-server` (a fetch host on
 * `node:http`): a gateway app through `toFetch`, a Node listener through
 * `toFetch(fromNodeListener(listener))`, and the round trip `toFetch(fromFetch(toFetch(app)))`.
 *
 * @module
 */
import type { Server } from 'node:http'

import { createAdaptorServer } from '@hono/node-server'

import { describeBridge, serveHttp } from '@wsgi/conformance'
import { fromNodeListener } from '@wsgi/core/node'
import type { WSGIApplication } from '@wsgi/core/types'

import { fromFetch, toFetch } from '../src/index.ts'

// Application errors are expected here (the suite provokes them); keep them off the test output.
const quiet = { write: () => undefined, writelines: () => undefined, flush: () => undefined }

const serve = (app: WSGIApplication): ReturnType<typeof serveHttp> =>
  serveHttp(createAdaptorServer({ fetch: toFetch(app, { errors: quiet }) }) as Server)

// A fetch Request holds a repeated header joined with ', ' before the bridge sees it.
const headerJoiner = ', '

describeBridge('fetch: toFetch on @hono/node-server', { serveGateway: serve, headerJoiner })

describeBridge('fetch: toFetch(fromNodeListener(listener)) on @hono/node-server', {
  serveListener: (listener) => serve(fromNodeListener(listener)),
  headerJoiner,
})

describeBridge('fetch: round trip toFetch(fromFetch(toFetch(app)))', {
  serveGateway: (app) => serve(fromFetch(toFetch(app, { errors: quiet }))),
  headerJoiner,
})
