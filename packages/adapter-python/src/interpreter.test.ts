/**
 * The interpreter's worker thread: it does not keep an idle process alive, Python's stdout and
 * stderr reach the callbacks given, and `terminate()` fails what is in flight with a code.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

import { expect, it } from 'vitest'

import { FIXTURES } from '../test/helpers.ts'
import { PythonInterpreter } from './interpreter.ts'

const PACKAGE = fileURLToPath(new URL('..', import.meta.url))

// Run from the BUILT package (as a user would), in a process of its own that must end by
// itself: the script neither terminates the interpreter nor closes anything.
const SCRIPT = `
import { TestClient } from '@wsgi/core/testing'
import { PythonInterpreter, fromPython } from '@wsgi/adapter-python'

const lines = []
const interpreter = new PythonInterpreter({
  stdout: (line) => lines.push('stdout: ' + line),
  stderr: (line) => lines.push('stderr: ' + line),
})
const paths = [${JSON.stringify(FIXTURES)}]
// One interpreter with callbacks, the shared one without (Python prints to this process's own).
const [res, shared] = await Promise.all([
  new TestClient(fromPython('stream_app:app', { paths, interpreter })).get('/print'),
  new TestClient(fromPython('stream_app:app', { paths })).get('/print'),
])
console.log(JSON.stringify({ status: res.statusCode, body: res.text(), lines }))
console.log(JSON.stringify({ status: shared.statusCode, body: shared.text() }))
`

it('lets the process exit once idle, and passes Python stdout and stderr on', async () => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    cwd: PACKAGE,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  // A worker that held the process would keep it running until the test's timeout.
  const [code] = (await once(child, 'exit')) as [number]
  expect(code, stderr).toBe(0)
  const out = stdout.trim().split('\n')
  const own = out.find((line) => line.includes('"lines"')) ?? '{}'
  expect(JSON.parse(own)).toEqual({
    status: 200,
    body: 'printed',
    lines: ['stdout: printed to stdout', 'stderr: printed to stderr'],
  })
  expect(out).toContain('printed to stdout')
  expect(out).toContain(JSON.stringify({ status: 200, body: 'printed' }))
  expect(stderr.trim()).toBe('printed to stderr')
})

it('fails what is in flight with ERR_WSGI_PYTHON_WORKER when terminated', async () => {
  const interpreter = new PythonInterpreter()
  const ready = expect(interpreter.ready()).rejects.toMatchObject({
    code: 'ERR_WSGI_PYTHON_WORKER',
  })
  await interpreter.terminate()
  await ready
  expect(interpreter.stopped).toBe(true)
  await expect(interpreter.ready()).rejects.toMatchObject({ code: 'ERR_WSGI_PYTHON_WORKER' })
})
