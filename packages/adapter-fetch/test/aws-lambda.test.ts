/**
 * The AWS Lambda recipe of docs/deploy.md: a Hono app that mounts a gateway app (toHono on a
 * wildcard route, toFetch under `mount`), run by Hono's `handle(app)` from `hono/aws-lambda` on
 * API Gateway v1 (REST API) and v2 (HTTP API) events: status, headers, cookies, text and binary
 * bodies (base64 both ways), and REMOTE_ADDR from the event's source IP.
 */
import { Hono } from 'hono'
import { handle } from 'hono/aws-lambda'
import { mount } from 'hono/mount'
import { describe, expect, it } from 'vitest'

import type { WSGIApplication } from '@wsgi/core/types'

import { toHono } from '../src/hono.ts'
import { toFetch } from '../src/to-fetch.ts'

const enc = new TextEncoder()

/** `/echo` echoes the body as octet-stream; anything else describes the request as text. */
const gatewayApp: WSGIApplication = async (environ, startResponse) => {
  if (environ.PATH_INFO === '/echo') {
    const body = await environ['wsgi.input'].read()
    startResponse('201 Created', [['Content-Type', 'application/octet-stream']])
    return [body]
  }
  startResponse('200 OK', [
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['X-Gateway', 'yes'],
    ['Set-Cookie', 'a=1; Path=/'],
    ['Set-Cookie', 'b=2; Path=/'],
  ])
  const fields = [
    environ.REQUEST_METHOD,
    environ.SCRIPT_NAME,
    environ.PATH_INFO,
    environ.QUERY_STRING,
    environ['HTTP_COOKIE'] ?? '-',
    environ.REMOTE_ADDR ?? '-',
  ]
  return [enc.encode(fields.join('|'))]
}

const app = new Hono()
app.all('/legacy/*', toHono(gatewayApp))
app.all('/fetch/*', mount(toFetch(gatewayApp, { scriptName: '/fetch' }), { replaceRequest: false }))
// eslint-disable-next-line @typescript-eslint/no-deprecated -- see the import
const handler = handle(app)

type Event = Parameters<typeof handler>[0]
type Json = Record<string, unknown>

/** A REST API (v1) event, as API Gateway sends it to a Lambda proxy integration. */
function v1Event(overrides: Json): Event {
  return {
    version: '1.0',
    resource: '/{proxy+}',
    path: '/',
    httpMethod: 'GET',
    headers: { Host: 'api.example.com', Cookie: 'session=abc' },
    multiValueHeaders: { Host: ['api.example.com'], Cookie: ['session=abc'] },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'api.example.com',
      httpMethod: 'GET',
      identity: { sourceIp: '198.51.100.4', userAgent: 'curl/8' },
      path: '/prod/',
      protocol: 'HTTP/1.1',
      requestId: 'id-v1',
      requestTimeEpoch: 1_700_000_000_000,
      resourcePath: '/{proxy+}',
      stage: 'prod',
    },
    ...overrides,
  } as unknown as Event
}

/** An HTTP API (v2) event; `method` goes to `requestContext.http`. */
function v2Event(overrides: Json, method = 'GET'): Event {
  const rawPath = typeof overrides['rawPath'] === 'string' ? overrides['rawPath'] : '/'
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: '',
    cookies: ['session=abc'],
    headers: { host: 'api.example.com' },
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9' },
      requestId: 'id-v2',
      routeKey: '$default',
      stage: '$default',
      timeEpoch: 1_700_000_000_000,
    },
    ...overrides,
  } as unknown as Event
}

const binary = Uint8Array.from([0, 1, 2, 0xff, 0xfe, 0x80, 10, 13])
const b64 = Buffer.from(binary).toString('base64')

describe('AWS Lambda through hono/aws-lambda: API Gateway v1 (REST API)', () => {
  it('answers a GET with status, headers, both cookies and a text body', async () => {
    const event = v1Event({
      path: '/legacy/users/7',
      multiValueQueryStringParameters: { q: ['a b'], r: ['1'] },
      queryStringParameters: { q: 'a b', r: '1' },
    })
    const result = await handler(event, {} as never)
    expect(result.statusCode).toBe(200)
    expect(result.isBase64Encoded).toBe(false)
    expect(result.body).toBe('GET|/legacy|/users/7|q=a%20b&r=1|session=abc|198.51.100.4')
    expect(result.multiValueHeaders?.['content-type']).toEqual(['text/plain; charset=utf-8'])
    expect(result.multiValueHeaders?.['x-gateway']).toEqual(['yes'])
    expect(result.multiValueHeaders?.['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/'])
  })

  it('decodes a base64 request body and base64-encodes a binary answer (toFetch under mount)', async () => {
    const event = v1Event({
      path: '/fetch/echo',
      httpMethod: 'POST',
      body: b64,
      isBase64Encoded: true,
    })
    const result = await handler(event, {} as never)
    expect(result.statusCode).toBe(201)
    expect(result.isBase64Encoded).toBe(true)
    expect(Uint8Array.from(Buffer.from(result.body, 'base64'))).toEqual(binary)
    expect(result.multiValueHeaders?.['content-type']).toEqual(['application/octet-stream'])
  })
})

describe('AWS Lambda through hono/aws-lambda: API Gateway v2 (HTTP API)', () => {
  it('answers a GET with status, headers, cookies and a text body', async () => {
    const event = v2Event({ rawPath: '/fetch/items', rawQueryString: 'x=1&y=%2F' })
    const result = await handler(event, {} as never)
    expect(result.statusCode).toBe(200)
    expect(result.isBase64Encoded).toBe(false)
    expect(result.body).toBe('GET|/fetch|/items|x=1&y=%2F|session=abc|203.0.113.9')
    expect(result.headers['x-gateway']).toBe('yes')
    expect((result as { cookies?: string[] }).cookies).toEqual(['a=1; Path=/', 'b=2; Path=/'])
  })

  it('decodes a base64 request body and base64-encodes a binary answer (toHono)', async () => {
    const event = v2Event({ rawPath: '/legacy/echo', body: b64, isBase64Encoded: true }, 'POST')
    const result = await handler(event, {} as never)
    expect(result.statusCode).toBe(201)
    expect(result.isBase64Encoded).toBe(true)
    expect(Uint8Array.from(Buffer.from(result.body, 'base64'))).toEqual(binary)
  })

  it('sends a plain text request body as it is', async () => {
    const event = v2Event({ rawPath: '/legacy/echo', body: 'plain text' }, 'PUT')
    const result = await handler(event, {} as never)
    expect(result.statusCode).toBe(201)
    expect(Buffer.from(result.body, 'base64').toString()).toBe('plain text')
  })
})
