import { fileURLToPath } from 'node:url'

import { describe, expect, it } from 'vitest'

import type { StartResponse, WSGIApplication } from '../types.ts'
import { setupTestingDefaults } from '../util.ts'
import { UsageError } from './args.ts'
import { loadApp, pickExport } from './load-app.ts'

const fixtures = fileURLToPath(new URL('../../test/fixtures/cli/', import.meta.url))

async function bodyOf(app: WSGIApplication): Promise<string> {
  const startResponse: StartResponse = () => () => undefined
  const body = await app(setupTestingDefaults({ SCRIPT_NAME: '', PATH_INFO: '/p' }), startResponse)
  let text = ''
  for await (const chunk of body) text += new TextDecoder().decode(chunk)
  return text
}

describe('loadApp(modulePath, exportName, cwd)', () => {
  it.each([
    ['app.mjs', undefined, 'esm default |/p'],
    ['./app.mjs', 'hello', 'esm hello |/p'],
    ['app.mjs', 'nested.deeper.app', 'esm nested |/p'],
    ['app.cjs', undefined, 'cjs module.exports /p'],
    ['app.cjs', 'admin', 'cjs admin /p'],
    ['named.cjs', 'api', 'cjs api'],
    ['named.cjs', 'hidden', 'cjs hidden'],
    ['transpiled.cjs', undefined, 'transpiled default'],
    ['async-factory.mjs', undefined, 'built'],
  ])('loads %s export %s', async (module, exportName, body) => {
    const { app, line } = await loadApp(module, exportName, fixtures)
    expect(await bodyOf(app)).toBe(body)
    expect(line).toMatch(/^serving \S+ as a gateway app$/)
  })

  it('resolves the path against the working directory', async () => {
    const { app } = await loadApp(
      'fixtures/cli/app.mjs',
      'hello',
      fileURLToPath(new URL('../../test/', import.meta.url)),
    )
    expect(await bodyOf(app)).toBe('esm hello |/p')
  })

  it.each([
    ['missing.mjs', undefined, /cannot find module 'missing.mjs' \(no file at .*missing\.mjs\)/],
    ['.', undefined, /cannot find module '.'/],
    [
      'app.mjs',
      'nope',
      /module 'app.mjs' has no export 'nope' \(it exports: default, hello, nested, notAnApp\)/,
    ],
    ['app.mjs', 'nested.nope', /module 'app.mjs' has no export 'nested.nope'/],
    ['app.mjs', 'notAnApp', /cannot serve app.mjs:notAnApp: 42 is not an application/],
    [
      'no-default.mjs',
      undefined,
      /module 'no-default.mjs' has no default export; name one as no-default.mjs:<export> \(it exports: onlyNamed\)/,
    ],
    ['named.cjs', undefined, /cannot serve named.cjs: <Object> is not an application/],
  ])('rejects %s export %s with a UsageError', async (module, exportName, message) => {
    const promise = loadApp(module, exportName, fixtures)
    await expect(promise).rejects.toThrow(UsageError)
    await expect(loadApp(module, exportName, fixtures)).rejects.toThrow(message)
  })

  it('passes on the error a module throws while it loads', async () => {
    const promise = loadApp('throws.mjs', undefined, fixtures)
    await expect(promise).rejects.toThrow('boom while loading the fixture')
    await expect(loadApp('throws.mjs', undefined, fixtures)).rejects.not.toThrow(UsageError)
  })
})

describe('pickExport(ns, exportName, label)', () => {
  const app: WSGIApplication = () => []

  it('prefers a real named export over a property of module.exports', () => {
    const other: WSGIApplication = () => []
    expect(pickExport({ a: app, default: { a: other } }, 'a', 'm')).toBe(app)
  })

  it('keeps a default export that is a function even when it has a default property', () => {
    const fn = Object.assign((() => []) as WSGIApplication, { default: app })
    expect(pickExport({ default: fn }, undefined, 'm')).toBe(fn)
  })

  it("says 'nothing' when a module exports nothing", () => {
    expect(() => pickExport({}, undefined, 'm')).toThrow('(it exports: nothing)')
  })
})
