/**
 * CPython `test_wsgiref.py` cases that concern `wsgiref.validate`, validator side only: the
 * IntegrationTests that run a validated app (the server side is ported with the server), and the
 * InputWrapper/ErrorWrapper tests of gh-67765 (an invalid call fails, a valid one passes through).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { MockInstance } from 'vitest'

import { WSGIValidationError } from '../../src/errors.ts'
import type {
  ErrorStream,
  InputStream,
  ResponseBody,
  WSGIApplication,
  WSGIEnvironment,
} from '../../src/types.ts'
import { setupTestingDefaults } from '../../src/util.ts'
import { validator } from '../../src/validate.ts'

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))
const text = (chunks: Uint8Array[]): string => chunks.map((c) => String.fromCharCode(...c)).join('')

/** What a server would see: the startResponse calls, the write() data, the body chunks. */
interface Exchange {
  calls: unknown[][]
  written: Uint8Array[]
  chunks: Uint8Array[]
  body: ResponseBody
}

/** Runs a validated app against an in-memory server side, as run_amock does, and closes the body. */
async function runValidated(
  app: WSGIApplication,
  environ: Record<string, unknown> = {},
): Promise<Exchange> {
  const calls: unknown[][] = []
  const written: Uint8Array[] = []
  const startResponse = (...args: unknown[]) => {
    calls.push(args)
    return (data: Uint8Array) => {
      written.push(data)
    }
  }
  const env = setupTestingDefaults({ QUERY_STRING: '', ...environ })
  const body = await validator(app)(env, startResponse)
  const chunks: Uint8Array[] = []
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk)
  } finally {
    await body.close?.()
  }
  return { calls, written, chunks, body }
}

async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a WSGIValidationError, nothing was thrown')
}

async function expectValidationError(fn: () => unknown, message: string): Promise<void> {
  const error = await caught(fn)
  expect(error).toBeInstanceOf(WSGIValidationError)
  expect(error).toMatchObject({ code: 'ERR_WSGI_VALIDATION', message })
}

let emitWarning: MockInstance<typeof process.emitWarning>
beforeEach(() => {
  emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
})
afterEach(() => {
  vi.restoreAllMocks()
})

const helloApp: WSGIApplication = (_environ, startResponse) => {
  startResponse('200 OK', [
    ['Content-Type', 'text/plain'],
    ['Date', 'Mon, 05 Jun 2006 18:49:54 GMT'],
  ])
  return [latin1('Hello, world!')]
}

describe('IntegrationTests, validator side', () => {
  it('test_validated_hello: passes hello_app through, with a body that has no length', async () => {
    const { calls, chunks, body } = await runValidated(helloApp)
    expect(calls).toEqual([
      [
        '200 OK',
        [
          ['Content-Type', 'text/plain'],
          ['Date', 'Mon, 05 Jun 2006 18:49:54 GMT'],
        ],
      ],
    ])
    expect(text(chunks)).toBe('Hello, world!')
    // check_hello(out, has_length=False): no length, so the server cannot add Content-Length.
    expect('length' in body).toBe(false)
    expect(emitWarning).not.toHaveBeenCalled()
  })

  it.each([
    [
      'a dict',
      { 'Content-Type': 'text/plain' },
      "Headers ({'Content-Type': 'text/plain'}) must be of type list: <class 'dict'>",
    ],
    [
      'a bare pair (CPython: a tuple)',
      ['Content-Type', 'text/plain'],
      "Individual headers ('Content-Type') must be of type tuple: <class 'str'>",
    ],
  ])(
    'test_simple_validation_error: refuses headers given as %s, before the server sees them',
    async (_label, headers, message) => {
      const badApp: WSGIApplication = (_environ, startResponse) => {
        ;(startResponse as (...a: unknown[]) => unknown)('200 OK', headers)
        return ['Hello, world!' as unknown as Uint8Array]
      }
      const error = await caught(() => runValidated(badApp))
      expect(error).toBeInstanceOf(WSGIValidationError)
      // The line a server logs (CPython's: "AssertionError: Headers (...) must be of type list...").
      expect(String(error)).toBe(`WSGIValidationError [ERR_WSGI_VALIDATION]: ${message}`)
    },
  )

  it('test_wsgi_input: refuses wsgi.input.read() without a size (CPython: bare AssertionError)', async () => {
    const badApp: WSGIApplication = async (environ, startResponse) => {
      await environ['wsgi.input'].read()
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return [latin1('data')]
    }
    await expectValidationError(
      () => runValidated(badApp),
      'wsgi.input.read() takes exactly 1 argument (0 given)',
    )
  })

  it('test_bytes_validation: passes a bytes body and latin-1 headers through unchanged', async () => {
    const headers: [string, string][] = [
      ['Content-Type', 'text/plain; charset=utf-8'],
      ['Date', 'Wed, 24 Dec 2008 13:29:32 GMT'],
    ]
    const { calls, chunks, body } = await runValidated((_environ, startResponse) => {
      startResponse('200 OK', headers)
      return [latin1('data')]
    })
    expect(calls).toEqual([['200 OK', headers]])
    expect(calls[0]![1]).toBe(headers)
    expect(text(chunks)).toBe('data')
    expect('length' in body).toBe(false)
    expect(emitWarning).not.toHaveBeenCalled()
  })

  it('test_cp1252_url: accepts a PATH_INFO of latin-1 characters and passes its bytes back', async () => {
    // What the server puts in PATH_INFO for `GET /\x80%80 HTTP/1.0`: both become U+0080.
    const { calls, chunks } = await runValidated(
      (environ, startResponse) => {
        startResponse('200 OK', [
          ['Content-Type', 'text/plain'],
          ['Date', 'Wed, 24 Dec 2008 13:29:32 GMT'],
        ])
        return [latin1(environ.PATH_INFO ?? '')]
      },
      { SCRIPT_NAME: '', PATH_INFO: '/\x80\x80' },
    )
    expect(calls).toHaveLength(1)
    expect([...chunks[0]!]).toEqual([0x2f, 0x80, 0x80])
  })
})

