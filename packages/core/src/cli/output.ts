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

const WILDCARDS: ReadonlySet<string> = new Set(['', '::', '0.0.0.0'])

/**
 * The line printed once the server listens, as `python -m wsgiref.simple_server` prints it, plus
 * a URL to click: `localhost` for a wildcard address, the address itself (bracketed for IPv6)
 * otherwise.
 *
 * @example
 * ```ts
 * banner({ address: '::', port: 8000 }) // 'Serving HTTP on :: port 8000 (http://localhost:8000/) ...'
 * ```
 */
export function banner(
  address: Pick<AddressInfo, 'address' | 'port'>,
  suffix = '',
  scheme: 'http' | 'https' = 'http',
): string {
  const host = WILDCARDS.has(address.address)
    ? 'localhost'
    : address.address.includes(':')
      ? `[${address.address}]`
      : address.address
  const url = `${scheme}://${host}:${address.port}/`
  return `Serving ${scheme.toUpperCase()} on ${address.address || '0.0.0.0'} port ${address.port} (${url})${suffix} ...\n`
}
