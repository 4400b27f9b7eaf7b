/**
 * `copyEnviron`: a shallow copy that keeps accessors as accessors (the lazy `wsgits.signal`).
 *
 * @module
 */
import { describe, expect, it } from 'vitest'

import type { WSGIEnvironment } from '@wsgi/core/types'

import { copyEnviron } from './request-sync.ts'

describe('copyEnviron', () => {
  it('copies data keys and keeps an accessor unread, in the same key order', () => {
    let reads = 0
    const input = { read: () => undefined }
    const environ = { REQUEST_METHOD: 'GET', 'wsgi.input': input } as Record<string, unknown>
    Object.defineProperty(environ, 'wsgits.signal', {
      get: () => ++reads,
      enumerable: true,
      configurable: true,
    })
    environ['HTTP_HOST'] = 'example.com'
    const copy = copyEnviron(environ as WSGIEnvironment) as Record<string, unknown>
    expect(reads).toBe(0)
    expect(Object.keys(copy)).toEqual([
      'REQUEST_METHOD',
      'wsgi.input',
      'wsgits.signal',
      'HTTP_HOST',
    ])
    expect(copy['wsgi.input']).toBe(input)
    copy['HTTP_HOST'] = 'changed'
    expect(environ['HTTP_HOST']).toBe('example.com')
    expect(copy['wsgits.signal']).toBe(1)
  })
})