// ---------------------------------------------------------------------------------------------
// gh-67765: wrappers of wsgi.input and wsgi.errors

/** An input stream that records each call and returns canned results. */
function recordingInput(results: { read?: unknown; readline?: unknown[]; readlines?: unknown }) {
  const calls: [string, unknown[]][] = []
  const lines = [...(results.readline ?? [])]
  const input = {
    read(...args: unknown[]) {
      calls.push(['read', args])
      return Promise.resolve(results.read)
    },
    readline(...args: unknown[]) {
      calls.push(['readline', args])
      return Promise.resolve(lines.shift() ?? new Uint8Array())
    },
    readlines(...args: unknown[]) {
      calls.push(['readlines', args])
      return Promise.resolve(results.readlines)
    },
    [Symbol.asyncIterator]() {
      throw new Error('the wrapper iterates through readline(), never through this')
    },
  }
  return { calls, input }
}

function recordingErrors() {
  const calls: [string, unknown[]][] = []
  const errors = {
    write(...args: unknown[]) {
      calls.push(['write', args])
    },
    writelines(...args: unknown[]) {
      calls.push(['writelines', args])
    },
    flush(...args: unknown[]) {
      calls.push(['flush', args])
    },
  }
  return { calls, errors }
}

/** The validator's wrappers around `input` and `errors`, as the application receives them. */
async function wrappers(input: unknown, errors: unknown = recordingErrors().errors) {
  const seen: { input?: InputStream; errors?: ErrorStream } = {}
  await runValidated(
    (environ: WSGIEnvironment, startResponse) => {
      seen.input = environ['wsgi.input']
      seen.errors = environ['wsgi.errors']
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return []
    },
    { 'wsgi.input': input, 'wsgi.errors': errors },
  )
  return seen as { input: InputStream; errors: ErrorStream }
}

type Loose = Record<string, (...args: unknown[]) => unknown>

