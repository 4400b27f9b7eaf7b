import { runInNewContext } from 'node:vm'

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { MockInstance } from 'vitest'

import { WSGIValidationError } from './errors.ts'
import type {
  ErrorStream,
  InputStream,
  ResponseBody,
  StartResponse,
  WSGIApplication,
  WSGIEnvironment,
} from './types.ts'
import { WSGIWarning, validator } from './validate.ts'

// ---------------------------------------------------------------------------------------------
// helpers: an in-memory environ, a recording startResponse, a runner

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))
const text = (chunks: Uint8Array[]): string => chunks.map((c) => String.fromCharCode(...c)).join('')

/** wsgi.input over fixed bytes, synchronous underneath, promises on top. */
function memoryInput(data: Uint8Array = new Uint8Array()): InputStream {
  let pos = 0
  const take = (end: number): Uint8Array => {
    const out = data.subarray(pos, Math.min(end, data.length))
    pos += out.length
    return out
  }
  const readline = (size = -1): Promise<Uint8Array> => {
    const nl = data.indexOf(0x0a, pos)
    let end = nl === -1 ? data.length : nl + 1
    if (size >= 0) end = Math.min(end, pos + size)
    return Promise.resolve(take(end))
  }
  const lines = async (): Promise<Uint8Array[]> => {
    const out: Uint8Array[] = []
    for (let line = await readline(); line.length > 0; line = await readline()) out.push(line)
    return out
  }
  return {
    read: (size = -1) => Promise.resolve(take(size < 0 ? data.length : pos + size)),
    readline,
    readlines: () => lines(),
    async *[Symbol.asyncIterator]() {
      yield* await lines()
    },
  }
}

function memoryErrors(): ErrorStream & { written: string[]; flushes: number } {
  return {
    written: [],
    flushes: 0,
    write(s) {
      this.written.push(s)
    },
    writelines(seq) {
      for (const s of seq) this.write(s)
    },
    flush() {
      this.flushes++
    },
  }
}

function makeEnviron(extra: Record<string, unknown> = {}, omit: string[] = []): WSGIEnvironment {
  const environ: Record<string, unknown> = {
    REQUEST_METHOD: 'GET',
    SCRIPT_NAME: '',
    PATH_INFO: '/',
    QUERY_STRING: '',
    SERVER_NAME: '127.0.0.1',
    SERVER_PORT: '80',
    SERVER_PROTOCOL: 'HTTP/1.0',
    HTTP_HOST: '127.0.0.1',
    'wsgi.version': [1, 0],
    'wsgi.url_scheme': 'http',
    'wsgi.input': memoryInput(),
    'wsgi.errors': memoryErrors(),
    'wsgi.multithread': false,
    'wsgi.multiprocess': false,
    'wsgi.run_once': false,
    ...extra,
  }
  for (const key of omit) Reflect.deleteProperty(environ, key)
  return environ as WSGIEnvironment
}

function recorder(): {
  calls: unknown[][]
  written: Uint8Array[]
  startResponse: StartResponse
} {
  const calls: unknown[][] = []
  const written: Uint8Array[] = []
  const startResponse = (...args: unknown[]) => {
    calls.push(args)
    return (data: Uint8Array) => {
      written.push(data)
      return Promise.resolve()
    }
  }
  return { calls, written, startResponse }
}

const PLAIN: [string, string][] = [['Content-Type', 'text/plain']]

/** An app that starts a response with `args` and returns `body`. */
const starting =
  (args: unknown[], body: unknown = []): WSGIApplication =>
  (_environ, startResponse) => {
    ;(startResponse as (...a: unknown[]) => unknown)(...args)
    return body as ResponseBody
  }

/** Runs `app` through the validator with a recording server side, closing the body. */
async function run(app: WSGIApplication, environ: WSGIEnvironment = makeEnviron()) {
  const rec = recorder()
  const body = await validator(app)(environ, rec.startResponse)
  const chunks: Uint8Array[] = []
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk)
  } finally {
    await body.close?.()
  }
  return { ...rec, body, chunks }
}

/** Calls `fn`, awaits it, and returns what it threw or rejected with. */
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

const hello: WSGIApplication = (_environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']])
  return [bytes('Hello, world!')]
}

// ---------------------------------------------------------------------------------------------

