/**
 * What the `wsgi` command prints: where output goes, and the line announcing the server.
 *
 * @module
 */

import type { AddressInfo } from 'node:net'

/** Where the command writes: the process streams, or a test's buffers. */
export interface CLIOutput {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
}

/**
 * The {@link banner} line of an HTTPS server (`--certfile`): the same line, with HTTPS for HTTP
 * and `https://` URLs.
 */
export function httpsBanner(line: string): string {
  return line.replace('Serving HTTP ', 'Serving HTTPS ').replaceAll('http://', 'https://')
}

const WILDCARDS: ReadonlySet<string> = new Set(['', '::', '0.0.0.0'])

/**
 * The line printed once the server listens, as `python -m wsgiref.simple_server` prints it, plus
 * a URL to click: the address itself (bracketed for IPv6), or for a wildcard address, a note that
 * every interface listens and a `localhost` URL (a bare `http://localhost:8000/` read as if only
 * localhost were served).
 *
 * @example
 * ```ts
 * banner({ address: '::', port: 8000 })
 * // 'Serving HTTP on :: port 8000 (every interface; open http://localhost:8000/) ...'
 * ```
 */
export function banner(address: Pick<AddressInfo, 'address' | 'port'>, suffix = ''): string {
  const url = WILDCARDS.has(address.address)
    ? `every interface; open http://localhost:${address.port}/`
    : address.address.includes(':')
      ? `http://[${address.address}]:${address.port}/`
      : `http://${address.address}:${address.port}/`
  return `Serving HTTP on ${address.address || '0.0.0.0'} port ${address.port} (${url})${suffix} ...\n`
}