describe('gh-67765: InputWrapper', () => {
  it('read(size) passes the size and the data through', async () => {
    const data = latin1('abc')
    const { calls, input } = recordingInput({ read: data })
    const wrapped = (await wrappers(input)).input
    expect(await wrapped.read(3)).toBe(data)
    expect(calls).toEqual([['read', [3]]])
  })

  it.each([
    [[], 'wsgi.input.read() takes exactly 1 argument (0 given)'],
    [[1, 2], 'wsgi.input.read() takes exactly 1 argument (2 given)'],
  ])('read(...%o) fails before reaching the stream', async (args, message) => {
    const { calls, input } = recordingInput({ read: latin1('abc') })
    const wrapped = (await wrappers(input)).input as unknown as Loose
    await expectValidationError(() => wrapped['read']!(...args), message)
    expect(calls).toEqual([])
  })

  it('read() fails on a result that is not bytes', async () => {
    const { input } = recordingInput({ read: 'abc' })
    const wrapped = (await wrappers(input)).input
    await expectValidationError(
      () => wrapped.read(3),
      "wsgi.input.read() must return Uint8Array data (got 'abc')",
    )
  })

  it.each([[[]], [[2]]])('readline(...%o) passes through', async (args) => {
    const line = latin1('ab\n')
    const { calls, input } = recordingInput({ readline: [line] })
    const wrapped = (await wrappers(input)).input as unknown as Loose
    expect(await wrapped['readline']!(...args)).toBe(line)
    expect(calls).toEqual([['readline', args]])
  })

  it('readline() fails with two arguments, or on a result that is not bytes', async () => {
    const wrapped = (await wrappers(recordingInput({ readline: ['ab\n'] }).input)).input
    await expectValidationError(
      () => (wrapped as unknown as Loose)['readline']!(1, 2),
      'wsgi.input.readline() takes at most 1 argument (2 given)',
    )
    await expectValidationError(
      () => wrapped.readline(),
      "wsgi.input.readline() must return Uint8Array data (got 'ab\\n')",
    )
  })

  it.each([[[]], [[10]]])('readlines(...%o) passes through', async (args) => {
    const lines = [latin1('a\n'), latin1('b\n')]
    const { calls, input } = recordingInput({ readlines: lines })
    const wrapped = (await wrappers(input)).input as unknown as Loose
    expect(await wrapped['readlines']!(...args)).toBe(lines)
    expect(calls).toEqual([['readlines', args]])
  })

  it.each([
    [[1, 2], [], 'wsgi.input.readlines() takes at most 1 argument (2 given)'],
    [[], 'a\nb\n', "wsgi.input.readlines() must return an array (got 'a\\nb\\n')"],
    [[], [latin1('a\n'), 'b\n'], "wsgi.input.readlines() must return Uint8Array data (got 'b\\n')"],
  ])('readlines(...%o) fails (%#)', async (args, result, message) => {
    const wrapped = (await wrappers(recordingInput({ readlines: result }).input)).input
    await expectValidationError(() => (wrapped as unknown as Loose)['readlines']!(...args), message)
  })

  it('iterates by calling readline() until it returns empty bytes', async () => {
    const lines = [latin1('a\n'), latin1('b')]
    const { calls, input } = recordingInput({ readline: lines })
    const seen: Uint8Array[] = []
    for await (const line of (await wrappers(input)).input) seen.push(line)
    expect(seen).toEqual(lines)
    expect(calls).toEqual([
      ['readline', []],
      ['readline', []],
      ['readline', []],
    ])
  })

  it('close() fails', async () => {
    const wrapped = (await wrappers(recordingInput({}).input)).input as unknown as Loose
    await expectValidationError(() => wrapped['close']!(), 'input.close() must not be called')
  })
})

describe('gh-67765: ErrorWrapper', () => {
  it('write(s) passes a string through', async () => {
    const { calls, errors } = recordingErrors()
    ;(await wrappers(recordingInput({}).input, errors)).errors.write('oops\n')
    expect(calls).toEqual([['write', ['oops\n']]])
  })

  it('write(b) fails on bytes before reaching the stream', async () => {
    const { calls, errors } = recordingErrors()
    const wrapped = (await wrappers(recordingInput({}).input, errors)).errors as unknown as Loose
    await expectValidationError(
      () => wrapped['write']!(latin1('oops')),
      "wsgi.errors.write() argument must be a string (got b'oops')",
    )
    expect(calls).toEqual([])
  })

  it('writelines(seq) writes each string through write()', async () => {
    const { calls, errors } = recordingErrors()
    ;(await wrappers(recordingInput({}).input, errors)).errors.writelines(['a\n', 'b\n'])
    expect(calls).toEqual([
      ['write', ['a\n']],
      ['write', ['b\n']],
    ])
  })

  it('writelines(seq) fails on the first item that is not a string', async () => {
    const { calls, errors } = recordingErrors()
    const wrapped = (await wrappers(recordingInput({}).input, errors)).errors as unknown as Loose
    await expectValidationError(
      () => wrapped['writelines']!(['a\n', latin1('b\n')]),
      "wsgi.errors.write() argument must be a string (got b'b\\n')",
    )
    expect(calls).toEqual([['write', ['a\n']]])
  })

  it('flush() passes through', async () => {
    const { calls, errors } = recordingErrors()
    ;(await wrappers(recordingInput({}).input, errors)).errors.flush()
    expect(calls).toEqual([['flush', []]])
  })

  it('close() fails', async () => {
    const wrapped = (await wrappers(recordingInput({}).input)).errors as unknown as Loose
    await expectValidationError(() => wrapped['close']!(), 'errors.close() must not be called')
  })
})