describe('validator(app): calling the app (V1–V7)', () => {
  it('passes a valid exchange through unchanged and warns about nothing', async () => {
    const { calls, chunks } = await run(hello)
    expect(calls).toEqual([['200 OK', PLAIN]])
    expect(text(chunks)).toBe('Hello, world!')
    expect(emitWarning).not.toHaveBeenCalled()
  })

  it.each([[[]], [[makeEnviron()]], [[makeEnviron(), recorder().startResponse, {}]]])(
    'V1: rejects a call with %# arguments other than two',
    async (args) => {
      const app = validator(hello) as (...a: unknown[]) => unknown
      await expectValidationError(() => app(...args), 'Two arguments required')
    },
  )

  it('V2: has no keyword arguments to refuse; an options object is an extra argument (V1)', async () => {
    const app = validator(hello) as (...a: unknown[]) => unknown
    const options = { environ: makeEnviron(), startResponse: recorder().startResponse }
    await expectValidationError(() => app(options), 'Two arguments required')
  })

  it('V3: checks the environ before calling the app', async () => {
    const app = vi.fn(hello)
    const environ = makeEnviron({}, ['SERVER_NAME'])
    await expectValidationError(
      () => validator(app)(environ, recorder().startResponse),
      "Environment missing required key: 'SERVER_NAME'",
    )
    expect(app).not.toHaveBeenCalled()
  })

  it("V4: replaces wsgi.input and wsgi.errors in the caller's environ with checking wrappers", async () => {
    const input = memoryInput(bytes('abc'))
    const errors = memoryErrors()
    const environ = makeEnviron({ 'wsgi.input': input, 'wsgi.errors': errors })
    let seen: unknown[] = []
    await run(async (env, startResponse) => {
      seen = [env['wsgi.input'], env['wsgi.errors']]
      expect(text([await env['wsgi.input'].read(2)])).toBe('ab')
      env['wsgi.errors'].write('logged')
      startResponse('200 OK', PLAIN)
      return []
    }, environ)
    expect(seen).toEqual([environ['wsgi.input'], environ['wsgi.errors']])
    expect(environ['wsgi.input']).not.toBe(input)
    expect(environ['wsgi.errors']).not.toBe(errors)
    expect(errors.written).toEqual(['logged'])
  })

  it.each([null, undefined, false, 0])('V5: rejects %s as the return value', async (value) => {
    const message = 'The application must return an iterator, if only an empty list'
    const syncApp: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', PLAIN)
      return value as unknown as ResponseBody
    }
    await expectValidationError(() => run(syncApp), message)
    const asyncApp: WSGIApplication = () => Promise.resolve(value as unknown as ResponseBody)
    await expectValidationError(() => run(asyncApp), message)
  })

  it.each([
    ['a string', 'Hello'],
    ['a Uint8Array', bytes('Hello')],
    ['a Buffer', Buffer.from('Hi')],
  ])('V6: rejects %s as the return value', async (_label, value) => {
    await expectValidationError(
      () => run(starting(['200 OK', PLAIN], value)),
      'You should not return a string as your application iterator, instead return a single-item list containing a bytestring.',
    )
  })

  it('V6 (divergence): rejects a return value that is not iterable with a clear message', async () => {
    await expectValidationError(
      () => run(starting(['200 OK', PLAIN], 42)),
      'The application must return an iterable (got 42)',
    )
    await expectValidationError(
      () => run(starting(['200 OK', PLAIN], {})),
      'The application must return an iterable (got {})',
    )
  })

  it('V7: hands the server an async iterable with close() and no length', async () => {
    const body = await validator(hello)(makeEnviron(), recorder().startResponse)
    expect('length' in body).toBe(false)
    expect(Symbol.iterator in body).toBe(false)
    expect(typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]).toBe('function')
    expect(typeof body.close).toBe('function')
    await body.close?.()
  })

  it('accepts an async app and an async iterable body', async () => {
    const { calls, chunks } = await run(async (_environ, startResponse) => {
      await Promise.resolve()
      startResponse('200 OK', PLAIN)
      return (async function* () {
        yield bytes('a')
        await Promise.resolve()
        yield bytes('b')
      })()
    })
    expect(calls).toHaveLength(1)
    expect(text(chunks)).toBe('ab')
  })
})

