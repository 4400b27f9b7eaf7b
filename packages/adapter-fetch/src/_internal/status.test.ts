import { STATUS_CODES } from 'node:http'

import { describe, expect, it } from 'vitest'

import { reasonPhrase, responseStatusCode } from './status.ts'

describe('reasonPhrase(status)', () => {
  it('gives the phrase Node writes for every code from 100 to 999', () => {
    for (let code = 100; code <= 999; code++) {
      expect([code, reasonPhrase(code)]).toEqual([code, STATUS_CODES[code] ?? 'unknown'])
    }
  })
})

describe('responseStatusCode(line)', () => {
  it.each(['200 OK', "418 I'm a teapot", '599 Whatever'])('gives the code of %s', (line) => {
    expect(responseStatusCode(line)).toBe(Number(line.slice(0, 3)))
  })

  it.each(['101 Switching Protocols', '103 Early Hints', '199 Info', '600 Beyond', '700 Custom'])(
    'refuses %s with ERR_WSGI_INVALID_STATUS, naming the range a Response holds',
    (line) => {
      expect(() => responseStatusCode(line)).toThrow(
        expect.objectContaining({
          code: 'ERR_WSGI_INVALID_STATUS',
          message: expect.stringContaining('from 200 to 599') as unknown,
        }),
      )
    },
  )
})
