import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { requestURLParts } from './request-url-parts.ts'

/** What the URL parser says, in the same shape. */
function parsed(url: string): ReturnType<typeof requestURLParts> {
  const u = new URL(url)
  return {
    scheme: u.protocol.slice(0, -1),
    hostname: u.hostname,
    port: u.port,
    host: u.host,
    pathname: u.pathname,
    search: u.search,
  }
}

/** The parts, or `'throws'` when the URL is refused. */
function outcome(parse: (url: string) => unknown, url: string): unknown {
  try {
    return parse(url)
  } catch {
    return 'throws'
  }
}

describe('requestURLParts(url)', () => {
  it.each([
    'http://127.0.0.1:3000/m/hello',
    'http://localhost/',
    'https://example.com/a/b?x=1&y=2',
    'http://example.com:80/x',
    'https://example.com:443/x',
    'http://example.com:8080/x?',
    'http://EXAMPLE.com/x',
    'http://127.1/x',
    'http://010.0.0.1/x',
    'http://1.2.3.4./x',
    'http://256.0.0.1/x',
    'http://[::1]:8080/x',
    'http://user:pw@h/x',
    'http://h/a/./b/../c',
    'http://h/a/%2e%2E/c',
    'http://h/.well-known/x',
    "http://h/x?a='b'",
    'http://h/a b?c d',
    'http://h/x#frag',
    'http://h/x?q#frag',
    'http://h/caf%C3%A9?q=%20',
    'http://h/a\\b',
    'http://h/x?a?b',
    'http://xn--nxasmq6b.com/x',
    'http://a..b/x',
    'http://h:0080/x',
    'http://h:65535/x',
  ])('gives what the URL parser gives for %s', (url) => {
    expect(outcome(requestURLParts, url)).toEqual(outcome(parsed, url))
  })

  it('agrees with the URL parser for a host seen before, under the other scheme too', () => {
    for (const url of [
      'http://example.com:443/a',
      'http://example.com:443/b?x',
      'https://example.com:443/c',
      'http://example.com:443/d',
      'http://Example.com:443/e',
      'http://example.com:443/f',
    ]) {
      expect(outcome(requestURLParts, url)).toEqual(outcome(parsed, url))
    }
  })

  it('agrees with the URL parser on generated URLs', () => {
    const chars = fc.constantFrom(
      ...'abcXYZ019-._~!$&()*+,;=:@/%?#\'"<>`{}|^[]\\ é'.split(''),
      '%2e',
      '%41',
      '/.',
      '/..',
    )
    const host = fc.constantFrom(
      'h',
      'example.com',
      '127.0.0.1',
      '10.1',
      'a.b.',
      'Host',
      '[::1]',
      'xn--a',
      '1.2.3.4.5',
    )
    const port = fc.constantFrom('', ':80', ':443', ':8080', ':0', ':65535', ':099')
    const url = fc
      .tuple(fc.constantFrom('http', 'https'), host, port, fc.array(chars, { maxLength: 20 }))
      .map(([scheme, h, p, rest]) => `${scheme}://${h}${p}/${rest.join('')}`)
    fc.assert(
      fc.property(url, (u) => {
        expect(outcome(requestURLParts, u)).toEqual(outcome(parsed, u))
      }),
      { numRuns: 2000 },
    )
  })
})