describe('validator(app): environ checks (E1–E15)', () => {
  const call = (environ: unknown) =>
    validator(hello)(environ as WSGIEnvironment, recorder().startResponse)

  class Environ {
    readonly REQUEST_METHOD = 'GET'
  }

  it.each<[unknown, string]>([
    [new Map([['REQUEST_METHOD', 'GET']]), "<class 'Map'> (environment: <Map>)"],
    [[['REQUEST_METHOD', 'GET']], "<class 'list'> (environment: [['REQUEST_METHOD', 'GET']])"],
    [null, "<class 'NoneType'> (environment: None)"],
    [new Environ(), "<class 'Environ'> (environment: <Environ>)"],
  ])('E1: rejects %o as the environ', async (environ, rest) => {
    await expectValidationError(
      () => call(environ),
      `Environment is not of the right type: ${rest}`,
    )
  })

  it('E1: accepts a plain object with a null prototype', async () => {
    const environ = Object.assign(Object.create(null), makeEnviron()) as unknown
    await expect(run(hello, environ as WSGIEnvironment)).resolves.toBeDefined()
  })

  it.each([
    'REQUEST_METHOD',
    'SERVER_NAME',
    'SERVER_PORT',
    'wsgi.version',
    'wsgi.input',
    'wsgi.errors',
    'wsgi.multithread',
    'wsgi.multiprocess',
    'wsgi.run_once',
  ])('E2: requires the key %s', async (key) => {
    await expectValidationError(
      () => call(makeEnviron({}, [key])),
      `Environment missing required key: '${key}'`,
    )
  })

  it('E2: checks the required keys in CPython order', async () => {
    await expectValidationError(
      () => call(makeEnviron({}, ['wsgi.run_once', 'SERVER_PORT'])),
      "Environment missing required key: 'SERVER_PORT'",
    )
  })

  it.each(['CONTENT_TYPE', 'CONTENT_LENGTH'])('E3: rejects HTTP_%s', async (key) => {
    await expectValidationError(
      () => call(makeEnviron({ [`HTTP_${key}`]: 'x' })),
      `Environment should not have the key: HTTP_${key} (use ${key} instead)`,
    )
  })

  it('E4: warns when QUERY_STRING is missing', async () => {
    await run(hello, makeEnviron({}, ['QUERY_STRING']))
    expect(emitWarning).toHaveBeenCalledExactlyOnceWith(
      'QUERY_STRING is not in the WSGI environment; the cgi module will use sys.argv when this variable is missing, so application errors are more likely',
      { type: 'WSGIWarning', code: 'WSGIWRN001' },
    )
  })

  it.each([
    ['SERVER_PORT', 80, "<class 'int'> (value: 80)"],
    ['HTTP_X', null, "<class 'NoneType'> (value: None)"],
    ['HTTP_X', undefined, "<class 'undefined'> (value: undefined)"],
    ['PATH_INFO', Buffer.from('/'), "<class 'bytes'> (value: b'/')"],
    ['REMOTE_PORT', 1.5, "<class 'float'> (value: 1.5)"],
    ['HTTPS', true, "<class 'bool'> (value: True)"], // CPython's repr(True)
  ])('E5: rejects %s = %o (not a string)', async (key, value, rest) => {
    await expectValidationError(
      () => call(makeEnviron({ [key]: value })),
      `Environmental variable ${key} is not a string: ${rest}`,
    )
  })

  it('E5: leaves dotted keys (wsgi.*, wsgits.*) unchecked', async () => {
    const environ = makeEnviron({ 'wsgits.signal': new AbortController().signal, 'x.y': 1 })
    await expect(run(hello, environ)).resolves.toBeDefined()
  })

  it.each([
    [{ 0: 1, 1: 0 }, "wsgi.version should be a tuple ({'0': 1, '1': 0})"],
    ['1.0', "wsgi.version should be a tuple ('1.0')"],
    [[1, 1], 'wsgi.version must be [1, 0] (got [1, 1])'],
    [[1, 0, 0], 'wsgi.version must be [1, 0] (got [1, 0, 0])'],
    [['1', '0'], "wsgi.version must be [1, 0] (got ['1', '0'])"],
  ])('E6: rejects wsgi.version %o', async (version, message) => {
    await expectValidationError(() => call(makeEnviron({ 'wsgi.version': version })), message)
  })

  it.each([
    ['ftp', "wsgi.url_scheme unknown: 'ftp'"],
    ['HTTP', "wsgi.url_scheme unknown: 'HTTP'"],
    [undefined, 'wsgi.url_scheme unknown: undefined'],
  ])('E7: rejects wsgi.url_scheme %o', async (scheme, message) => {
    await expectValidationError(() => call(makeEnviron({ 'wsgi.url_scheme': scheme })), message)
  })

  it('E7 (divergence): reports a missing wsgi.url_scheme (CPython leaks KeyError)', async () => {
    await expectValidationError(
      () => call(makeEnviron({}, ['wsgi.url_scheme'])),
      "Environment missing required key: 'wsgi.url_scheme'",
    )
  })

  it.each<[string, object]>([
    ['read', {}],
    ['readline', { read: () => 0 }],
    ['readlines', { read: () => 0, readline: () => 0 }],
    ['[Symbol.asyncIterator]', { read: () => 0, readline: () => 0, readlines: () => 0 }],
  ])('E8: requires wsgi.input to have %s', async (attr, input) => {
    const shown = Object.keys(input)
      .map((k) => `'${k}': <function ${k}>`)
      .join(', ')
    await expectValidationError(
      () => call(makeEnviron({ 'wsgi.input': input })),
      `wsgi.input ({${shown}}) doesn't have the attribute ${attr}`,
    )
  })

  it('E8: requires the members to be methods', async () => {
    const input = { ...memoryInput(), readline: 'nope' }
    const error = await caught(() => call(makeEnviron({ 'wsgi.input': input })))
    expect(error).toBeInstanceOf(WSGIValidationError)
    expect((error as Error).message).toMatch(
      /^wsgi\.input \(.*\) doesn't have the attribute readline$/,
    )
    await expectValidationError(
      () => call(makeEnviron({ 'wsgi.input': null })),
      "wsgi.input (None) doesn't have the attribute read",
    )
  })

  it.each<[string, object]>([
    ['flush', {}],
    ['write', { flush: () => 0 }],
    ['writelines', { flush: () => 0, write: () => 0 }],
  ])('E9: requires wsgi.errors to have %s', async (attr, errors) => {
    const shown = Object.keys(errors)
      .map((k) => `'${k}': <function ${k}>`)
      .join(', ')
    await expectValidationError(
      () => call(makeEnviron({ 'wsgi.errors': errors })),
      `wsgi.errors ({${shown}}) doesn't have the attribute ${attr}`,
    )
  })

  it.each(['CONNECT', 'get', 'BREW', 'PROPFIND'])(
    'E10: warns about the REQUEST_METHOD %s and goes on',
    async (method) => {
      const { calls } = await run(hello, makeEnviron({ REQUEST_METHOD: method }))
      expect(calls).toHaveLength(1)
      expect(emitWarning).toHaveBeenCalledExactlyOnceWith(`Unknown REQUEST_METHOD: '${method}'`, {
        type: 'WSGIWarning',
        code: 'WSGIWRN002',
      })
    },
  )

  it.each(['GET', 'HEAD', 'POST', 'OPTIONS', 'PATCH', 'PUT', 'DELETE', 'TRACE'])(
    'E10: knows the method %s',
    async (method) => {
      await run(hello, makeEnviron({ REQUEST_METHOD: method }))
      expect(emitWarning).not.toHaveBeenCalled()
    },
  )

  it.each([
    [{ SCRIPT_NAME: 'app' }, "SCRIPT_NAME doesn't start with /: 'app'"],
    [{ PATH_INFO: 'x' }, "PATH_INFO doesn't start with /: 'x'"],
  ])('E11/E12: rejects %o', async (extra, message) => {
    await expectValidationError(() => call(makeEnviron(extra)), message)
  })

  it.each([
    [{ SCRIPT_NAME: '/app', PATH_INFO: '' }],
    [{ SCRIPT_NAME: '', PATH_INFO: '/' }],
    [{ SCRIPT_NAME: '/app', PATH_INFO: '/x' }],
  ])('E11/E12: accepts %o', async (extra) => {
    await expect(run(hello, makeEnviron(extra))).resolves.toBeDefined()
  })

  it('E11 (divergence): requires SCRIPT_NAME to be present (CPython leaks KeyError)', async () => {
    await expectValidationError(
      () => call(makeEnviron({}, ['SCRIPT_NAME'])),
      "Environment missing required key: 'SCRIPT_NAME'",
    )
  })

  it('E12 (divergence): requires PATH_INFO to be present (CPython leaks KeyError)', async () => {
    await expectValidationError(
      () => call(makeEnviron({ SCRIPT_NAME: '/app' }, ['PATH_INFO'])),
      "Environment missing required key: 'PATH_INFO'",
    )
  })

  it('E14: requires PATH_INFO when SCRIPT_NAME is empty', async () => {
    await expectValidationError(
      () => call(makeEnviron({ SCRIPT_NAME: '' }, ['PATH_INFO'])),
      "One of SCRIPT_NAME or PATH_INFO are required (PATH_INFO should at least be '/' if SCRIPT_NAME is empty)",
    )
  })

  it.each(['-1', '-12', 'abc', '1.5', '12abc', '0x10', '1__0'])(
    'E13: rejects CONTENT_LENGTH %o',
    async (value) => {
      await expectValidationError(
        () => call(makeEnviron({ CONTENT_LENGTH: value })),
        `Invalid CONTENT_LENGTH: '${value}'`,
      )
    },
  )

  it.each(['', '0', '-0', '12', ' 12 ', '+5', '1_000'])(
    'E13: accepts CONTENT_LENGTH %o as Python int() does',
    async (value) => {
      await expect(run(hello, makeEnviron({ CONTENT_LENGTH: value }))).resolves.toBeDefined()
    },
  )

  it('E15: rejects SCRIPT_NAME "/"', async () => {
    await expectValidationError(
      () => call(makeEnviron({ SCRIPT_NAME: '/', PATH_INFO: '' })),
      "SCRIPT_NAME cannot be '/'; it should instead be '', and PATH_INFO should be '/'",
    )
  })
})

