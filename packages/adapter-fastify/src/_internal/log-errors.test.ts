import { describe, expect, it } from 'vitest'

import { LogErrorStream } from './log-errors.ts'

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
