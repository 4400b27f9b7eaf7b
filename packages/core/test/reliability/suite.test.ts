/**
 * The shared reliability suite (`reliability/lib/suite.mjs`) through every server and bridge of
 * core: malformed and borderline requests over raw sockets, misbehaving applications, clients
 * that go away mid-exchange, and fast-check round trips. A short run; `node reliability/run.mjs`
 * makes the long one.
 *
 * @module
 */
import { describeReliability } from '../../../../reliability/lib/suite.mjs'
import type { WSGIApplication } from '../../src/types.ts'
import { STACKS, gatewayListener } from './stacks.ts'

describeReliability(STACKS, {
  toListener: (app) => gatewayListener(app as WSGIApplication),
})