describe('startResponse(status, headers, excInfo?) through the validator (S1–S5)', () => {
  it.each([
    [[], 'Invalid number of arguments: ()'],
    [['200 OK'], "Invalid number of arguments: ('200 OK',)"],
    [
      ['200 OK', PLAIN, undefined, 'x'],
      "Invalid number of arguments: ('200 OK', [['Content-Type', 'text/plain']], undefined, 'x')",
    ],
  ])('S1: rejects %o', async (args, message) => {
    await expectValidationError(() => run(starting(args)), message)
  })

  it('S2: has no keyword arguments to refuse; an options object in place of excInfo fails EX1', async () => {
    await expectValidationError(
      () => run(starting(['200 OK', PLAIN, { excInfo: new Error('x') }])),
      "exc_info ({'excInfo': <Error>}) is not an Error: <class 'dict'>",
    )
  })

  it.each([
    [[200, {}, 'x'], 'Status must be of type str (got 200)'],
    [['200 OK', {}, 'x'], "Headers ({}) must be of type list: <class 'dict'>"],
    [['200 OK', [], 'x'], 'No Content-Type header found in headers ([])'],
    [['200 OK', PLAIN, 'x'], "exc_info ('x') is not an Error: <class 'str'>"],
  ])(
    'S3: checks status, then headers, then Content-Type, then excInfo (%#)',
    async (args, message) => {
      const rec = recorder()
      const app = validator(starting(args))
      await expectValidationError(() => app(makeEnviron(), rec.startResponse), message)
      expect(rec.calls).toEqual([])
    },
  )

  it('S4: forwards the very arguments and returns a checking write()', async () => {
    const headers: [string, string][] = [['Content-Type', 'text/plain']]
    const error = new Error('boom')
    const rec = recorder()
    let returned: unknown
    const body = await validator((_environ, startResponse) => {
      const write = startResponse('500 Oops', headers, error)
      returned = write(bytes('partial'))
      return []
    })(makeEnviron(), rec.startResponse)
    await body.close?.()
    expect(rec.calls).toHaveLength(1)
    expect(rec.calls[0]![1]).toBe(headers)
    expect(rec.calls[0]![2]).toBe(error)
    expect(text(rec.written)).toBe('partial')
    expect(returned).toBeInstanceOf(Promise)
  })

  it('S5: does not check a second call, hop-by-hop headers or Content-Length', async () => {
    const { calls, chunks } = await run((_environ, startResponse) => {
      startResponse('200 OK', [...PLAIN, ['Connection', 'close'], ['Content-Length', '99']])
      startResponse('404 Not Found', PLAIN)
      return [bytes('short')]
    })
    expect(calls).toHaveLength(2)
    expect(text(chunks)).toBe('short')
  })
})

