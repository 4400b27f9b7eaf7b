import { describe, expect, it } from 'vitest'

import { banner, httpsBanner } from './output.ts'

describe('banner(address, suffix)', () => {
  it.each([
    [
      '::',
      8000,
      'Serving HTTP on :: port 8000 (every interface; open http://localhost:8000/) ...\n',
    ],
    [
      '0.0.0.0',
      80,
      'Serving HTTP on 0.0.0.0 port 80 (every interface; open http://localhost:80/) ...\n',
    ],
    [
      '',
      8000,
      'Serving HTTP on 0.0.0.0 port 8000 (every interface; open http://localhost:8000/) ...\n',
    ],
    ['127.0.0.1', 5000, 'Serving HTTP on 127.0.0.1 port 5000 (http://127.0.0.1:5000/) ...\n'],
    ['::1', 5000, 'Serving HTTP on ::1 port 5000 (http://[::1]:5000/) ...\n'],
  ])('announces %j port %d as %j', (address, port, line) => {
    expect(banner({ address, port })).toBe(line)
  })

  it('puts the suffix before the dots', () => {
    expect(banner({ address: '::', port: 1 }, ' with 2 workers')).toBe(
      'Serving HTTP on :: port 1 (every interface; open http://localhost:1/) with 2 workers ...\n',
    )
  })
})

describe('httpsBanner(line)', () => {
  it('says HTTPS and https:// for a server with --certfile', () => {
    const line = 'Serving HTTP on 127.0.0.1 port 5000 (http://127.0.0.1:5000/) ...\n'
    expect(httpsBanner(line)).toBe(
      'Serving HTTPS on 127.0.0.1 port 5000 (https://127.0.0.1:5000/) ...\n',
    )
  })
})
