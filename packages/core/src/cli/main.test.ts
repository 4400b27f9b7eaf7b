import { readFileSync } from 'node:fs'

import { describe, expect, it } from 'vitest'

import { USAGE } from './args.ts'
import { main, version } from './main.ts'
import type { CLIOutput } from './output.ts'

function capture(): CLIOutput & { out: string; err: string } {
  const result = {
    out: '',
    err: '',
    stdout: (text: string) => {
      result.out += text
    },
    stderr: (text: string) => {
      result.err += text
    },
  }
  return result
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string
}

describe('main(argv, out)', () => {
  it('prints the usage on stdout and resolves 0 for --help', async () => {
    const io = capture()
    expect(await main(['--help'], io)).toBe(0)
    expect(io.out).toBe(USAGE)
    expect(io.err).toBe('')
  })

  it("prints @wsgi/core's version and resolves 0 for --version", async () => {
    const io = capture()
    expect(await main(['--version'], io)).toBe(0)
    expect(io.out).toBe(`${pkg.version}\n`)
    expect(version()).toBe(pkg.version)
  })

  it.each([
    [['serve', '--port', '99999'], 'option --port must be an integer from 0 to 65535'],
    [['bogus'], "unknown command 'bogus'"],
    [['serve', 'no/such/module.mjs'], "cannot find module 'no/such/module.mjs'"],
  ])('prints a usage error on stderr and resolves 2 for %j', async (argv, message) => {
    const io = capture()
    expect(await main(argv, io)).toBe(2)
    expect(io.out).toBe('')
    expect(io.err.startsWith(`wsgi: error: ${message}`)).toBe(true)
    expect(io.err.endsWith("\nTry 'wsgi --help' for more information.\n")).toBe(true)
  })
})
