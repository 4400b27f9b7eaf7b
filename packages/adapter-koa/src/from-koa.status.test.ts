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

import { RawClient, serveSimpleForTest } from '@wsgi/conformance'
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

/** The status line and body of `GET target` (`Connection: close`, read to the end). */
async function get(port: number, target: string): Promise<string> {
  const client = await RawClient.open(port)
  client.write(`GET ${target} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`)
  const text = await client.untilClosed()
  const status = text.slice(0, text.indexOf('\r\n'))
  return `${status} | ${text.slice(text.indexOf('\r\n\r\n') + 4)}`
}

const CARRIED = ['700 unknown | k', '701 unknown | k', '700 Custom | k', '701 Custom | k']

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
] as const)('fromKoa with %s', (_name, Factory) => {
  it.each(['/700', '/701', '/700?m=Custom', '/701?m=Custom', '/101'])(
    'answers GET %s as Koa on its own server does',
    async (target) => {
      const [ours, theirs] = await Promise.all([
        serveSimpleForTest(fromKoa(makeApp(Factory) as Koa)).then((port) => get(port, target)),
        listen(makeApp(Factory)).then((port) => get(port, target)),
      ])
      expect(ours).toBe(theirs)
      if (target === '/101') expect(ours).toBe('HTTP/1.1 101 Switching Protocols | ')
      else expect(CARRIED).toContain(ours.slice(9))
    },
  )
})

describe('toKoa and statuses', () => {
  it("sends a gateway app's 700 Custom and final 101 through Koa 3", async () => {
    const app: WSGIApplication = (environ, startResponse) => {
      startResponse(environ.PATH_INFO === '/101' ? '101 Switching Protocols' : '700 Custom', [
        ['Content-Type', 'text/plain'],
      ])
      return [Buffer.from('body')]
    }
    const port = await listen(new Koa().use(toKoa(app)))
    expect(await get(port, '/700')).toBe('HTTP/1.1 700 Custom | body')
    expect(await get(port, '/101')).toBe('HTTP/1.1 101 Switching Protocols | ')
  })
})
