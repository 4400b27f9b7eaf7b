/**
 * Statuses from 100 to 999 through the Koa bridges, compared with Koa on its own server. Koa 2.16
 * and 3 both take any code from 100 to 999 (they throw "invalid status code" only outside it), with
 * or without a message: `ctx.status = 700` goes out as `700 unknown`, Node's reason for a code it
 * has no name for, and a final 101 without a body. fromKoa must answer the same.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import Koa from 'koa'
import Koa2 from 'koa2'
import { describe, expect, it, onTestFinished } from 'vitest'

import { describeStatusParity, getStatusLine, serveSimpleForTest } from '@wsgi/conformance'
import type { WSGIApplication } from '@wsgi/core/types'

import { fromKoa } from './from-koa.ts'
import { toKoa } from './to-koa.ts'

type AnyKoa = Koa | Koa2

/** `/<code>` sets that status, with `?m=<reason>` a message too, and a body. */
function makeApp(Factory: typeof Koa): AnyKoa {
  const app = new Factory()
  app.silent = true
  app.use((ctx: Koa.Context) => {
    ctx.status = Number(ctx.path.slice(1))
    const message = ctx.query['m']
    if (typeof message === 'string') ctx.message = message
    ctx.body = 'k'
  })
  return app
}

async function listen(app: AnyKoa): Promise<number> {
  const listener = app.callback()
  const server = createServer((req, res) => {
    void listener(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => {
    server.closeAllConnections()
    server.close()
  })
  return (server.address() as AddressInfo).port
}

const CARRIED = ['700 unknown | k', '701 unknown | k', '700 Custom | k', '701 Custom | k']
const SWITCHED = { statusLine: 'HTTP/1.1 101 Switching Protocols', body: '' }

for (const [name, Factory] of [
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
] as const) {
  describeStatusParity({
    title: `fromKoa with ${name}`,
    framework: 'Koa',
    ourPort: () => serveSimpleForTest(fromKoa(makeApp(Factory) as Koa)),
    nativePort: () => listen(makeApp(Factory)),
    cases: [
      ...['/700', '/701', '/700?m=Custom', '/701?m=Custom'].map((target) => ({
        target,
        sameBody: true,
        oneOf: CARRIED,
      })),
      { target: '/101', sameBody: true, expected: SWITCHED },
    ],
  })
}

describe('toKoa and statuses', () => {
  it("sends a gateway app's 700 Custom and final 101 through Koa 3", async () => {
    const app: WSGIApplication = (environ, startResponse) => {
      startResponse(environ.PATH_INFO === '/101' ? '101 Switching Protocols' : '700 Custom', [
        ['Content-Type', 'text/plain'],
      ])
      return [Buffer.from('body')]
    }
    const port = await listen(new Koa().use(toKoa(app)))
    expect(await getStatusLine(port, '/700')).toEqual({
      statusLine: 'HTTP/1.1 700 Custom',
      body: 'body',
    })
    expect(await getStatusLine(port, '/101')).toEqual(SWITCHED)
  })
})
