/**
 * The README's first command ends in `pnpm start` (scripts/start.mjs): it must say that it is
 * building before the long silent `tsc -b`, then serve the demo app (here on 127.0.0.1 and a
 * free port; the banner for every interface is tested in packages/core/test/cli.e2e.test.ts).
 *
 * @module
 */

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

import { expect, it, onTestFinished } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

it('pnpm start says it builds, then serves the demo app', async () => {
  const child = spawn(
    process.execPath,
    ['scripts/start.mjs', '--', '--host', '127.0.0.1', '--port', '0'],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const exited = once(child, 'exit')
  onTestFinished(async () => {
    child.kill('SIGTERM')
    await exited
  })
  let out = ''
  child.stdout.setEncoding('utf8')
  for await (const chunk of child.stdout) {
    out += chunk
    if (out.includes('Serving HTTP')) break
  }
  const lines = out.split('\n')
  expect(lines[0]).toBe('Building the packages (tsc -b; the first build takes a minute or two) ...')
  expect(lines[1]).toMatch(/^Built in \d+ s\. Starting: wsgi serve$/)
  const port =
    /^Serving HTTP on 127\.0\.0\.1 port (\d+) \(http:\/\/127\.0\.0\.1:\1\/\) \.\.\.$/m.exec(
      out,
    )?.[1]
  expect(port, out).toBeDefined()
  const reply = await fetch(`http://127.0.0.1:${port}/`)
  expect(await reply.text()).toMatch(/^Hello world!\n/)
}, 120_000)
