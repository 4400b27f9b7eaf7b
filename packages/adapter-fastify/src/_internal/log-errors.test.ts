import { describe, expect, it } from 'vitest'

import { LogErrorStream, logAppError } from './log-errors.ts'

describe('LogErrorStream', () => {
  it("logs a traceback of core's logException() as one entry with its code as a field", () => {
    const entries: unknown[][] = []
    const stream = new LogErrorStream({
      error: (...args: unknown[]) => {
        entries.push(args)
      },
    })
    stream.write(
      'WSGIError [ERR_WSGI_NOT_LATIN1]: Header value holds U+20AC\n    at app (a.js:1:1)\n',
    )
    stream.write('plain text\n')
    expect(entries).toEqual([
      [
        { code: 'ERR_WSGI_NOT_LATIN1' },
        'WSGIError [ERR_WSGI_NOT_LATIN1]: Header value holds U+20AC\n    at app (a.js:1:1)',
      ],
      ['plain text'],
    ])
  })
})

describe('logAppError', () => {
  it("logs an error as pino's err with its code as a field, and a thrown non-error as an Error", () => {
    const entries: unknown[][] = []
    const log = {
      error: (...args: unknown[]) => {
        entries.push(args)
      },
    }
    const coded = Object.assign(new Error('bad header'), { code: 'ERR_WSGI_NOT_LATIN1' })
    logAppError(log, coded)
    logAppError(log, 'oops')
    expect(entries[0]).toEqual([{ err: coded, code: 'ERR_WSGI_NOT_LATIN1' }, 'bad header'])
    const [fields, message] = entries[1] as [{ err: unknown }, string]
    expect(Object.keys(fields)).toEqual(['err'])
    expect(fields.err).toBeInstanceOf(Error)
    expect(message).toBe("Non-error thrown: 'oops'")
  })
})
