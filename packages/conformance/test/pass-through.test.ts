/**
 * `fromNodeListener` of a plain Node listener on `makeServer`: the pass-through and the synthetic
 * path send the same bytes and log lines for a head in every form Node's `_storeHeader` takes
 * (its own header table, a flat list, a list of pairs, a plain object) with hop-by-hop headers
 * in each, a `Connection` header that names another, an implicit `Content-Length`, the
 * listener's own `Date` and `Server`, `sendDate` off, a reason phrase, statuses up to 999, a head
 * flushed early, trailers, corked writes, each for GET and HEAD; a request that asks to close,
 * and pipelined ones. A listener that destroys its own response: the connection cut on both
 * paths. Then where the pass-through differs, as Node's own server does: interim responses, a
 * non-ASCII header value in the encoding of a string body, the log order of pipelined requests.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'

import { fromNodeListener } from '@wsgi/core/node'

import { describe, expect, it } from 'vitest'

import { BODY_CASES, describePassThrough, differential, getRequest } from '../src/index.ts'
import type { Differential } from '../src/index.ts'

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
  '/reason': (res) => {
    res.statusMessage = 'Fine Thanks'
    res.end('reason')
  },
  '/no-date': (res) => {
    res.sendDate = false
    res.end('no date')
  },
  '/flushed': (res) => {
    res.setHeader('Content-Type', 'text/plain')
    res.flushHeaders()
    setImmediate(() => res.end('late'))
  },
  '/trailers': (res) => {
    res.setHeader('Trailer', 'X-Sum')
    res.write('a')
    res.addTrailers({ 'X-Sum': '1' })
    res.end()
  },
  '/corked': (res) => {
    res.cork()
    res.write('a')
    res.write('b')
    res.uncork()
    res.end()
  },
  '/write-callback': (res) => {
    res.write('a', () => res.end('b'))
  },
  '/status-299': (res) => {
    res.statusCode = 299
    res.end('odd')
  },
  '/status-600': (res) => {
    res.writeHead(600)
    res.end('beyond')
  },
  '/status-999': (res) => {
    res.writeHead(999, 'Last')
    res.end('last')
  },
  '/double-end': (res) => {
    res.end('once')
    res.end()
  },
  // A flat list stored before an end with no body byte: Content-Length: 0 instead of chunks.
  '/head-then-end': (res) => {
    res.writeHead(200, ['X-Later', '1'])
    setImmediate(() => res.end())
  },
}

// A listener that cuts its own connection: the client gets what was sent by then, on both paths.
const CUT: Record<string, Route> = {
  '/destroyed': (res) => {
    res.destroy()
  },
  '/destroyed-with-error': (res) => {
    res.destroy(new Error('gone'))
  },
  '/socket-destroyed': (res) => {
    res.socket?.destroy()
  },
  '/destroyed-later': (res) => {
    res.setHeader('Content-Type', 'text/plain')
    res.write('partial')
    setImmediate(() => res.destroy())
  },
}

// What a listener can send only on the pass-through, as under Node's own server (see below).
const NATIVE_ONLY: Record<string, Route> = {
  '/hints': (res) => {
    res.writeEarlyHints({ link: '</style.css>; rel=preload' })
    res.end('hinted')
  },
  '/unasked-continue': (res) => {
    res.writeContinue()
    res.end('continued')
  },
  '/latin1': (res) => {
    res.setHeader('X-Latin', 'caf\u00e9')
    res.end('latin1')
  },
}

function listener(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/'
  if (path.startsWith('/request')) {
    // What the listener reads of the request, beyond what differs on purpose (see core's README).
    const { method, url, httpVersion, headers } = req
    const seen = { method, url, httpVersion, host: headers.host, accept: headers.accept }
    res.setHeader('Content-Type', 'application/json')
    res.end(JSON.stringify(seen))
    return
  }
  const route = ROUTES[path] ?? NATIVE_ONLY[path] ?? CUT[path]
  if (route !== undefined) {
    route(res)
    return
  }
  // The body routes of BODY_CASES: /echo reads it all, /ignore and /ignore-empty read none.
  // A listener that answers Expect: 100-continue itself before it reads.
  if (path === '/continue-echo') res.writeContinue()
  if (path === '/echo' || path === '/continue-echo') {
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
  [
    '100-continue the listener sends itself, then reads',
    {
      raw: 'POST /continue-echo HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n',
      continueBody: 'hello',
    },
  ],
  ['what the listener reads of a request', getRequest('/request?q=1', 'Accept: text/plain\r\n')],
  ['an encoded target', getRequest('/request/a%2Fb/%7Euser?x=%20y&z=%2F')],
  ['a target with dot segments', getRequest('/request/a/../b/./c')],
  ['a target with a double slash', getRequest('/request//twice')],
  ['a target with raw non-ASCII bytes (refused on both paths)', getRequest('/request/caf\u00e9')],
  ['a request that asks to close', getRequest('/flat', 'Connection: close\r\n')],
  ['three pipelined requests', getRequest('/bare') + getRequest('/flushed') + getRequest('/pairs')],
  ...BODY_CASES,
])

describe('fromNodeListener on makeServer: a listener that destroys its response', () => {
  it.each([
    ['GET', '/destroyed', ''],
    ['HEAD', '/destroyed', ''],
    ['GET', '/destroyed-with-error', ''],
    ['GET', '/socket-destroyed', ''],
    ['GET', '/destroyed-later', 'partial'],
    ['HEAD', '/destroyed-later', ''],
  ])('%s %s: the same bytes and log on both paths, cut', async (method, path, sent) => {
    const raw = `${method} ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`
    const [result] = await differential(fromNodeListener(listener), [{ raw }])
    expect(result?.fast).toEqual(result?.synthetic)
    if (sent === '') expect(result?.fast.bytes).toBe('')
    else expect(result?.fast.bytes).toContain(sent)
  })
})

describe('fromNodeListener on makeServer: where the pass-through differs, and why', () => {
  async function both(path: string): Promise<Differential> {
    const [result] = await differential(fromNodeListener(listener), [{ raw: getRequest(path) }])
    if (result === undefined) throw new Error('no exchange')
    // The same answer for the log either way.
    expect(result.fast.log).toEqual(result.synthetic.log)
    return result
  }

  it('sends 103 Early Hints before the final head; a gateway response has one status', async () => {
    const { fast, synthetic } = await both('/hints')
    expect(fast.bytes).toMatch(
      /^HTTP\/1\.1 103 Early Hints\r\nLink: <\/style\.css>; rel=preload\r\n\r\nHTTP\/1\.1 200 OK\r\n/,
    )
    expect(synthetic.bytes).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(fast.bytes.slice(fast.bytes.indexOf('HTTP/1.1 200'))).toBe(synthetic.bytes)
  })

  it('sends an unasked 100 Continue before the final head', async () => {
    const { fast, synthetic } = await both('/unasked-continue')
    expect(fast.bytes).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/)
    expect(fast.bytes.slice(fast.bytes.indexOf('HTTP/1.1 200'))).toBe(synthetic.bytes)
  })

  it('logs a pipelined request when its listener ended it, which may be before the one ahead of it', async () => {
    const raw = Buffer.concat([
      Buffer.from('POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello'),
      Buffer.from(getRequest('/named')),
    ])
    const [result] = await differential(fromNodeListener(listener), [{ raw }])
    if (result === undefined) throw new Error('no exchange')
    // The wire is the same: Node sends the responses in the order of the requests.
    expect(result.fast.bytes).toBe(result.synthetic.bytes)
    expect(result.fast.bytes.indexOf('hello')).toBeLessThan(result.fast.bytes.indexOf('named'))
    // The listener of the GET ends its response before the POST's body has arrived whole; the
    // access log has a line per request either way, each when its response was done.
    expect([...result.fast.log].sort()).toEqual([...result.synthetic.log].sort())
    expect(result.fast.log).toHaveLength(2)
  })

  it("sends a non-ASCII header value in the encoding of the body's first string, as Node does", async () => {
    const { fast, synthetic } = await both('/latin1')
    // Read as latin1: Node writes the head and a string body as one UTF-8 string; the handler
    // writes the head alone, as PEP 3333's latin-1.
    expect(fast.bytes).toContain('X-Latin: caf\u00c3\u00a9\r\n')
    expect(synthetic.bytes).toContain('X-Latin: caf\u00e9\r\n')
    expect(fast.bytes.replace('caf\u00c3\u00a9', 'caf\u00e9')).toBe(synthetic.bytes)
  })
})