describe('status checks (ST1–ST5)', () => {
  it.each([
    [Buffer.from('200 OK'), "Status must be of type str (got b'200 OK')"],
    [200, 'Status must be of type str (got 200)'],
    [undefined, 'Status must be of type str (got undefined)'],
  ])('ST1: rejects the status %o', async (status, message) => {
    await expectValidationError(() => run(starting([status, PLAIN])), message)
  })

  it.each([
    ['20 OK', "Status codes must be three characters: '20'"],
    ['2000 OK', "Status codes must be three characters: '2000'"],
    ['200OK', "Status codes must be three characters: '200OK'"],
    ['ab', "Status codes must be three characters: 'ab'"],
    ["it's", 'Status codes must be three characters: "it\'s"'],
  ])('ST2: rejects the status %o', async (status, message) => {
    await expectValidationError(() => run(starting([status, PLAIN])), message)
  })

  it.each([
    ['', "Status codes must be three characters: ''"],
    ['   ', "Status codes must be three characters: ''"],
  ])(
    'ST2 (divergence): rejects the status %o (CPython leaks IndexError)',
    async (status, message) => {
      await expectValidationError(() => run(starting([status, PLAIN])), message)
    },
  )

  it.each([
    ['abc OK', "Status code is invalid: 'abc'"],
    ['20X OK', "Status code is invalid: '20X'"],
    ['2 0 OK', "Status codes must be three characters: '2'"],
  ])(
    'ST3 (divergence): rejects the non-numeric status %o (CPython leaks ValueError)',
    async (status, message) => {
      await expectValidationError(() => run(starting([status, PLAIN])), message)
    },
  )

  it.each([
    ['099 X', 'Status code is invalid: 99'],
    ['000 X', 'Status code is invalid: 0'],
    ['+20 X', 'Status code is invalid: 20'],
    ['-20 X', 'Status code is invalid: -20'],
    ['1_0 X', 'Status code is invalid: 10'],
  ])('ST4: rejects the status %o', async (status, message) => {
    await expectValidationError(() => run(starting([status, PLAIN])), message)
  })

  it.each([
    ['200', "'200'"],
    [' 200 OK', "' 200 OK'"],
    ['200\tOK', "'200\\tOK'"],
  ])('ST5: warns about the status %o and goes on', async (status, shown) => {
    const { calls } = await run(starting([status, PLAIN]))
    expect(calls).toHaveLength(1)
    expect(emitWarning).toHaveBeenCalledExactlyOnceWith(
      `The status string (${shown}) should be a three-digit integer followed by a single space and a status explanation`,
      { type: 'WSGIWarning', code: 'WSGIWRN003' },
    )
  })

  it.each(['200 OK', '999 X', '200  OK', '100 Continue', '200 '])(
    'accepts the status %o without a warning',
    async (status) => {
      await run(starting([status, PLAIN]))
      expect(emitWarning).not.toHaveBeenCalled()
    },
  )
})

