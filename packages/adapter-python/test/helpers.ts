/**
 * Test helpers: the fixture apps served by Python's own wsgiref.simple_server (the reference) and
 * through `fromPython` on core's server and in Express, Koa, Fastify and Hono; raw HTTP requests.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, request } from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

import { serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { mount as honoMount } from 'hono/mount'
import Koa from 'koa'
import koaMount from 'koa-mount'

import { toExpress } from '@wsgi/adapter-express'
import { toFastify } from '@wsgi/adapter-fastify'
import { toFetch } from '@wsgi/adapter-fetch'
import { toKoa } from '@wsgi/adapter-koa'
import { dispatch } from '@wsgi/core'
import { makeServer } from '@wsgi/core/simple-server'
import type { WSGIApplication } from '@wsgi/core/types'

import { PythonInterpreter } from '../src/interpreter.ts'

/** The fixture folder (the Python project) and Debian's pure-Python packages. */
export const FIXTURES: string = fileURLToPath(new URL('./fixtures/', import.meta.url))
export const DIST_PACKAGES = '/usr/lib/python3/dist-packages'
export const PATHS: readonly string[] = [FIXTURES, DIST_PACKAGES]

/** Where every server mounts the app. */
export const MOUNT = '/py'

/** An interpreter whose Python stderr is kept (the validator's and unraisable-hook output land there). */
export function interpreterWithStderr(): { interpreter: PythonInterpreter; stderr: string[] } {
  const stderr: string[] = []
  const interpreter = new PythonInterpreter({ stderr: (line: string) => stderr.push(line) })
  return { interpreter, stderr }
}

/** One server under test: a name, its port, and how to stop it. */
export interface Stack {
  readonly name: string
  readonly port: number
  close(): Promise<void>
}

/** `spec` on Python's wsgiref.simple_server (Debian's packages first on sys.path), at /py. */
export async function startReference(spec: string): Promise<Stack> {
  const child = spawn(
    'python3',
    [`${FIXTURES}reference_server.py`, spec, FIXTURES, DIST_PACKAGES],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const [line] = (await once(child.stdout, 'data')) as [Buffer]
  const port = Number(line.toString().trim())
  return {
    name: 'wsgiref.simple_server',
    port,
    close: async () => {
      child.kill()
      await once(child, 'exit')
    },
  }
}

/** `app` mounted at /py on core's server and in each of the four frameworks. */
export async function startStacks(app: WSGIApplication): Promise<Stack[]> {
  const stacks: Stack[] = []

  const core = await makeServer('127.0.0.1', 0, dispatch({ [MOUNT]: app }), { accessLog: false })
  void core.serveForever()
  stacks.push({ name: 'core makeServer', port: core.serverPort, close: () => core.shutdown() })

  const ex = express()
  ex.disable('x-powered-by')
  ex.use(MOUNT, toExpress(app))
  stacks.push(await listen('Express', createServer(ex)))

  const koa = new Koa()
  koa.use(koaMount(MOUNT, toKoa(app)))
  const koaListener = koa.callback()
  stacks.push(
    await listen(
      'Koa',
      createServer((req, res) => {
        void koaListener(req, res)
      }),
    ),
  )

  const fastify = Fastify()
  await fastify.register(toFastify(app), { prefix: MOUNT })
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  stacks.push({
    name: 'Fastify',
    port: (fastify.server.address() as AddressInfo).port,
    close: () => fastify.close(),
  })

  const hono = new Hono()
  hono.all(`${MOUNT}/*`, honoMount(toFetch(app, { scriptName: MOUNT }), { replaceRequest: false }))
  const honoServer = serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' })
  await once(honoServer, 'listening')
  stacks.push({
    name: 'Hono (toFetch)',
    port: (honoServer.address() as AddressInfo).port,
    close: () => closeServer(honoServer as ReturnType<typeof createServer>),
  })
  return stacks
}

async function listen(name: string, server: ReturnType<typeof createServer>): Promise<Stack> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { name, port: (server.address() as AddressInfo).port, close: () => closeServer(server) }
}

function closeServer(server: ReturnType<typeof createServer>): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => {
    server.close(() => {
      resolve()
    })
  })
}

/** A response as the wire gave it. */
export interface RawResponse {
  readonly status: number
  /** `[lower-case name, value]` in wire order, repeated headers kept apart. */
  readonly headers: [string, string][]
  readonly body: Buffer
}

/** What a request case sends. */
export interface Case {
  readonly method?: string
  readonly path: string
  readonly headers?: Record<string, string>
  readonly body?: string | Buffer
}

/** Send `c` to 127.0.0.1:`port` on a fresh connection; read the whole response. */
export async function send(port: number, c: Case): Promise<RawResponse> {
  const req = request({
    host: '127.0.0.1',
    port,
    method: c.method ?? 'GET',
    path: c.path,
    // One Host for every server, so URLs an app builds from it do not differ by port.
    headers: { host: 'app.test', ...c.headers },
    agent: false,
  })
  req.end(c.body)
  const [res] = (await once(req, 'response')) as [IncomingMessage]
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  const headers: [string, string][] = []
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    headers.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!])
  }
  return { status: res.statusCode!, headers, body: Buffer.concat(chunks) }
}

// Set by each server for the connection, not by the app: left out of the comparison.
const SERVER_HEADERS = new Set(['date', 'server', 'connection', 'keep-alive', 'transfer-encoding'])

/** The headers the app is responsible for, sorted, so two servers' answers compare equal. */
export function appHeaders(res: RawResponse): string[] {
  return res.headers
    .filter(([name]) => !SERVER_HEADERS.has(name))
    .map(([name, value]) => `${name}: ${value}`)
    .sort()
}

/** The cookie header a client would send back after `res` (name=value of each Set-Cookie). */
export function cookiesOf(res: RawResponse): string {
  return res.headers
    .filter(([name]) => name === 'set-cookie')
    .map(([, value]) => value.split(';')[0])
    .join('; ')
}

/** A small multipart/form-data body with one field and one file. */
export function multipart(boundary: string, note: string, filename: string, file: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\n${note}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
}
