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

/**
 * The header fields of `headers` (any form `_storeHeader` takes) as one flat list, name then
 * value: a flat list is returned as it is, the others make one array.
 */
function flatFields(table: unknown, headers: HeaderArg): readonly unknown[] {
  if (headers === null || headers === undefined) return []
  if (Array.isArray(headers)) {
    if (headers.length === 0 || !Array.isArray(headers[0])) return headers
    const fields: unknown[] = []
    for (const entry of headers as [string, unknown][]) fields.push(entry[0], entry[1])
    return fields
  }
  const fields: unknown[] = []
  if (headers === table) {
    // Node's table: { lowercased name: [name, value] }.
    for (const entry of Object.values(headers as Record<string, [string, unknown]>)) {
      fields.push(entry[0], entry[1])
    }
  } else {
    const record = headers as Record<string, unknown>
    for (const key of Object.keys(record)) fields.push(key, record[key])
  }
  return fields
}

/** What a head's names say (see {@link HeadScan.field}). */
class HeadScan {
  // Names a Connection header lists: hop-by-hop too.
  named: Set<string> | undefined = undefined
  // A field is dropped: the head is rewritten.
  change = false
  length = false
  contentLength = false
  date = false
  server = false
  readonly res: NodeResponse

  constructor(res: NodeResponse) {
    this.res = res
  }

  /** Note one field: `lower` is `name` lower-cased (Node's table key), or undefined. */
  field(name: string, lower: string | undefined, value: unknown): void {
    if (isDropped(lower ?? name, true)) this.change = true
    // Only a name of one of these lengths is one of the names below: lower-case no other.
    const size = name.length
    if (size !== 4 && size !== 6 && size !== 7 && size !== 10 && size !== 14 && size !== 17) return
    const key = lower ?? name.toLowerCase()
    if (key === 'content-length') {
      this.length = true
      this.contentLength = true
    } else if (key === 'trailer') this.length = true
    else if (key === 'transfer-encoding') {
      // The synthetic response framed it itself: no length there, so the server chunks it.
      this.length = true
      this.res._contentLength = null
    } else if (key === 'date') this.date = true
    else if (key === 'server') this.server = true
    else if (key === 'connection') this.named = connectionNamed(String(value), this.named)
  }

  /**
   * Every field of `headers`. Node's own table is a dictionary (a null-prototype object), slow
   * to walk with `for...in`: its keys are taken once, already lower-cased, and no array of
   * fields is made (this runs for every response on the pass-through).
   */
  fields(table: unknown, headers: HeaderArg): void {
    if (headers === null || headers === undefined) return
    if (headers === table) {
      const record = headers as Record<string, [string, unknown]>
      for (const key of Object.keys(record)) {
        const entry = record[key]
        if (entry !== undefined) this.field(entry[0], key, entry[1])
      }
      return
    }
    const fields = flatFields(table, headers)
    for (let i = 0; i < fields.length; i += 2)
      this.field(fields[i] as string, undefined, fields[i + 1])
  }
}

/** How a head that goes out with the end of its response ends (see {@link storeHead}). */
export interface HeadEnd {
  /** The handler's `Connection: close` for a body too large to drain. */
  readonly close: boolean
  /**
   * No body byte follows (a head Node would chunk, or a HEAD response's): the handler's
   * `Content-Length: 0`, unless the head has a length.
   */
  readonly empty: boolean
}

const OPEN: HeadEnd = { close: false, empty: false }

/**
 * Hand Node's own `_storeHeader` (`store`, called on `res`) the head as the synthetic path
 * writes it: `Server` first (unless the listener sent one), the listener's headers without the
 * hop-by-hop ones, and an implicit `Content-Length` (Node's, for `res.end(data)`) after `Date`,
 * where the synthetic path finds it. For a head that goes out with the end of the response
 * (`ending`), the handler's `Content-Length: 0` (wsgiref's `finish_content`) and
 * `Connection: close` come last, after `Date`. `headers` itself goes to Node when only the
 * `Server` line changes.
 */
export function storeHead(
  res: NodeResponse,
  store: NodeResponse['_storeHeader'],
  firstLine: string,
  headers: HeaderArg,
  software: string | undefined,
  ending: HeadEnd = OPEN,
): void {
  const close = ending.close
  const table =
    kOutHeaders === undefined ? undefined : (res as unknown as Record<symbol, unknown>)[kOutHeaders]
  const scan = new HeadScan(res)
  scan.fields(table, headers)
  const named = scan.named
  const empty = ending.empty && !scan.contentLength
  const line =
    software === undefined || scan.server ? firstLine : `${firstLine}Server: ${software}\r\n`
  const implicitLength = !scan.length && res._hasBody && typeof res._contentLength === 'number'
  if (!scan.change && !close && !empty && named === undefined && !implicitLength) {
    storeDated(res, store, line, headers)
    return
  }
  const fields = flatFields(table, headers)
  const flat: unknown[] = []
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i] as string
    if (isDropped(name, true) || named?.has(name.toLowerCase()) === true) continue
    flat.push(name, fields[i + 1])
  }
  if ((implicitLength || close || empty) && !scan.date && res.sendDate) {
    flat.push('Date', new Date().toUTCString())
  }
  if (implicitLength) flat.push('Content-Length', String(res._contentLength))
  else if (empty) flat.push('Content-Length', '0')
  if (close) flat.push('Connection', 'close')
  storeDated(res, store, line, flat)
}

/**
 * Node's `_storeHeader` with `Date` on: a listener that turned `sendDate` off still gets the
 * server's `Date` after its headers, where the server adds it on the synthetic path (an origin
 * server sends one, as wsgiref's does when the app sent none).
 */
function storeDated(
  res: NodeResponse,
  store: NodeResponse['_storeHeader'],
  line: string,
  headers: HeaderArg,
): void {
  res.sendDate = true
  store.call(res, line, headers)
}
