/**
 * A `fromNodeListener` app under a fetch host (`toFetch`) runs on the synthetic path: there is
 * no Node request to pass through, so the listener gets synthetic objects.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'

import { describe, expect, it } from 'vitest'

import { fromNodeListener } from '@wsgi/core/node'

import { toFetch } from './to-fetch.ts'

function reporter(req: IncomingMessage, res: ServerResponse): void {
  res.end(`${req.socket instanceof Socket ? 'native' : 'synthetic'} ${req.url ?? ''}`)
}

describe('fromNodeListener under toFetch', () => {
  it('takes the synthetic path', async () => {
    const handler = toFetch(fromNodeListener(reporter))
    const response = await handler(new Request('http://localhost/x?q=1'))
    expect(await response.text()).toBe('synthetic /x?q=1')
  })
})