describe('header checks (H1–H10)', () => {
  it.each([
    [
      { 'Content-Type': 'text/plain' },
      "({'Content-Type': 'text/plain'}) must be of type list: <class 'dict'>",
    ],
    [new Map(), "(<Map>) must be of type list: <class 'Map'>"],
    [new globalThis.Headers(), "(<Headers>) must be of type list: <class 'Headers'>"],
    [
      'Content-Type: text/plain',
      "('Content-Type: text/plain') must be of type list: <class 'str'>",
    ],
    [undefined, "(undefined) must be of type list: <class 'undefined'>"],
  ])('H1: rejects the header list %o', async (headers, rest) => {
    await expectValidationError(() => run(starting(['200 OK', headers])), `Headers ${rest}`)
  })

  it.each([
    [['Content-Type', 'text/plain'], "('Content-Type') must be of type tuple: <class 'str'>"],
    [
      [{ name: 'a', value: 'b' }],
      "({'name': 'a', 'value': 'b'}) must be of type tuple: <class 'dict'>",
    ],
    [[null], "(None) must be of type tuple: <class 'NoneType'>"],
  ])('H2: rejects the header %o', async (headers, rest) => {
    await expectValidationError(
      () => run(starting(['200 OK', headers])),
      `Individual headers ${rest}`,
    )
  })

  it.each([
    [
      [['a', 'b', 'c']],
      "Individual headers (['a', 'b', 'c']) must have 2 items, a name and a value",
    ],
    [[['a']], "Individual headers (['a']) must have 2 items, a name and a value"],
  ])(
    'H3: rejects a header that is not a pair (CPython: bare AssertionError) %#',
    async (headers, message) => {
      await expectValidationError(() => run(starting(['200 OK', headers])), message)
    },
  )

  it.each([
    [[[Buffer.from('a'), 'b']], "Header name must be of type str (got b'a')"],
    [[[42, 'b']], 'Header name must be of type str (got 42)'],
    [[[10n, 'b']], 'Header name must be of type str (got 10n)'],
    [[[Buffer.from("it's"), 'b']], `Header name must be of type str (got b"it's")`],
    [[[Buffer.from(`a"b'c`), 'b']], `Header name must be of type str (got b'a"b\\'c')`],
    [
      [[Uint8Array.of(0, 0x7f, 0x80, 0x5c), 'b']],
      "Header name must be of type str (got b'\\x00\\x7f\\x80\\\\')",
    ],
    [[['a', 1]], 'Header value must be of type str (got 1)'],
    [[['a', null]], 'Header value must be of type str (got None)'],
  ])('H4/H5: rejects non-string names and values %#', async (headers, message) => {
    await expectValidationError(() => run(starting(['200 OK', headers])), message)
  })

  it.each([
    ['Status', '200 OK', "(value: '200 OK')."],
    ['STATUS', '404', "(value: '404')."],
  ])('H6: rejects a %s header', async (name, value, rest) => {
    await expectValidationError(
      () => run(starting(['200 OK', [[name, value], ...PLAIN]])),
      `The Status header cannot be used; it conflicts with CGI script, and HTTP status is not given through headers ${rest}`,
    )
  })

  it.each([
    ['X:Y', "Header names may not contain ':' or '\\n': 'X:Y'"],
    ['X\nY', "Header names may not contain ':' or '\\n': 'X\\nY'"],
    ['1X', "Bad header name: '1X'"],
    ['X.Y', "Bad header name: 'X.Y'"],
    ['X Y', "Bad header name: 'X Y'"],
    ['', "Bad header name: ''"],
    ['Caf\xe9', "Bad header name: 'Café'"],
    ['X-', "Names may not end in '-' or '_': 'X-'"],
    ['X_', "Names may not end in '-' or '_': 'X_'"],
    // Python's repr() escapes what str.isprintable() rejects.
    ['X\u2028', "Bad header name: 'X\\u2028'"],
    ['X\u{e0001}', "Bad header name: 'X\\U000e0001'"],
    ['X\u{1f600}', "Bad header name: 'X\u{1f600}'"],
    ['\xad\xa0 ', "Bad header name: '\\xad\\xa0 '"],
  ])('H7–H9: rejects the header name %o', async (name, message) => {
    await expectValidationError(() => run(starting(['200 OK', [[name, 'v'], ...PLAIN]])), message)
  })

  it.each([
    ['a\tb', "Bad header value: 'a\\tb' (bad char: '\\t')"],
    ['a\r\nb', "Bad header value: 'a\\r\\nb' (bad char: '\\r')"],
    ['\x00', "Bad header value: '\\x00' (bad char: '\\x00')"],
    ['\x1f', "Bad header value: '\\x1f' (bad char: '\\x1f')"],
    ["it's\x01", "Bad header value: \"it's\\x01\" (bad char: '\\x01')"],
  ])('H10: rejects the header value %o (TAB included)', async (value, message) => {
    await expectValidationError(() => run(starting(['200 OK', [['X', value], ...PLAIN]])), message)
  })

  it.each(['a\x7fb', 'caf\xe9\x80', "it's", 'x; q="1"', ''])(
    'H10: accepts the header value %o',
    async (value) => {
      const { calls } = await run(starting(['200 OK', [['X-Custom_1', value], ...PLAIN]]))
      expect(calls).toHaveLength(1)
    },
  )
})

describe('Content-Type checks (CT1–CT2)', () => {
  it.each([
    ['204 No Content', [['Content-Type', 'text/plain']], 204],
    ['304 Not Modified', [['content-type', 'x']], 304],
  ])('CT1: rejects Content-Type in a %s response', async (status, headers, code) => {
    await expectValidationError(
      () => run(starting([status, headers])),
      `Content-Type header found in a ${code} response, which must not return content.`,
    )
  })

  it.each([
    ['200 OK', [['Date', 'x']], "[['Date', 'x']]"],
    ['200 OK', [], '[]'],
    ['205 Reset Content', [], '[]'],
    ['404 Not Found', [['Content-Length', '0']], "[['Content-Length', '0']]"],
  ])('CT2: requires Content-Type in a %s response (%#)', async (status, headers, shown) => {
    await expectValidationError(
      () => run(starting([status, headers])),
      `No Content-Type header found in headers (${shown})`,
    )
  })

  it.each([
    ['204 No Content', []],
    ['304 Not Modified', [['ETag', '"x"']]],
    ['404 Not Found', [['CONTENT-TYPE', 'x']]],
  ])('accepts %s with %o', async (status, headers) => {
    const { calls } = await run(starting([status, headers]))
    expect(calls).toHaveLength(1)
  })
})

describe('excInfo check (EX1)', () => {
  class DomainError extends TypeError {}

  it.each([
    ['undefined', undefined],
    ['an Error', new Error('x')],
    ['a subclass of Error', new DomainError('x')],
    ['an Error from another realm', runInNewContext('new Error("x")') as unknown],
    ['a DOMException', new DOMException('x', 'AbortError')],
    ['an Error-like object', { name: 'HttpError', message: 'x' }],
  ])('accepts %s', async (_label, excInfo) => {
    const { calls } = await run(starting(['500 Oops', PLAIN, excInfo]))
    expect(calls[0]).toHaveLength(3)
  })

  it.each([
    [null, "exc_info (None) is not an Error: <class 'NoneType'>"],
    ['boom', "exc_info ('boom') is not an Error: <class 'str'>"],
    [42, "exc_info (42) is not an Error: <class 'int'>"],
    [
      [Error, new Error('x'), ''],
      "exc_info ([<function Error>, <Error>, '']) is not an Error: <class 'list'>",
    ],
    [{}, "exc_info ({}) is not an Error: <class 'dict'>"],
  ])('rejects %o (CPython: not a tuple)', async (excInfo, message) => {
    await expectValidationError(() => run(starting(['500 Oops', PLAIN, excInfo])), message)
  })
})

