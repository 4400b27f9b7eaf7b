/**
 * End-to-end tests of what `wsgi serve` accepts beyond a gateway app in a JavaScript file:
 * Node listeners, exports it must refuse, TypeScript entries, gunicorn's dotted module form,
 * `--reload`, `--version` and HTTPS. The built command is run with plain `node` (the frameworks
 * themselves are served in each adapter's `test/serve.e2e.test.ts`).
 *
 * @module
 */

import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'

// By path, not as `@wsgi/conformance`: conformance depends on core (see test/helpers).
import { httpsGetText, selfSignedCert } from '../../conformance/src/tls.ts'
import { buildIfStale, runWsgi, serveWsgi } from '../../conformance/src/wsgi-command.ts'

const core = fileURLToPath(new URL('..', import.meta.url))
const fixtures = join(core, 'test', 'fixtures', 'cli')

beforeAll(() => {
  buildIfStale()
}, 180_000)

/** A folder outside the workspace (no node_modules above it), removed after the test. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsgi-cli-'))
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

async function text(url: string): Promise<string> {
  return (await fetch(url)).text()
}

async function runToEnd(args: readonly string[], cwd = fixtures) {
  const { output, exited } = runWsgi(args, { cwd })
  const code = await exited
  return { code, ...output }
}

describe('wsgi serve: kinds of export', () => {
  it.each([
    [
      ['listener.mjs'],
      'node listener /x',
      'as a Node (req, res) listener through fromNodeListener',
    ],
    [['--kind', 'node', 'listener.mjs:unnamed'], 'unnamed /x', 'as a Node (req, res) listener'],
    [['app.mjs'], 'esm default |/x', 'serving app.mjs as a gateway app'],
    [
      ['--validate', 'app.mjs'],
      'esm default |/x',
      'app.mjs as a gateway app, checked by validator()',
    ],
  ])('serves %j', async (args, body, line) => {
    const cli = await serveWsgi(['--host', '127.0.0.1', ...args], { cwd: fixtures })
    expect(cli.output.stdout).toContain(line)
    expect(await text(`http://127.0.0.1:${cli.port}/x`)).toBe(body)
  })

  it('refuses an export that is no application, naming the adapters (exit 2)', async () => {
    const { code, stderr } = await runToEnd(['serve', 'app.mjs:notAnApp'])
    expect(code).toBe(2)
    expect(stderr).toContain('wsgi: error: cannot serve app.mjs:notAnApp: 42 is not an application')
    expect(stderr).toContain('@wsgi/adapter-express')
  })

  it('says in one line which adapter to install when it is missing (exit 1)', async () => {
    const { code, stderr } = await runToEnd(['serve', 'koa-shaped.mjs'])
    expect(code).toBe(1)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toMatch(
      /^wsgi: error: serving koa-shaped.mjs, a Koa app, needs @wsgi\/adapter-koa/,
    )
    expect(stderr).toContain('npm install @wsgi/adapter-koa')
  })

  it('refuses a --kind the export does not fit', async () => {
    const { code, stderr } = await runToEnd(['serve', '--kind', 'node', 'koa-shaped.mjs'])
    expect(code).toBe(2)
    expect(stderr).toContain('cannot serve koa-shaped.mjs as --kind node')
  })
})

describe('wsgi serve: module forms', () => {
  it('loads a TypeScript entry through tsx', async () => {
    const cli = await serveWsgi(['--host', '127.0.0.1', 'app.ts'], { cwd: fixtures })
    expect(await text(`http://127.0.0.1:${cli.port}/ts`)).toBe('typescript /ts')
  })

  it('says in one line how to run TypeScript where no tsx is installed', async () => {
    const dir = scratch()
    copyFileSync(join(fixtures, 'app.ts'), join(dir, 'app.ts'))
    const { code, stderr } = await runToEnd(['serve', '--port', '0', 'app.ts'], dir)
    expect(code).toBe(1)
    expect(stderr).not.toContain('ERR_UNKNOWN_FILE_EXTENSION')
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^wsgi: error: cannot load app.ts: Node v[\d.]+ does not run TypeScript by itself\. Install tsx .*--experimental-strip-types/,
      ),
    ])
  })

  it.each([
    ['pkg.mod:app', 'pkg.mod'],
    ['pkg.sub', 'pkg.sub'],
  ])("reads gunicorn's dotted form %s", async (spec, body) => {
    const cli = await serveWsgi(['--host', '127.0.0.1', spec], { cwd: fixtures })
    expect(await text(`http://127.0.0.1:${cli.port}/`)).toBe(body)
  })
})

describe('wsgi --version', () => {
  it("prints @wsgi/core's version from its package.json", async () => {
    const pkg = JSON.parse(readFileSync(join(core, 'package.json'), 'utf8')) as { version: string }
    const { code, stdout } = await runToEnd(['--version'])
    expect(code).toBe(0)
    expect(stdout).toBe(`${pkg.version}\n`)
  })
})

describe('wsgi serve --reload', () => {
  it('restarts the server on the same port when the app file changes', async () => {
    const dir = scratch()
    const app = (body: string): string =>
      `export default (environ, startResponse) => {\n` +
      `  startResponse('200 OK', [['Content-Type', 'text/plain']])\n` +
      `  return [new TextEncoder().encode('${body}')]\n}\n`
    writeFileSync(join(dir, 'app.mjs'), app('first'))
    const cli = await serveWsgi(['--host', '127.0.0.1', '--reload', 'app.mjs'], { cwd: dir })
    const url = `http://127.0.0.1:${cli.port}/`
    expect(await text(url)).toBe('first')
    writeFileSync(join(dir, 'app.mjs'), app('second'))
    // Between the old server stopping and the new one listening, connections are refused.
    await expect
      .poll(() => text(url).catch(() => 'not listening'), { timeout: 20_000 })
      .toBe('second')
    expect(cli.output.stderr).toContain('app.mjs changed; restarting')
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
  })
})

describe('wsgi serve --certfile --keyfile', () => {
  it('serves HTTPS, with wsgi.url_scheme https and HTTPS on, to a real https client', async () => {
    const dir = scratch()
    const { cert, certFile, keyFile } = selfSignedCert(dir)
    const cli = await serveWsgi(
      ['--host', '127.0.0.1', '--certfile', certFile, '--keyfile', keyFile],
      {
        cwd: dir,
      },
    )
    expect(cli.output.stdout).toContain(`Serving HTTPS on 127.0.0.1 port ${cli.port} (https://`)
    const body = await httpsGetText(cli.port, cert)
    expect(body).toContain("wsgi.url_scheme = 'https'")
    expect(body).toContain("HTTPS = 'on'")
  })
})
