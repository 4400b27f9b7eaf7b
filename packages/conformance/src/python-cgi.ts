/**
 * Python's `http.server --cgi` as the CGI server of a test: a scratch folder with a `cgi-bin/`
 * holding the given scripts, the server on 127.0.0.1 at a port it picks, its log kept, and a
 * `stop()` that ends it and removes the folder.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A running `http.server --cgi`. */
export interface PythonCgi {
  /** `http://127.0.0.1:<port>/cgi-bin`: a script's URL is `${base}/<name>`. */
  readonly base: string
  /** What the server (and the scripts, whose stderr is the server's) wrote to stderr so far. */
  log(): string
  /** End the server and remove its folder. */
  stop(): Promise<void>
}

/**
 * Start `python3 -m http.server --cgi` over a new folder whose `cgi-bin/` holds `scripts`
 * (file name → source; each made executable).
 */
export async function startPythonCgi(
  scripts: Readonly<Record<string, string>>,
): Promise<PythonCgi> {
  const dir = mkdtempSync(join(tmpdir(), 'wsgi-cgi-'))
  // Run as root, http.server runs scripts as `nobody`: everything it needs must be readable.
  chmodSync(dir, 0o755)
  const bin = join(dir, 'cgi-bin')
  mkdirSync(bin, { mode: 0o755 })
  for (const [name, source] of Object.entries(scripts)) {
    const script = join(bin, name)
    writeFileSync(script, source)
    chmodSync(script, 0o755)
  }
  const proc = spawn('python3', ['-u', '-m', 'http.server', '--cgi', '--bind', '127.0.0.1', '0'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let serverLog = ''
  proc.stderr.on('data', (chunk: Buffer) => {
    serverLog += chunk.toString('utf8')
  })
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((resolve) => proc.once('exit', resolve))
      proc.kill('SIGTERM')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const port = await new Promise<string>((resolve, reject) => {
      let out = ''
      proc.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8')
        const match = /port (\d+)/.exec(out)
        if (match?.[1] !== undefined) resolve(match[1])
      })
      proc.on('error', reject)
      proc.on('exit', (code) => {
        reject(new Error(`http.server exited (${code}): ${serverLog}`))
      })
    })
    return { base: `http://127.0.0.1:${port}/cgi-bin`, log: () => serverLog, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