describe('wsgi.input wrapper (I1–I7)', () => {
  /** The wrapped wsgi.input and the stream under it. */
  async function wrappedInput(input: unknown = memoryInput(bytes('one\ntwo\nthree'))) {
    const environ = makeEnviron({ 'wsgi.input': input })
    await run(hello, environ)
    return environ['wsgi.input']
  }
  const fake = (result: unknown) => ({
    ...memoryInput(),
    read: () => Promise.resolve(result),
    readline: () => Promise.resolve(result),
    readlines: () => Promise.resolve(result),
  })

  it('I1: passes read(size) through', async () => {
    const input = await wrappedInput()
    expect(text([await input.read(5)])).toBe('one\nt')
    expect(text([await input.read(-1)])).toBe('wo\nthree')
  })

  it.each([[[]], [[1, 2]]])('I1: rejects read() with %o as arguments', async (args) => {
    const input = (await wrappedInput()) as unknown as { read: (...a: unknown[]) => unknown }
    await expectValidationError(
      () => input.read(...args),
      `wsgi.input.read() takes exactly 1 argument (${args.length} given)`,
    )
  })

  it.each([
    ['read', "'abc'"],
    ['readline', "'abc'"],
  ] as const)('I2/I3: rejects a %s() result that is not a Uint8Array', async (method, shown) => {
    const input = await wrappedInput(fake('abc'))
    await expectValidationError(
      () => input[method](1),
      `wsgi.input.${method}() must return Uint8Array data (got ${shown})`,
    )
  })

  it('I3: passes readline() and readline(size) through', async () => {
    const input = await wrappedInput()
    expect(text([await input.readline()])).toBe('one\n')
    expect(text([await input.readline(2)])).toBe('tw')
  })

  it('I3: rejects readline() with two arguments', async () => {
    const input = (await wrappedInput()) as unknown as { readline: (...a: unknown[]) => unknown }
    await expectValidationError(
      () => input.readline(1, 2),
      'wsgi.input.readline() takes at most 1 argument (2 given)',
    )
  })

  it('I4: passes readlines() and readlines(hint) through', async () => {
    expect(text(await (await wrappedInput()).readlines())).toBe('one\ntwo\nthree')
    expect(await (await wrappedInput()).readlines(1)).toHaveLength(3)
  })

  it.each([
    [[1, 2], 'wsgi.input.readlines() takes at most 1 argument (2 given)', memoryInput()],
    [[], "wsgi.input.readlines() must return an array (got b'abc')", fake(bytes('abc'))],
    [[], "wsgi.input.readlines() must return Uint8Array data (got 'x')", fake([bytes('a'), 'x'])],
  ])('I4: rejects readlines(...%o) (%#)', async (args, message, stream) => {
    const input = (await wrappedInput(stream)) as unknown as {
      readlines: (...a: unknown[]) => unknown
    }
    await expectValidationError(() => input.readlines(...args), message)
  })

  it('I5: iterates line by line through the checked readline()', async () => {
    const lines: Uint8Array[] = []
    for await (const line of await wrappedInput()) lines.push(line)
    expect(lines.map((l) => text([l]))).toEqual(['one\n', 'two\n', 'three'])
    const bad = await wrappedInput(fake('line'))
    await expectValidationError(async () => {
      await bad[Symbol.asyncIterator]().next()
    }, "wsgi.input.readline() must return Uint8Array data (got 'line')")
  })

  it('I6: refuses close()', async () => {
    const input = (await wrappedInput()) as unknown as { close: () => unknown }
    await expectValidationError(() => input.close(), 'input.close() must not be called')
  })

  it('I7: exposes nothing but the stream methods', async () => {
    const input = await wrappedInput({ ...memoryInput(), seek: () => 0, fileno: () => 3 })
    expect('seek' in input).toBe(false)
    expect('fileno' in input).toBe(false)
    expect(Object.keys(input)).toEqual([])
  })
})

describe('wsgi.errors wrapper (R1–R4)', () => {
  async function wrappedErrors() {
    const errors = memoryErrors()
    const environ = makeEnviron({ 'wsgi.errors': errors })
    await run(hello, environ)
    return { errors, wrapper: environ['wsgi.errors'] as ErrorStream & { close(): never } }
  }

  it('R1: passes strings to write()', async () => {
    const { errors, wrapper } = await wrappedErrors()
    wrapper.write('oops\n')
    expect(errors.written).toEqual(['oops\n'])
  })

  it.each([
    [bytes('oops'), "wsgi.errors.write() argument must be a string (got b'oops')"],
    [42, 'wsgi.errors.write() argument must be a string (got 42)'],
  ])('R1: rejects write(%o)', async (value, message) => {
    const { errors, wrapper } = await wrappedErrors()
    await expectValidationError(() => {
      wrapper.write(value as unknown as string)
    }, message)
    expect(errors.written).toEqual([])
  })

  it('R2: writes each line through the checked write()', async () => {
    const { errors, wrapper } = await wrappedErrors()
    wrapper.writelines(['a\n', 'b\n'])
    expect(errors.written).toEqual(['a\n', 'b\n'])
    await expectValidationError(() => {
      wrapper.writelines(['c\n', 1] as string[])
    }, 'wsgi.errors.write() argument must be a string (got 1)')
    expect(errors.written).toEqual(['a\n', 'b\n', 'c\n'])
  })

  it('R3: forwards flush()', async () => {
    const { errors, wrapper } = await wrappedErrors()
    wrapper.flush()
    expect(errors.flushes).toBe(1)
  })

  it('R4: refuses close()', async () => {
    const { wrapper } = await wrappedErrors()
    await expectValidationError(() => wrapper.close(), 'errors.close() must not be called')
  })
})

