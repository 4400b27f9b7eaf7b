/**
 * The head a listener renders on the pass-through of `fromNodeListener` (`./pass-through.ts`),
 * rewritten into the bytes the synthetic path writes: Node's `_storeHeader` arguments in any of
 * their forms, the server's `Server` line, the hop-by-hop headers dropped, and what the handler
 * adds to a head that goes out with the end of its response.
 *
 * @module
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'

import { connectionNamed, isDropped } from './synthetic-head.ts'

export type HeaderArg = OutgoingHttpHeaders | readonly unknown[] | null | undefined

export interface NodeResponse extends ServerResponse {
  _storeHeader(firstLine: string, headers: HeaderArg): void
  _header: string | null
  _headerSent: boolean
  _hasBody: boolean
  _contentLength: number | null
  chunkedEncoding: boolean
}

// Node's own header table (`res[kOutHeaders]`): { lowercased name: [name, value] }.
let kOutHeaders: symbol | undefined

/** Find Node's header-table symbol on `res` (once). */
export function findOutHeaders(res: ServerResponse): void {
  kOutHeaders ??= Object.getOwnPropertySymbols(res).find(
    (symbol) => symbol.description === 'kOutHeaders',
  )
}

/** The header fields of `headers` (any form `_storeHeader` takes), as name/value pairs. */
function fieldsOf(res: NodeResponse, headers: HeaderArg): [string, unknown][] {
  const fields: [string, unknown][] = []
  if (headers === null || headers === undefined) return fields
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const entry of headers as [string, unknown][]) fields.push([entry[0], entry[1]])
    } else {
      for (let i = 0; i < headers.length; i += 2) {
        fields.push([headers[i] as string, headers[i + 1]])
      }
    }
    return fields
  }
  const table =
    kOutHeaders === undefined ? undefined : (res as unknown as Record<symbol, unknown>)[kOutHeaders]
  const record = headers as Record<string, unknown>
  for (const key of Object.keys(record)) {
    const value = record[key]
    if (headers === table) {
      const entry = value as [string, unknown]
      fields.push([entry[0], entry[1]])
    } else {
      fields.push([key, value])
    }
  }
  return fields
}

/** How a head that goes out with the end of its response ends (see {@link rewriteHead}). */
export interface HeadEnd {
  /** The handler's `Connection: close` for a body too large to drain. */
  readonly close: boolean
  /** No body byte follows a head Node would chunk: the handler's `Content-Length: 0` instead. */
  readonly empty: boolean
}

const OPEN: HeadEnd = { close: false, empty: false }

/**
 * The head as the synthetic path writes it: `Server` first (unless the listener sent one), the
 * listener's headers without the hop-by-hop ones, and an implicit `Content-Length` (Node's, for
 * `res.end(data)`) after `Date`, where the synthetic path finds it. For a head that goes out
 * with the end of the response (`ending`), the handler's `Content-Length: 0` (wsgiref's
 * `finish_content`) and `Connection: close` come last, after `Date`. Returns the first line and
 * the headers to hand to Node (`headers` itself when only the `Server` line changes).
 */
export function rewriteHead(
  res: NodeResponse,
  firstLine: string,
  headers: HeaderArg,
  software: string | undefined,
  ending: HeadEnd = OPEN,
): [string, HeaderArg] {
  const { close, empty } = ending
  const fields = fieldsOf(res, headers)
  let named: Set<string> | undefined
  let change = close || empty
  let length = false
  let date = false
  let server = false
  for (const [name, value] of fields) {
    const lower = name.toLowerCase()
    if (lower === 'content-length' || lower === 'trailer') length = true
    else if (lower === 'transfer-encoding') {
      // The synthetic response framed it itself: no length there, so the server chunks it.
      length = true
      res._contentLength = null
    } else if (lower === 'date') date = true
    else if (lower === 'server') server = true
    else if (lower === 'connection') named = connectionNamed(String(value), named)
    if (isDropped(name, true)) change = true
  }
  const line = software === undefined || server ? firstLine : `${firstLine}Server: ${software}\r\n`
  const implicitLength = !length && res._hasBody && typeof res._contentLength === 'number'
  if (!change && named === undefined && !implicitLength) return [line, headers]
  const flat: unknown[] = []
  for (const [name, value] of fields) {
    if (isDropped(name, true) || named?.has(name.toLowerCase()) === true) continue
    flat.push(name, value)
  }
  if ((implicitLength || close || empty) && !date && res.sendDate) {
    flat.push('Date', new Date().toUTCString())
  }
  if (implicitLength) flat.push('Content-Length', String(res._contentLength))
  else if (empty) flat.push('Content-Length', '0')
  if (close) flat.push('Connection', 'close')
  return [line, flat]
}
