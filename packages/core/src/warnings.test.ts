import { afterEach, describe, expect, it, vi } from 'vitest'

import { WARNING_CODES, WSGIWarning, emitWSGIWarning, formatWarning } from './warnings.ts'
import type { WSGIWarningCode } from './warnings.ts'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('WARNING_CODES', () => {
  it.each(Object.entries(WARNING_CODES))('documents %s', (code, info) => {
    expect(code).toMatch(/^WSGIWRN\d{3}$/)
    expect(info.message).not.toBe('')
    expect(info.when).not.toBe('')
    expect(info.fix).not.toBe('')
  })
})

describe('formatWarning(code, ...values)', () => {
  it('fills each %r in order', () => {
    expect(formatWarning('WSGIWRN002', "'BREW'")).toBe("Unknown REQUEST_METHOD: 'BREW'")
  })

  it('leaves a placeholder without a value as it is', () => {
    expect(formatWarning('WSGIWRN002')).toBe('Unknown REQUEST_METHOD: %r')
  })
})

describe('emitWSGIWarning(code, ...values)', () => {
  it('emits through process.emitWarning with the WSGIWarning type and the code', () => {
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    emitWSGIWarning('WSGIWRN002', "'BREW'")
    expect(spy).toHaveBeenCalledExactlyOnceWith("Unknown REQUEST_METHOD: 'BREW'", {
      type: 'WSGIWarning',
      code: 'WSGIWRN002',
    })
  })

  it('falls back to console.warn where there is no process.emitWarning', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const host = process as { emitWarning?: unknown }
    const original = host.emitWarning
    host.emitWarning = undefined
    try {
      emitWSGIWarning('WSGIWRN004')
    } finally {
      host.emitWarning = original
    }
    expect(warn).toHaveBeenCalledExactlyOnceWith(
      'WSGIWarning [WSGIWRN004]: Iterator garbage collected without being closed',
    )
  })

  it('reaches process "warning" listeners as a WSGIWarning', async () => {
    const seen = new Promise<Error>((resolve) => {
      process.once('warning', resolve)
    })
    // Node prints warnings unless a flag says otherwise; keep the test output clean.
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    emitWSGIWarning('WSGIWRN001')
    const warning = await seen
    expect(warning).toBeInstanceOf(WSGIWarning)
    expect(warning).toMatchObject({ name: 'WSGIWarning', code: 'WSGIWRN001' })
  })
})

describe('WSGIWarning', () => {
  it('carries a code, the registry message by default, and Node-style toString()', () => {
    const warning = new WSGIWarning('WSGIWRN003', 'custom')
    expect(warning).toBeInstanceOf(Error)
    expect(warning.name).toBe('WSGIWarning')
    expect(String(warning)).toBe('WSGIWarning [WSGIWRN003]: custom')
    expect(new WSGIWarning('WSGIWRN004').message).toBe(WARNING_CODES.WSGIWRN004.message)
  })

  it.each([
    ['a plain Error', new Error('x'), false],
    [
      'an Error named WSGIWarning without a code',
      Object.assign(new Error('x'), { name: 'WSGIWarning' }),
      false,
    ],
    [
      'an Error named WSGIWarning with an unknown code',
      Object.assign(new Error('x'), { name: 'WSGIWarning', code: 'WSGIWRN999' }),
      false,
    ],
    [
      'an Error as process.emitWarning builds it',
      Object.assign(new Error('x'), {
        name: 'WSGIWarning',
        code: 'WSGIWRN001' satisfies WSGIWarningCode,
      }),
      true,
    ],
    ['a non-error', { name: 'WSGIWarning', code: 'WSGIWRN001' }, false],
  ])('instanceof recognises %s: %s', (_label, value, expected) => {
    expect(value instanceof WSGIWarning).toBe(expected)
  })
})
