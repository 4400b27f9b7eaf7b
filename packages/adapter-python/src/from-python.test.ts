/**
 * The gateway contract of `fromPython`, checked through core's server on real sockets: close()
 * once on every path, errors before and after the head, exc_info, write(), wsgi.input,
 * wsgi.errors, wsgi.file_wrapper, the body limit, the validator, the interpreter queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { dispatch } from '@wsgi/core'
import { makeServer } from '@wsgi/core/simple-server'
import type { WSGIServer } from '@wsgi/core/simple-server'
import { MemoryErrors } from '@wsgi/conformance'

import { PATHS, send } from '../test/helpers.ts'
import { fromPython } from './from-python.ts'

let server: WSGIServer
const errors = new MemoryErrors()

beforeAll(async () => {
  // The default Pyodide: the process's shared one, loaded by the first request.
  server = await makeServer(
    '127.0.0.1',
    0,
    dispatch({
      '/app': fromPython('contract_app:app', { paths: PATHS, maxBodySize: 1000 }),
      '/checked': fromPython('contract_app:app', { paths: PATHS, validate: true }),
      '/broken': fromPython('broken_app:app', { paths: PATHS }),
    }),
    { accessLog: false },
  )
  server.stderr = errors
  void server.serveForever()
})

afterAll(async () => {
  await server.shutdown()
})

const get = (path: string) => send(server.serverPort, { path })
const events = async (): Promise<string[]> =>
  (await get('/app/events')).body.toString().trim().split('\n').filter(Boolean)

describe('fromPython', () => {
  it('refuses a spec that is not module:callable', () => {
    expect(() => fromPython('not a spec')).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })

  it('pulls the body chunk by chunk and calls close() once', async () => {
    await events()
    const res = await get('/app/closing?a')
    expect(res.body.length).toBe(20_000)
    const seen = await events()
    expect(seen[0]).toBe('start a')
    expect(seen.filter((e) => e.startsWith('chunk a'))).toHaveLength(20)
    expect(seen.filter((e) => e === 'close a')).toHaveLength(1)
    expect(seen.at(-1)).toBe('close a')
  })

  it('runs requests one at a time, each from its call to its close()', async () => {
    await events()
    await Promise.all([get('/app/big?a'), get('/app/big?b')])
    const seen = await events()
    const first = seen[0]!.slice(-1)
    const second = first === 'a' ? 'b' : 'a'
    expect(seen.indexOf(`close ${first}`)).toBeLessThan(seen.indexOf(`start ${second}`))
  })

  it('answers 500 for a Python exception before the head, and stays usable', async () => {
    const res = await get('/app/fail-before')
    expect(res.status).toBe(500)
    expect(errors.text).toContain('ValueError: failed before the head')
    expect((await get('/app/events')).status).toBe(200)
  })

  it('cuts the connection for an exception after the head, closing the body once', async () => {
    await events()
    await expect(get('/app/fail-after')).rejects.toThrow()
    expect(await events()).toEqual(['chunk fail-after 0', 'close fail-after'])
  })

  it('replaces the unsent head when start_response gets exc_info', async () => {
    const res = await get('/app/exc-info')
    expect(res.status).toBe(503)
    expect(res.body.toString()).toBe('replaced\n')
  })

  it("raises the app's own error from start_response(exc_info) once the head is out", async () => {
    errors.text = ''
    await expect(get('/app/exc-info-late')).rejects.toThrow()
    const log = errors.text.slice(errors.text.lastIndexOf('Traceback'))
    expect(log).toContain("KeyError: 'late'")
    expect(log).not.toContain('JsException')
  })

  it('sends what write() was given before the returned body', async () => {
    expect((await get('/app/write')).body.toString()).toBe('written then returned\n')
  })

  it('refuses a str chunk with a 500 (PEP 3333 bodies are bytes)', async () => {
    const res = await get('/app/str-chunk')
    expect(res.status).toBe(500)
    expect(errors.text).toContain('ERR_WSGI_INVALID_BODY_CHUNK')
  })

  it('gives wsgi.input the whole body, chunked or not, refused over maxBodySize (413)', async () => {
    const body = Buffer.from('line one\n' + 'x'.repeat(900))
    const sized = await send(server.serverPort, { method: 'POST', path: '/app/echo', body })
    expect(sized.body.toString()).toMatch(/^909 909 [0-9a-f]{64}$/)
    const chunked = await send(server.serverPort, {
      method: 'POST',
      path: '/app/echo',
      headers: { 'transfer-encoding': 'chunked' },
      body,
    })
    // Chunked: no CONTENT_LENGTH (wsgi.input_terminated instead), the same bytes read.
    expect(chunked.body.toString()).toBe(sized.body.toString().replace(/^909/, ''))
    const tooLarge = await send(server.serverPort, {
      method: 'POST',
      path: '/app/echo',
      body: Buffer.alloc(1001),
    })
    expect(tooLarge.status).toBe(413)
  })

  it('writes wsgi.errors to the server error stream', async () => {
    await get('/app/errors')
    expect(errors.text).toContain('to wsgi.errors\ntwo lines\n')
  })

  it('serves wsgi.file_wrapper', async () => {
    expect((await get('/app/file')).body.toString()).toBe('0123456789')
  })

  it("with validate, Python's validator fails a bad status with a 500", async () => {
    expect((await get('/checked/write')).status).toBe(200)
    const res = await get('/checked/bad-status')
    expect(res.status).toBe(500)
    expect(errors.text).toContain("AssertionError: Status codes must be three characters: 'OK'")
  })

  it('answers 500 when the module cannot be imported, and tries again', async () => {
    expect((await get('/broken/')).status).toBe(500)
    expect((await get('/broken/')).status).toBe(500)
    expect(errors.text.match(/this module cannot be imported/g)?.length).toBeGreaterThanOrEqual(2)
  })
})
