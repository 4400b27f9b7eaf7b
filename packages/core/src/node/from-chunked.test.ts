import { Buffer } from 'node:buffer'

import { describe, expect, it } from 'vitest'

import { ChunkedDecoder } from './from-chunked.ts'

function decode(parts: (string | Buffer)[]): { body: string; trailers: string; ended: boolean } {
  const out: Uint8Array[] = []
  const decoder = new ChunkedDecoder({ pushBody: (data) => out.push(data) })
  for (const part of parts) decoder.write(part, 'latin1')
  return {
    body: Buffer.concat(out).toString('latin1'),
    trailers: decoder.trailers,
    ended: decoder.ended,
  }
}

describe('ChunkedDecoder#write(chunk, encoding)', () => {
  it('decodes the writes Node makes for each chunk', () => {
    const crlf = Buffer.from('\r\n')
    expect(
      decode([
        '5',
        crlf,
        Buffer.from('hello'),
        crlf,
        'b',
        crlf,
        Buffer.from(' big world!'),
        crlf,
        '0\r\n\r\n',
      ]),
    ).toEqual({
      body: 'hello big world!',
      trailers: '',
      ended: true,
    })
  })

  it('decodes any split of the same bytes, byte by byte included', () => {
    const wire = '3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\nX-U: caf\xe9\r\n\r\n'
    const bytes = Buffer.from(wire, 'latin1')
    const expected = {
      body: 'abc0123456789abcdef',
      trailers: 'X-T: 1\r\nX-U: caf\xe9\r\n',
      ended: true,
    }
    expect(decode([wire])).toEqual(expected)
    expect(decode([bytes])).toEqual(expected)
    expect(decode([...bytes].map((b) => Buffer.from([b])))).toEqual(expected)
    expect(decode([wire.slice(0, 12), bytes.subarray(12, 30), wire.slice(30)])).toEqual(expected)
  })

  it('encodes string data with the encoding it was written in', () => {
    const out: Uint8Array[] = []
    const decoder = new ChunkedDecoder({ pushBody: (data) => out.push(data) })
    decoder.write('2\r\n', 'latin1')
    decoder.write('\u00e9', 'utf8')
    decoder.write('\r\n0\r\n\r\n', 'latin1')
    expect(Buffer.concat(out).toString('utf8')).toBe('\u00e9')
    expect(decoder.ended).toBe(true)
  })

  it('hands data on as views of the written buffer, without copying', () => {
    const out: Uint8Array[] = []
    const decoder = new ChunkedDecoder({ pushBody: (data) => out.push(data) })
    const data = Buffer.from('payload')
    decoder.write('7\r\n', 'latin1')
    decoder.write(data, 'latin1')
    expect(out[0]?.buffer).toBe(data.buffer)
  })

  it('throws on malformed framing', () => {
    expect(() => decode(['zz\r\n'])).toThrow(/Malformed chunked framing/)
    expect(() => decode(['1\r\nab'])).toThrow(/Malformed chunked framing/)
  })
})
