/**
 * `fromNodeListener` of a plain Node listener on `makeServer`: the pass-through and the synthetic
 * path send the same bytes and log lines for a head in every form Node's `_storeHeader` takes
 * (its own header table, a flat list, a list of pairs, a plain object) with hop-by-hop headers
 * in each, a `Connection` header that names another, an implicit `Content-Length`, and the
 * listener's own `Date` and `Server`, each for GET and HEAD.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'

import { fromNodeListener } from '@wsgi/core/node'

import { BODY_CASES, describePassThrough, getRequest } from '../src/index.ts'

type Route = (res: ServerResponse) => void

const ROUTES: Record<string, Route> = {
  // A flat list of names and values (writeHead's array form) with a hop-by-hop header.
  '/flat': (res) => {
    res.writeHead(200, ['Content-Type', 'text/plain', 'Keep-Alive', 'timeout=5', 'X-Flat', '1'])
    res.end('flat')
  },
  // A list of [name, value] pairs with a proxy-* header.
  '/pairs': (res) => {
    res.writeHead(200, [
      ['Content-Type', 'text/plain'],
      ['Proxy-Authenticate', 'Basic'],
      ['X-Pairs', '1'],
    ] as unknown as string[])
    res.end('pairs')
  },
  // A plain object with a repeated header (an array value) and a hop-by-hop one, no table.
  '/object': (res) => {
    res.writeHead(200, {
      'content-type': 'text/plain',
      'Set-Cookie': ['a=1', 'b=2'],
      'PROXY-Thing': 'x',
      Upgrade: 'websocket',
    })
    res.end('object')
  },
  // Node's own table, merged from setHeader() and writeHead()'s object.
  '/merged': (res) => {
    res.setHeader('X-First', '1')
    res.writeHead(200, { 'X-Second': '2', TE: 'trailers', 'Content-Length': '6' })
    res.end('merged')
  },
  // A Connection header that names another header: both are hop-by-hop.
  '/named': (res) => {
    res.setHeader('Content-Type', 'text/plain')
    res.setHeader('Connection', 'X-Hidden')
    res.setHeader('X-Hidden', '1')
    res.end('named')
  },
  // No header at all: Node's implicit Content-Length, after the server's Date.
  '/bare': (res) => {
    res.end('bare body')
  },
  // The listener's own Date and Server, and the implicit Content-Length.
  '/own': (res) => {
    res.setHeader('Date', 'Mon, 01 Jan 2024 00:00:00 GMT')
    res.setHeader('Server', 'listener/1')
    res.end('own')
  },
  // The listener frames the body itself.
  '/framed': (res) => {
    res.setHeader('Transfer-Encoding', 'chunked')
    res.write('a')
    res.end('b')
  },
  // A status without a body: no Content-Length: 0 from the handler either.
  '/no-content': (res) => {
    res.writeHead(204, ['X-Empty', '1'])
    res.end()
  },
  // A flat list stored before an end with no body byte: Content-Length: 0 instead of chunks.
  '/head-then-end': (res) => {
    res.writeHead(200, ['X-Later', '1'])
    setImmediate(() => res.end())
  },
}

function listener(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/'
  const route = ROUTES[path]
  if (route !== undefined) {
    route(res)
    return
  }
  // The body routes of BODY_CASES: /echo reads it all, /ignore and /ignore-empty read none.
  if (path === '/echo') {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      res.setHeader('Content-Length', body.length)
      res.end(body)
    })
    return
  }
  if (path === '/ignore-empty') {
    res.statusCode = 204
    res.end()
    return
  }
  res.setHeader('Content-Type', 'text/plain')
  res.end(path === '/which' ? (req.socket instanceof Socket ? 'native' : 'synthetic') : 'ignored')
}

describePassThrough('fromNodeListener', () => fromNodeListener(listener), [
  ...Object.keys(ROUTES).map((path) => [`the head of ${path}`, getRequest(path)] as const),
  // HEAD: Node sends neither a length nor chunks; the handler's Content-Length: 0 unless the
  // head has a length.
  ...Object.keys(ROUTES).map(
    (path) => [`HEAD ${path}`, `HEAD ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`] as const,
  ),
  ...BODY_CASES,
])
