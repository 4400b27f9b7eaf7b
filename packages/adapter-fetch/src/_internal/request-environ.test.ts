import { describe, expect, it } from 'vitest'

import { normalizeScriptName, splitPath } from './request-environ.ts'

describe('normalizeScriptName(scriptName)', () => {
  it.each([
    [undefined, ''],
    ['', ''],
    ['/', ''],
    ['/legacy/', '/legacy'],
    ['legacy', '/legacy'],
    ['/a/b//', '/a/b'],
  ])('normalises %j to %j', (given, expected) => {
    expect(normalizeScriptName(given)).toBe(expected)
  })
})

describe('splitPath(rawPath, search, scriptName)', () => {
  it.each([
    ['/x/y', '', '', { SCRIPT_NAME: '', PATH_INFO: '/x/y', REQUEST_URI: '/x/y' }],
    ['/app/x', '?q', '/app', { SCRIPT_NAME: '/app', PATH_INFO: '/x', REQUEST_URI: '/app/x?q' }],
    ['/app', '', '/app', { SCRIPT_NAME: '/app', PATH_INFO: '', REQUEST_URI: '/app' }],
    ['/x', '?q', '/app', { SCRIPT_NAME: '/app', PATH_INFO: '/x', REQUEST_URI: '/app/x?q' }],
    ['/appx', '', '/app', { SCRIPT_NAME: '/app', PATH_INFO: '/appx', REQUEST_URI: '/app/appx' }],
    [
      '/caf%C3%A9/a%20b',
      '',
      '/caf\xc3\xa9',
      { SCRIPT_NAME: '/caf\xc3\xa9', PATH_INFO: '/a b', REQUEST_URI: '/caf%C3%A9/a%20b' },
    ],
  ])('splits %j%j at %j', (rawPath, search, scriptName, expected) => {
    expect(splitPath(rawPath, search, scriptName)).toEqual(expected)
  })
})
