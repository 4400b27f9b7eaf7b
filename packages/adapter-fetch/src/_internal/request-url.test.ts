import { describe, expect, it } from 'vitest'

import type { WSGIEnvironment } from '@wsgi/core/types'

import { environOrigin } from './request-url.ts'

function environ(keys: Record<string, unknown>): WSGIEnvironment {
  return { 'wsgi.url_scheme': 'http', SERVER_NAME: 'fallback', SERVER_PORT: '80', ...keys } as never
}

describe('environOrigin(environ)', () => {
  it('is the scheme and the Host header, and the same origin for the same host again', () => {
    const first = environOrigin(environ({ HTTP_HOST: 'example.com:8080' }))
    expect(first).toBe('http://example.com:8080')
    expect(environOrigin(environ({ HTTP_HOST: 'example.com:8080' }))).toBe(first)
  })

  it('follows a change of host or scheme after a cached one', () => {
    expect(environOrigin(environ({ HTTP_HOST: 'a.test' }))).toBe('http://a.test')
    expect(environOrigin(environ({ HTTP_HOST: 'b.test' }))).toBe('http://b.test')
    expect(environOrigin(environ({ HTTP_HOST: 'b.test', 'wsgi.url_scheme': 'https' }))).toBe(
      'https://b.test',
    )
    expect(environOrigin(environ({ HTTP_HOST: 'b.test' }))).toBe('http://b.test')
  })

  it('refuses an invalid Host right after a valid one was cached', () => {
    expect(environOrigin(environ({ HTTP_HOST: 'good.test' }))).toBe('http://good.test')
    expect(() => environOrigin(environ({ HTTP_HOST: 'x/admin?' }))).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_BAD_REQUEST' }),
    )
    // The refused host did not replace the cached one.
    expect(environOrigin(environ({ HTTP_HOST: 'good.test' }))).toBe('http://good.test')
  })

  it('falls back to SERVER_NAME and a non-default SERVER_PORT without a Host header', () => {
    expect(environOrigin(environ({ SERVER_NAME: '::1', SERVER_PORT: '8000' }))).toBe(
      'http://[::1]:8000',
    )
    expect(environOrigin(environ({ SERVER_NAME: 'h.test', SERVER_PORT: '80' }))).toBe(
      'http://h.test',
    )
  })
})
