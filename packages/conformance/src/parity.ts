/**
 * Table-driven suites that hold a framework bridge to the framework on its own server, over raw
 * sockets (no client normalises the target): the request target as sent (`%2F`, `%2e%2e`, a
 * malformed escape) routes the same through `fromX` and on the framework's server, reaches a
 * gateway app mounted with `toX` unchanged; and a status line goes out the same. Each adapter's
 * test file calls them with its framework.
 *
 * @module
 */
import { describe, expect, it } from 'vitest'

import { dispatch } from '@wsgi/core/dispatch'
import type { WSGIApplication } from '@wsgi/core/types'

import { exchange } from './raw-http.ts'
import { rawGet, serveSimpleForTest } from './test-server.ts'

/** A framework bridge for {@link describeRawTarget}. */
export interface RawTargetBridge {
  /** The framework's name in test titles: `'Express'`. */
  readonly framework: string
  /** The bridges' names in test titles: `'fromExpress'`, `'toExpress'`. */
  readonly fromName: string
  readonly toName: string
  /**
   * The test app bridged with `fromX`: `/files/:name` answers `{ name, url }` (200), every path
   * it does not route answers 404 with a JSON body (at least its `url`).
   */
  readonly gatewayApp: () => WSGIApplication
  /** The same framework app on its own `node:http` server for the test; resolves to the port. */
  readonly nativePort: () => Promise<number>
  /** `GET target`: the status and a subset of the JSON body, through `fromX` and natively. */
  readonly cases: readonly (readonly [target: string, status: number, body: object])[]
  /** `GET target` below a `dispatch` mount at `/api`: the status (when given) and the JSON body. */
  readonly mounted: readonly {
    readonly target: string
    readonly status?: number
    readonly body: unknown
  }[]
  /**
   * The framework's server for the test, with `report` mounted at `/m` with `toX`, and the test
   * app (`toX(fromX(app))`) at `/inner`; resolves to the port.
   */
  readonly serveMounts: (report: WSGIApplication) => Promise<number>
}

/** Answers with its REQUEST_URI, SCRIPT_NAME and PATH_INFO as JSON. */
export const targetReportApp: WSGIApplication = (environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'application/json']])
  const { REQUEST_URI, SCRIPT_NAME, PATH_INFO } = environ
  return [Buffer.from(JSON.stringify({ REQUEST_URI, SCRIPT_NAME, PATH_INFO }))]
}

/**
 * `fromX` on the simple server (and below a `dispatch` mount) must route the raw target as the
 * framework on its own server does; `toX` gives a mounted gateway app the target as sent, and a
 * framework app inside it the raw path.
 */
export function describeRawTarget(bridge: RawTargetBridge): void {
  const { framework, fromName, toName } = bridge
  describe(`${fromName} and the raw request target`, () => {
    it.each(bridge.cases)(
      `GET %s reaches ${framework} as on its own server`,
      async (target, status, expected) => {
        const [ours, theirs] = await Promise.all([
          serveSimpleForTest(bridge.gatewayApp()).then((port) => rawGet(port, target)),
          bridge.nativePort().then((port) => rawGet(port, target)),
        ])
        expect(ours.status).toBe(status)
        expect(JSON.parse(ours.body)).toMatchObject(expected)
        expect(ours).toEqual(theirs)
      },
    )

    it('keeps the raw rest of the path below a dispatch mount', async () => {
      const port = await serveSimpleForTest(dispatch({ '/api': bridge.gatewayApp() }))
      for (const { target, status, body } of bridge.mounted) {
        const response = await rawGet(port, target)
        if (status !== undefined) expect(response.status).toBe(status)
        expect(JSON.parse(response.body)).toEqual(body)
      }
    })
  })

  describe(`${toName} and the raw request target`, () => {
    it(`gives a mounted gateway app the target as sent, and the ${framework} app inside it the raw path`, async () => {
      const port = await bridge.serveMounts(targetReportApp)
      expect(JSON.parse((await rawGet(port, '/m/a%2Fb?q')).body)).toEqual({
        REQUEST_URI: '/m/a%2Fb?q',
        SCRIPT_NAME: '/m',
        PATH_INFO: '/a/b',
      })
      expect(JSON.parse((await rawGet(port, '/inner/files/a%2Fb')).body)).toEqual({
        name: 'a/b',
        url: '/files/a%2Fb',
      })
    })
  })
}

/** The status line and the body of a response read to its end. */
export interface StatusAndBody {
  readonly statusLine: string
  readonly body: string
}

/** `GET target` on a new connection (`Connection: close`, read to the end): status line and body. */
export async function getStatusLine(port: number, target: string): Promise<StatusAndBody> {
  const text = await exchange(
    port,
    `GET ${target} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`,
  )
  return {
    statusLine: text.slice(0, text.indexOf('\r\n')),
    body: text.slice(text.indexOf('\r\n\r\n') + 4),
  }
}

/** One row of {@link describeStatusParity}. */
export interface StatusCase {
  readonly target: string
  /** The body must be the framework's too (else only the status line is compared). */
  readonly sameBody: boolean
  /** What the response must be, beyond matching the framework's. */
  readonly expected?: StatusAndBody | undefined
  /** Or: the status lines (`'700 unknown'`, past `HTTP/1.1 `) and bodies one of which it must be. */
  readonly oneOf?: readonly string[] | undefined
}

/** A framework bridge for {@link describeStatusParity}. */
export interface StatusBridge {
  /** The describe title: `'fromKoa with Koa 3'`. */
  readonly title: string
  /** The framework's name in test titles. */
  readonly framework: string
  /** The test app through `fromX` on a server for the test; resolves to the port. */
  readonly ourPort: () => Promise<number>
  /** The same framework app on its own server for the test; resolves to the port. */
  readonly nativePort: () => Promise<number>
  readonly cases: readonly StatusCase[]
}

/** Each status `GET target` gets goes out through `fromX` as on the framework's own server. */
export function describeStatusParity(bridge: StatusBridge): void {
  describe(bridge.title, () => {
    it.each(bridge.cases.map((c) => [c.target, c] as const))(
      `answers GET %s as ${bridge.framework} on its own server does`,
      async (target, c) => {
        const [ours, theirs] = await Promise.all([
          bridge.ourPort().then((port) => getStatusLine(port, target)),
          bridge.nativePort().then((port) => getStatusLine(port, target)),
        ])
        if (c.sameBody) expect(ours).toEqual(theirs)
        else expect(ours.statusLine).toBe(theirs.statusLine)
        if (c.expected !== undefined) expect(ours).toEqual(c.expected)
        if (c.oneOf !== undefined) {
          expect(c.oneOf).toContain(`${ours.statusLine.slice(9)} | ${ours.body}`)
        }
      },
    )
  })
}
