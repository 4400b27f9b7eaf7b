import { describe, expect, it } from 'vitest'

import { utf8 } from './utf8.ts'

const encoder = new TextEncoder()

describe('utf8(text)', () => {
  it.each([
    ['empty', ''],
    ['short ASCII', 'Hello, World!'],
    ['ASCII at the length limit', 'a'.repeat(64)],
    ['ASCII past it', 'a'.repeat(65)],
    ['DEL', '\u007f'],
    ['latin-1', 'caf\u00e9'],
    ['beyond the BMP', 'ok \u{1f600}'],
    ['a lone surrogate', 'a\ud800b'],
    ['non-ASCII past the limit', '\u00e9'.repeat(100)],
  ])('gives what TextEncoder gives: %s', (_what, text) => {
    const bytes = utf8(text)
    expect(bytes).toBeInstanceOf(Uint8Array)
    expect([...bytes]).toEqual([...encoder.encode(text)])
  })
})
