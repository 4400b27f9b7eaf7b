/**
 * The real `wsgi` command in a test: the built `@wsgi/core` bin run with plain `node`, as a user
 * runs it, so that what it imports (an adapter's `dist`, the framework) is what a user's project
 * would load. Used by the adapters' end-to-end tests of `wsgi serve`.
 *
 * @module
 */

import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'

import { onTestFinished } from 'vitest'

const require = createRequire(import.meta.url)

/** The folder of `@wsgi/core` (the workspace package). */
export const coreDir: string = dirname(require.resolve('@wsgi/core/package.json'))

/** The `wsgi` executable of the build. */
export const wsgiBin: string = join(coreDir, 'dist', 'bin', 'wsgi.js')

// Every source file of a package's build, and the JavaScript tsc emits for it.
function* sources(pkg: string, dir = join(pkg, 'src')): Generator<[string, string]> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* sources(pkg, path)
    else if (entry.name.endsWith('.ts') && !/\.test(-d)?\.ts$/.test(entry.name)) {
      yield [path, join(pkg, 'dist', relative(join(pkg, 'src'), path)).replace(/\.ts$/, '.js')]
    }
  }
}

/**
 * Runs `tsc -b` for the workspace when the build of a package in `packageDirs` (core always) is
 * missing or older than its sources: the command runs the built JavaScript, not the sources.
 */
export function buildIfStale(...packageDirs: string[]): void {
  const stale = [coreDir, ...packageDirs].some((pkg) => {
    for (const [source, output] of sources(pkg)) {
      if (!existsSync(output) || statSync(output).mtimeMs < statSync(source).mtimeMs) return true
    }
    return false
  })
  if (!stale) return
  try {
    execFileSync('pnpm', ['exec', 'tsc', '-b'], { cwd: join(coreDir, '..', '..'), stdio: 'pipe' })
  } catch {
    // tsc -b still emits when some other file has a type error; the test that runs decides.
  }
}

/** A `wsgi` process and what it printed so far. */
export interface WsgiProcess {
  readonly child: ChildProcess
  readonly output: { stdout: string; stderr: string }
  readonly exited: Promise<number | null>
}

/**
 * The environment of the test run without `NODE_PATH`: pnpm's bin shims (the `vitest` of
 * `pnpm test`) set it to the workspace's hoisted packages, where every `@wsgi/*` package and
 * `tsx` would be found; a user's shell has no such thing.
 */
export function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env['NODE_PATH']
  return env
}

/** Starts `wsgi <args>` in `cwd`. The test that starts it kills it when it ends. */
export function runWsgi(
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv },
): WsgiProcess {
  const child = spawn(process.execPath, [wsgiBin, ...args], {
    cwd: options.cwd,
    env: options.env ?? userEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const output = { stdout: '', stderr: '' }
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output.stdout += text))
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output.stderr += text))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code)
    }),
  )
  return { child, output, exited }
}

/**
 * Starts `wsgi serve --port 0 <args>` and resolves with the port once it printed its banner;
 * rejects with what it wrote to stderr when it exits first.
 */
export async function serveWsgi(
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv },
): Promise<WsgiProcess & { readonly port: number }> {
  const running = runWsgi(['serve', '--port', '0', ...args], options)
  const { child, output, exited } = running
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (): void => {
      const match = /port (\d+)/.exec(output.stdout)
      if (match) {
        child.stdout?.off('data', onData)
        resolve(Number(match[1]))
      }
    }
    child.stdout?.on('data', onData)
    void exited.then((code) => {
      reject(new Error(`wsgi exited with ${code} before listening:\n${output.stderr}`))
    })
  })
  return { ...running, port }
}
