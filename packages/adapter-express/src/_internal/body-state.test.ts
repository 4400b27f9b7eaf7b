import { describe, expect, it } from 'vitest'

import type { ParsedRequest } from './body-state.ts'
import { bodySource } from './body-state.ts'

/** Just the fields bodySource() reads. */
function fakeRequest(fields: {
  ended?: boolean
  drained?: boolean
  headers?: Record<string, string>
  body?: unknown
  rawBody?: unknown
  _body?: unknown
}): ParsedRequest {
  return {
    readableEnded: fields.ended ?? false,
    complete: fields.drained ?? false,
    readableDidRead: fields.drained ?? false,
    readableLength: 0,
    headers: fields.headers ?? {},
    body: fields.body,
    rawBody: fields.rawBody,
    _body: fields._body,
  } as unknown as ParsedRequest
}

const withBody = { 'content-length': '5' }

describe('bodySource(req)', () => {
  it('streams a body nobody read, whatever req.body says', () => {
    expect(bodySource(fakeRequest({ headers: withBody, body: {} }))).toEqual({ kind: 'stream' })
  })

  it('replays the Buffer of express.raw()', () => {
    const body = Buffer.from('hello')
    expect(bodySource(fakeRequest({ ended: true, headers: withBody, body }))).toEqual({
      kind: 'replay',
      bytes: body,
    })
  })

  it('prefers req.rawBody over a parsed req.body', () => {
    const rawBody = Buffer.from('{"a":1}')
    const source = bodySource(
      fakeRequest({ ended: true, headers: withBody, body: { a: 1 }, rawBody }),
    )
    expect(source).toEqual({ kind: 'replay', bytes: rawBody })
  })

  it.each([
    ['text/plain', 'caf\u00e9', Buffer.from('caf\u00e9', 'utf8')],
    ['text/plain; charset=ISO-8859-1', 'caf\u00e9', Buffer.from('caf\u00e9', 'latin1')],
    ['text/plain; charset="utf-16le"', 'ab', Buffer.from('ab', 'utf16le')],
  ])('re-encodes the string of express.text() for %s', (type, body, expected) => {
    const source = bodySource(
      fakeRequest({ ended: true, headers: { ...withBody, 'content-type': type }, body }),
    )
    expect(source).toEqual({ kind: 'replay', bytes: expected })
  })

  it('gives up on a string in a charset Buffer cannot encode', () => {
    const headers = { ...withBody, 'content-type': 'text/plain; charset=koi8-r' }
    expect(bodySource(fakeRequest({ ended: true, headers, body: 'x' }))).toEqual({
      kind: 'consumed',
    })
  })

  it('reports a parsed body without its bytes as consumed (body-parser 2: the stream ended)', () => {
    expect(bodySource(fakeRequest({ ended: true, headers: withBody, body: { a: 1 } }))).toEqual({
      kind: 'consumed',
    })
  })

  it('reports a body flagged by body-parser 1 (req._body) as consumed', () => {
    expect(bodySource(fakeRequest({ _body: true, headers: withBody, body: { a: 1 } }))).toEqual({
      kind: 'consumed',
    })
  })

  it.each([
    ['no length', {}],
    ['a zero length', { 'content-length': '0' }],
  ])('replays nothing, without an error, for a drained request with %s', (_label, headers) => {
    expect(bodySource(fakeRequest({ ended: true, headers }))).toEqual({
      kind: 'replay',
      bytes: new Uint8Array(0),
    })
  })

  it('counts a complete request whose every byte was taken as read, before its end event', () => {
    expect(bodySource(fakeRequest({ drained: true, headers: withBody, body: { a: 1 } }))).toEqual({
      kind: 'consumed',
    })
  })

  it('counts a chunked request as one with a body', () => {
    const headers = { 'transfer-encoding': 'chunked' }
    expect(bodySource(fakeRequest({ ended: true, headers }))).toEqual({ kind: 'consumed' })
  })
})
