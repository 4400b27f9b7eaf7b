/**
 * A Koa app behind a CGI server: `fromKoa(koa)` run by core's `CGIHandler` as a script of
 * Python's `http.server --cgi`, against the BUILT packages (dist), fetched over HTTP.
 *
 * @module
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { startPythonCgi } from '@wsgi/conformance'
import type { PythonCgi } from '@wsgi/conformance'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const PACKAGE = fileURLToPath(new URL('..', import.meta.url))
const FIXTURE = join(PACKAGE, 'test/fixtures/koa-cgi.mjs')
const DIST_ENTRIES = [
  join(PACKAGE, 'dist/index.js'),
  join(PACKAGE, '../core/dist/handlers/index.js'),
  join(PACKAGE, '../core/dist/node/index.js'),
]
const ERROR_BODY = 'A server error occurred.  Please contact the administrator.'

interface Report {
  method: string
  path: string
  mountPath: string | null
  originalUrl: string
  query: Record<string, string>
  ip: string
  protocol: string
  userAgent: string
  body: string
}

// The script runs the built JavaScript: build this package (and core, a reference) first.
beforeAll(() => {
  try {
    execFileSync('pnpm', ['exec', 'tsc', '-b', join(PACKAGE, 'tsconfig.build.json')], {
      cwd: PACKAGE,
      stdio: 'pipe',
    })
  } catch {
    // tsc -b exits non-zero for type errors anywhere in a reference but still emits.
  }
  for (const entry of DIST_ENTRIES) expect(existsSync(entry)).toBe(true)
}, 120_000)

describe("fromKoa(koa) under CGIHandler, behind Python's http.server --cgi", () => {
  let cgi: PythonCgi | undefined
  let base = ''
  const serverLog = (): string => cgi?.log() ?? ''

  beforeAll(async () => {
    cgi = await startPythonCgi({
      'koa.mjs': `#!${process.execPath}\nimport ${JSON.stringify(FIXTURE)}\n`,
    })
    base = `${cgi.base}/koa.mjs`
  }, 30_000)

  afterAll(async () => {
    await cgi?.stop()
  })

  it('serves a GET: the script path is the mount point, the rest is ctx.path', async () => {
    const res = await fetch(`${base}/items/caf%C3%A9?x=1&y=%C3%A9`, {
      headers: { 'User-Agent': 'koa-cgi-test/1' },
    })
    // http.server sends its own "200 Script output follows"; the script's status is a header.
    expect(res.status).toBe(200)
    expect(res.headers.get('status')).toBe('200 OK')
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const cookies = res.headers.getSetCookie()
    expect(cookies[0]).toBe('a=1; path=/')
    expect(cookies[1]).toBe('b=2; path=/; httponly')
    expect(cookies[2]).toMatch(/^b\.sig=[\w-]+; path=\/; httponly$/)
    const report = (await res.json()) as Report
    expect(report).toEqual({
      method: 'GET',
      // http.server decodes PATH_INFO as UTF-8; Koa gets it back percent-encoded.
      path: '/items/caf%C3%A9',
      mountPath: '/cgi-bin/koa.mjs',
      originalUrl: '/cgi-bin/koa.mjs/items/caf%C3%A9?x=1&y=%C3%A9',
      query: { x: '1', y: 'é' },
      ip: '127.0.0.1',
      protocol: 'http',
      userAgent: 'koa-cgi-test/1',
      body: '',
    })
  })

  it('serves a POST: Koa reads the body from the CGI input', async () => {
    const sent = JSON.stringify({ greeting: 'grüß dich' })
    const res = await fetch(base, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: sent,
    })
    expect(res.headers.get('status')).toBe('201 Created')
    const report = (await res.json()) as Report
    expect(report.method).toBe('POST')
    expect(report.body).toBe(sent)
  })

  it("answers a Koa failure with Koa's 500, logged on the server's stderr", async () => {
    const res = await fetch(`${base}/fail`)
    expect(res.headers.get('status')).toBe('500 Internal Server Error')
    const body = await res.text()
    expect(body).toBe('Internal Server Error')
    expect(body).not.toBe(ERROR_BODY)
    expect(body).not.toContain('secret detail')
    await expect.poll(serverLog).toContain('koa failure: secret detail')
  })
})
