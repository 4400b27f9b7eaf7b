/**
 * The response head as Node renders it (`res._header`), read back for `fromNodeListener`: the
 * status line and header lines become a gateway status and header list, without the hop-by-hop
 * headers that must not cross into the gateway.
 *
 * Parsed once per response, from a string Node built itself: plain string scanning, no regular
 * expression.
 *
 * @module
 */

import type { Buffer } from 'node:buffer'

import type { HeaderList, Status } from '../types.ts'
import { parseDecimal } from './synthetic-socket.ts'

/** Status and headers of a response, ready for `startResponse`. */
export interface ResponseHead {
  readonly status: Status
  readonly headers: HeaderList
  /** The value of the head's (last) `Content-Length` line as a number; -1 without one. */
  readonly contentLength: number
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailers',
  'transfer-encoding',
  'upgrade',
])

/** Splits `'Name: value'` lines (Node writes exactly one `': '` after the name) into tuples. */
function parseFields(lines: string[], start: number): HeaderList {
  const fields: HeaderList = []
  for (let i = start; i < lines.length; i++) {
    const line = lines[i] ?? ''
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const valueStart = line.charCodeAt(colon + 1) === 0x20 ? colon + 2 : colon + 1
    fields.push([line.slice(0, colon), line.slice(valueStart)])
  }
  return fields
}

/**
 * Parses the head Node rendered (`res._header`) into a gateway status and header list, dropping
 * the hop-by-hop headers (and `Trailer` unless `keepTrailer`).
 */
export function parseHead(header: string, keepTrailer: boolean): ResponseHead {
  // One pass over the string, line by line (no split into an array of lines): this runs for
  // every response of every bridged listener.
  let lineEnd = header.indexOf('\r\n')
  if (lineEnd < 0) lineEnd = header.length
  // 'HTTP/1.1 200 OK': Node always writes a three-digit code after 'HTTP/1.1 '.
  const status = header.slice(9, lineEnd) as Status
  const headers: HeaderList = []
  let named: Set<string> | undefined
  let contentLength = -1
  for (let pos = lineEnd + 2; pos < header.length; pos = lineEnd + 2) {
    lineEnd = header.indexOf('\r\n', pos)
    if (lineEnd < 0) lineEnd = header.length
    const colon = header.indexOf(':', pos)
    if (colon <= pos || colon > lineEnd) continue
    // Node writes exactly one space after the colon.
    const valueStart = header.charCodeAt(colon + 1) === 0x20 ? colon + 2 : colon + 1
    const name = header.slice(pos, colon)
    const value = valueStart < lineEnd ? header.slice(valueStart, lineEnd) : ''
    if (name.length === 10 && name.toLowerCase() === 'connection')
      named = connectionNamed(value, named)
    else if (name.length === 14 && name.toLowerCase() === 'content-length')
      contentLength = parseDecimal(value)
    if (!isDropped(name, keepTrailer)) headers.push([name, value])
  }
  if (named === undefined) return { status, headers, contentLength }
  // Headers the Connection header names are hop-by-hop too, wherever they stand.
  return {
    status,
    headers: headers.filter((field) => !named.has(field[0].toLowerCase())),
    contentLength,
  }
}

/** The extra header names a `Connection` value lists, added to `named`. */
export function connectionNamed(
  value: string,
  named: Set<string> | undefined,
): Set<string> | undefined {
  // What Node itself writes, unless the listener set its own Connection header.
  if (value === 'keep-alive' || value === 'close') return named
  for (const token of value.split(',')) {
    const lower = token.trim().toLowerCase()
    // Node always says keep-alive or close; only other tokens name extra headers to drop.
    if (lower !== 'close' && !HOP_BY_HOP.has(lower) && lower !== '')
      (named ??= new Set()).add(lower)
  }
  return named
}

/** True for a hop-by-hop name (and `Trailer` unless kept); lower-cases only plausible names. */
export function isDropped(name: string, keepTrailer: boolean): boolean {
  const length = name.length
  // te, upgrade/trailer, trailers, connection/keep-alive, transfer-encoding, or proxy-*.
  if (length !== 2 && length !== 7 && length !== 8 && length !== 10 && length !== 17) {
    return length > 6 && (name.charCodeAt(0) | 0x20) === 0x70 && isProxyHeader(name)
  }
  const lower = name.toLowerCase()
  if (HOP_BY_HOP.has(lower)) return true
  if (lower === 'trailer') return !keepTrailer
  return lower.startsWith('proxy-')
}

function isProxyHeader(name: string): boolean {
  return name.slice(0, 6).toLowerCase() === 'proxy-'
}

/** Parses a trailer section (`'Name: value\r\n'` lines) into a header list. */
export function parseTrailers(section: string): HeaderList {
  return parseFields(section.split('\r\n'), 0)
}

const STATUS_DIGIT = 9 // 'HTTP/1.1 '.length

/** True when `chunk` is an interim 1xx response written raw (`writeContinue`, ...). */
export function isInterimWrite(chunk: Buffer | string): boolean {
  const c = typeof chunk === 'string' ? chunk.charCodeAt(STATUS_DIGIT) : chunk[STATUS_DIGIT]
  return c === 0x31
}

/**
 * True when `chunk` starts with the rendered head. Node writes the head in front of the first body
 * write, so only an interim 1xx response written raw before it can come first; those are told
 * apart by the status digit, and only a final 1xx head needs the full comparison.
 */
export function isHeadWrite(chunk: Buffer | string, header: string): boolean {
  if (chunk.length < header.length) return false
  if (!isInterimWrite(chunk)) return true
  if (header.charCodeAt(STATUS_DIGIT) !== 0x31) return false
  const text = typeof chunk === 'string' ? chunk : chunk.toString('latin1', 0, header.length)
  return text.startsWith(header)
}