describe('write(data) returned by startResponse (W1)', () => {
  it.each([
    ['abc', "write() argument must be a Uint8Array (got 'abc')"],
    [[1, 2], 'write() argument must be a Uint8Array (got [1, 2])'],
    [new ArrayBuffer(2), 'write() argument must be a Uint8Array (got <ArrayBuffer>)'],
  ])('rejects write(%o)', async (data, message) => {
    const rec = recorder()
    const app = validator((_environ, startResponse) => {
      startResponse('200 OK', PLAIN)(data as unknown as Uint8Array)
      return []
    })
    await expectValidationError(() => app(makeEnviron(), rec.startResponse), message)
    expect(rec.written).toEqual([])
  })

  it('passes a Uint8Array or a Buffer through', async () => {
    const { written } = await run((_environ, startResponse) => {
      const write = startResponse('200 OK', PLAIN)
      void write(bytes('a'))
      void write(Buffer.from('b'))
      return []
    })
    expect(text(written)).toBe('ab')
  })
})

describe('response body wrapper (IT1–IT6)', () => {
  it('IT1: is its own async iterator', async () => {
    const body = await validator(hello)(makeEnviron(), recorder().startResponse)
    const iterable = body as AsyncIterableIterator<Uint8Array>
    expect(iterable[Symbol.asyncIterator]()).toBe(body)
    await body.close?.()
  })

  it('IT1: takes the iterator when the app returns, so its errors surface from the app call', async () => {
    const boom = new Error('no iterator')
    const body = {
      [Symbol.iterator]() {
        throw boom
      },
    }
    expect(
      await caught(() =>
        validator(starting(['200 OK', PLAIN], body))(makeEnviron(), recorder().startResponse),
      ),
    ).toBe(boom)
  })

  it('IT2: refuses next() after close()', async () => {
    const body = (await validator(hello)(
      makeEnviron(),
      recorder().startResponse,
    )) as AsyncIterableIterator<Uint8Array> & { close(): void }
    body.close()
    await expectValidationError(() => body.next(), 'Iterator read after closed')
  })

  it.each([
    ['a string', ['abc'], "Iterator yielded non-bytestring ('abc')"],
    ['a number', [42], 'Iterator yielded non-bytestring (42)'],
    ['an array', [[1, 2]], 'Iterator yielded non-bytestring ([1, 2])'],
    ['a promise', [Promise.resolve(bytes('a'))], 'Iterator yielded non-bytestring (<Promise>)'],
  ])('IT3: rejects a body that yields %s', async (_label, chunks, message) => {
    await expectValidationError(() => run(starting(['200 OK', PLAIN], chunks)), message)
  })

  it('IT3: checks async bodies too', async () => {
    const body = (async function* () {
      await Promise.resolve()
      yield bytes('ok')
      yield 'late' as unknown as Uint8Array
    })()
    await expectValidationError(
      () => run(starting(['200 OK', PLAIN], body)),
      "Iterator yielded non-bytestring ('late')",
    )
  })

  it('IT4: rejects a first chunk yielded before startResponse was called', async () => {
    await expectValidationError(
      () => run(() => [bytes('early')]),
      'The application returns and we started iterating over its body, but start_response has not yet been called',
    )
  })

  it('IT4: accepts a body that calls startResponse lazily, and an empty body that never does', async () => {
    const lazy = await run((_environ, startResponse) =>
      (function* () {
        startResponse('200 OK', PLAIN)
        yield bytes('lazy')
      })(),
    )
    expect(text(lazy.chunks)).toBe('lazy')
    const empty = await run(() => [])
    expect(empty.calls).toEqual([])
  })

  it("IT5: close() calls the app body's close() and returns its result", async () => {
    const close = vi.fn(() => Promise.resolve())
    const app = starting(['200 OK', PLAIN], Object.assign([bytes('x')], { close }))
    const body = await validator(app)(makeEnviron(), recorder().startResponse)
    const result = body.close?.()
    expect(result).toBeInstanceOf(Promise)
    await result
    expect(close).toHaveBeenCalledOnce()
  })

  it('IT5: close() works for a body without close()', async () => {
    const body = await validator(hello)(makeEnviron(), recorder().startResponse)
    expect(body.close?.()).toBeUndefined()
  })

  it('forwards return() to the app iterator, so a generator body runs its finally block', async () => {
    let finalized = false
    const body = await validator((_environ, startResponse) => {
      startResponse('200 OK', PLAIN)
      return (function* () {
        try {
          yield bytes('a')
          yield bytes('b')
        } finally {
          finalized = true
        }
      })()
    })(makeEnviron(), recorder().startResponse)
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      expect(text([chunk])).toBe('a')
      break
    }
    await body.close?.()
    expect(finalized).toBe(true)
  })

  it('IT6: WSGIWarning names the unclosed-body warning (FinalizationRegistry, not tested: GC timing)', () => {
    const warning = new WSGIWarning('WSGIWRN004')
    expect(warning.message).toBe('Iterator garbage collected without being closed')
  })
})
