import { describe, expect, it } from 'vitest'

import { USAGE, UsageError, parseCommandLine, splitModuleSpec } from './args.ts'

const defaults = {
  module: undefined,
  exportName: undefined,
  host: '',
  port: 8000,
  workers: undefined,
  validate: false,
  accessLog: true,
  inputLimit: undefined,
  lightResponse: true,
  kind: undefined,
  python: false,
  reload: false,
  certfile: undefined,
  keyfile: undefined,
}

describe('parseCommandLine(argv)', () => {
  it.each([
    [['--help'], { kind: 'help' }],
    [['-h'], { kind: 'help' }],
    [['serve', '--help'], { kind: 'help' }],
    [['serve', '--port', 'nope', '-h'], { kind: 'help' }],
    [['--version'], { kind: 'version' }],
    [['-V'], { kind: 'version' }],
  ])('reads %j as %j', (argv, command) => {
    expect(parseCommandLine(argv)).toEqual(command)
  })

  it.each([
    [['serve'], {}],
    [['serve', 'app.mjs'], { module: 'app.mjs' }],
    [['serve', './app.mjs:hello'], { module: './app.mjs', exportName: 'hello' }],
    [['serve', 'app.cjs:a.b.c'], { module: 'app.cjs', exportName: 'a.b.c' }],
    [['serve', '--host', '127.0.0.1'], { host: '127.0.0.1' }],
    [['serve', '--host='], { host: '' }],
    [['serve', '--host', '::1', '-p', '0'], { host: '::1', port: 0 }],
    [['serve', '--port=65535'], { port: 65535 }],
    [['serve', '--workers', '2'], { workers: 2 }],
    [['serve', '-w', '4', '--validate'], { workers: 4, validate: true }],
    [['serve', '--no-access-log'], { accessLog: false }],
    [['serve', '--input-limit', '1048576'], { inputLimit: 1048576 }],
    [['serve', 'app.mjs', '--no-light-response'], { module: 'app.mjs', lightResponse: false }],
    [['serve', 'app.js', '--kind', 'koa'], { module: 'app.js', kind: 'koa' }],
    [['serve', 'pkg.mod:app', '--reload'], { module: 'pkg.mod', exportName: 'app', reload: true }],
    [
      ['serve', 'pkg.wsgi:app', '--python'],
      { module: 'pkg.wsgi', exportName: 'app', python: true },
    ],
    [['serve', 'site/app.py:app'], { module: 'site/app.py', exportName: 'app', python: true }],
    [['serve', 'app.py'], { module: 'app.py', python: true }],
    [
      ['serve', '--certfile', 'c.pem', '--keyfile', 'k.pem'],
      { certfile: 'c.pem', keyfile: 'k.pem' },
    ],
    [
      ['serve', '--validate', 'x.mjs:app', '--port', '9000'],
      { module: 'x.mjs', exportName: 'app', port: 9000, validate: true },
    ],
  ])('reads %j as serve with %j', (argv, options) => {
    expect(parseCommandLine(argv)).toEqual({ kind: 'serve', options: { ...defaults, ...options } })
  })

  it.each([
    [[], /missing command/],
    [['run'], /unknown command 'run'/],
    [['serve', 'a.mjs', 'b.mjs'], /unexpected argument 'b.mjs'/],
    [['serve', '--port'], /argument missing/],
    [['serve', '--port', '80a'], /--port must be an integer from 0 to 65535 \(got '80a'\)/],
    [['serve', '--port', '65536'], /--port must be an integer from 0 to 65535/],
    [['serve', '--port', '-1'], /--port/],
    [['serve', '--workers', '0'], /--workers must be an integer from 1 to 1024 \(got '0'\)/],
    [['serve', '--workers', '1.5'], /--workers/],
    [['serve', '--input-limit', '1e6'], /--input-limit must be an integer from 0 to/],
    [['serve', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['serve', '--validate=yes'], /does not take an argument/],
    [['serve', ':app'], /missing module path/],
    [['serve', 'app.mjs:1st'], /'1st' is not an export name/],
    [['serve', '--kind', 'django'], /--kind must be one of gateway, express, koa, fastify/],
    [['serve', '--certfile', 'c.pem'], /--certfile and --keyfile go together/],
    [['serve', '--python'], /--python needs a module:app/],
    [['serve', 'app.py:app', '--kind', 'koa'], /--python and --kind exclude each other/],
  ])('rejects %j with a UsageError', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError)
    expect(() => parseCommandLine(argv)).toThrow(message)
  })
})

describe('splitModuleSpec(spec)', () => {
  it.each([
    ['app.mjs', ['app.mjs', undefined]],
    ['app.mjs:default', ['app.mjs', 'default']],
    ['dir/app.js:$app_1', ['dir/app.js', '$app_1']],
    ['C:\\srv\\app.js', ['C:\\srv\\app.js', undefined]],
    ['C:\\srv\\app.js:api', ['C:\\srv\\app.js', 'api']],
    ['./a:b/app.js', ['./a:b/app.js', undefined]],
  ])('splits %j into %j', (spec, parts) => {
    expect(splitModuleSpec(spec)).toEqual(parts)
  })
})

describe('USAGE', () => {
  it('names every option', () => {
    for (const flag of [
      '--host',
      '--port',
      '--workers',
      '--validate',
      '--kind',
      '--reload',
      '--certfile',
      '--keyfile',
      '--help',
      '--version',
    ]) {
      expect(USAGE).toContain(flag)
    }
  })
})
