/**
 * `staticFiles(app, { '/static': dir })`: gateway middleware that serves files from directories
 * under URL prefixes and passes every other request to `app`. What Werkzeug's
 * `SharedDataMiddleware` and Rack's `Rack::Static` give their users.
 *
 * Files stream in blocks through `wsgi.file_wrapper` (or a `FileWrapper` when the server offers
 * none), with `ETag`, `Last-Modified`, conditional requests (304) and single byte ranges (206,
 * 416). Paths are checked segment by segment and resolved with `fs.realpath`, so neither `..`
 * (however encoded) nor a symlink can reach outside a directory. Uses `node:fs`.
 *
 * @module
 */
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { extname, resolve } from 'node:path'

import { describe, invalidArgType } from '../errors.ts'
import { formatDateTime } from '../handlers/base-handler.ts'
import type {
  HeaderList,
  ResponseBody,
  StartResponse,
  WSGIApplication,
  WSGIEnvironment,
} from '../types.ts'
import { FileWrapper } from '../util.ts'
import { quoteLatin1 } from '../_internal/latin1.ts'
import { evaluatePreconditions, parseRange } from './conditional.ts'
import { contentTypeOf } from './content-types.ts'
import { FileRange } from './file-range.ts'
import { locate, segmentsOf } from './locate.ts'
import type { Mount } from './locate.ts'

export { CONTENT_TYPES } from './content-types.ts'

/** Options of {@link staticFiles}. */
export interface StaticFilesOptions {
  /**
   * The file served for a directory (`'index.html'`), or `false` to serve none. Default `false`.
   * With an index, a directory asked for without its trailing `/` is redirected (301) to it.
   */
  readonly index?: string | false | undefined
  /** `ETag` from the size and modification time: `'weak'` (default), `'strong'` or `false`. */
  readonly etag?: 'weak' | 'strong' | false | undefined
  /** Send `Last-Modified` and honour `If-Modified-Since`. Default `true`. */
  readonly lastModified?: boolean | undefined
  /** A `Cache-Control` value for every file response (`'public, max-age=3600'`). Default none. */
  readonly cacheControl?: string | undefined
  /** Bytes per chunk read from a file. Default 65536. */
  readonly blockSize?: number | undefined
  /** More content types by extension, without the dot (`{ webmanifest: 'application/manifest+json' }`). */
  readonly contentTypes?: Readonly<Record<string, string>> | undefined
  /**
   * Pass requests for missing files to `app` (`true`, the default), or answer 404. Requests that
   * try to leave a directory always get a 404 (and a NUL byte a 400), never reach `app`.
   */
  readonly fallthrough?: boolean | undefined
  /** Files and directories whose name starts with `.`: `'ignore'` (default: not found) or `'allow'`. */
  readonly dotfiles?: 'ignore' | 'allow' | undefined
}

const encoder = new TextEncoder()
// O_NOFOLLOW: a file swapped for a symlink after realpath() is refused; O_NONBLOCK: a file
// swapped for a FIFO does not hang the open. Both are 0 where the platform has none.
const OPEN_FLAGS =
  constants.O_RDONLY |
  ((constants.O_NOFOLLOW as number | undefined) ?? 0) |
  ((constants.O_NONBLOCK as number | undefined) ?? 0)

function plain(
  startResponse: StartResponse,
  status: `${number} ${string}`,
  text: string,
  extra: HeaderList = [],
): ResponseBody {
  const body = encoder.encode(`${text}\n`)
  startResponse(status, [
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Content-Length', String(body.length)],
    ...extra,
  ])
  return [body]
}

/**
 * Serves files from directories under URL prefixes of `PATH_INFO`; every other request, and
 * every request for a missing file, goes to `app`.
 *
 * - Only `GET` and `HEAD` are served; other methods go to `app`.
 * - `ETag` and `Last-Modified` are sent; `If-None-Match` (weak comparison, `*` included) and,
 *   when there is none, `If-Modified-Since` answer 304.
 * - `Range: bytes=…` with one range gives 206 and `Content-Range`; a range past the end gives
 *   416; several ranges, or an `If-Range` that does not match, give the whole file (200).
 * - Content types come from a small table of common extensions (`options.contentTypes` adds to
 *   it); text types say `charset=utf-8`; anything else is `application/octet-stream`.
 * - Security: a segment `.` or `..` (also when it arrived percent-encoded: `%2e%2e`), a
 *   backslash, an empty segment (`//etc/passwd`), malformed UTF-8, or a path whose real location
 *   (symlinks resolved) lies outside the directory gives 404; a NUL byte gives 400.
 * - The file is opened once and closed exactly once: by the body's `close()`, or before
 *   returning when no body is sent (HEAD, 304, 416).
 *
 * @example
 * ```ts
 * import { staticFiles } from '@wsgi/core/static-files'
 *
 * const site = staticFiles(app, { '/static': './public', '/media': '/var/media' }, {
 *   cacheControl: 'public, max-age=3600',
 * })
 * ```
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` for a prefix that does not start with `/`, a
 *   directory that is not a string, or bad options.
 */
export function staticFiles(
  app: WSGIApplication,
  mounts: Readonly<Record<string, string>>,
  options: StaticFilesOptions = {},
): WSGIApplication {
  const table: Mount[] = []
  for (const [prefix, directory] of Object.entries(mounts)) {
    if (!prefix.startsWith('/')) {
      throw invalidArgType(`staticFiles prefix must start with '/' (got ${describe(prefix)})`)
    }
    if (typeof directory !== 'string' || directory === '') {
      throw invalidArgType(`staticFiles directory must be a path (got ${describe(directory)})`)
    }
    table.push({ prefix: prefix.replace(/\/+$/, ''), root: resolve(directory), real: undefined })
  }
  // The longest prefix wins ('/static/big' before '/static').
  table.sort((a, b) => b.prefix.length - a.prefix.length)
  const index = options.index ?? false
  if (index !== false && (typeof index !== 'string' || index === '' || /[/\\]/.test(index))) {
    throw invalidArgType(`staticFiles index must be a file name or false (got ${describe(index)})`)
  }
  const blockSize = options.blockSize ?? 65536
  if (!Number.isInteger(blockSize) || blockSize < 1) {
    throw invalidArgType(
      `staticFiles blockSize must be an integer >= 1 (got ${describe(blockSize)})`,
    )
  }
  const fallthrough = options.fallthrough ?? true
  const dotfiles = options.dotfiles ?? 'ignore'

  return async function staticFilesApp(environ, startResponse) {
    const method = environ.REQUEST_METHOD
    const pathInfo = environ.PATH_INFO ?? ''
    const mount = table.find(
      (m) => m.prefix === '' || pathInfo === m.prefix || pathInfo.startsWith(`${m.prefix}/`),
    )
    if (mount === undefined || (method !== 'GET' && method !== 'HEAD')) {
      return app(environ, startResponse)
    }
    const rest = pathInfo.slice(mount.prefix.length)
    const segments = segmentsOf(rest, dotfiles)
    if (segments === 'bad') return plain(startResponse, '400 Bad Request', 'Bad Request')
    if (segments === 'refused') return plain(startResponse, '404 Not Found', 'Not Found')
    const found =
      segments === 'hidden'
        ? ({ kind: 'missing' } as const)
        : await locate(mount, segments, rest.endsWith('/'), index)
    if (found.kind === 'outside') return plain(startResponse, '404 Not Found', 'Not Found')
    if (found.kind === 'slash') {
      const query = environ.QUERY_STRING ? `?${environ.QUERY_STRING}` : ''
      const location = `${quoteLatin1(`${environ.SCRIPT_NAME ?? ''}${pathInfo}/`)}${query}`
      return plain(startResponse, '301 Moved Permanently', 'Moved Permanently', [
        ['Location', location],
      ])
    }
    if (found.kind === 'missing') {
      return fallthrough
        ? app(environ, startResponse)
        : plain(startResponse, '404 Not Found', 'Not Found')
    }
    return serveFile(environ, startResponse, found.path, options, blockSize)
  }
}

async function serveFile(
  environ: WSGIEnvironment,
  startResponse: StartResponse,
  path: string,
  options: StaticFilesOptions,
  blockSize: number,
): Promise<ResponseBody> {
  const handle = await open(path, OPEN_FLAGS)
  try {
    const info = await handle.stat()
    if (!info.isFile()) {
      await handle.close()
      return plain(startResponse, '404 Not Found', 'Not Found')
    }
    const size = info.size
    const mtime = Math.floor(info.mtimeMs / 1000)
    const etagOption = options.etag ?? 'weak'
    const tag = `"${size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`
    const etag = etagOption === false ? undefined : etagOption === 'weak' ? `W/${tag}` : tag
    const lastModified = options.lastModified === false ? undefined : formatDateTime(mtime)
    const validators: HeaderList = []
    if (etag !== undefined) validators.push(['ETag', etag])
    if (lastModified !== undefined) validators.push(['Last-Modified', lastModified])
    if (options.cacheControl !== undefined) validators.push(['Cache-Control', options.cacheControl])

    const header = (name: string): string | undefined => {
      const value = environ[`HTTP_${name}`]
      return typeof value === 'string' ? value : undefined
    }
    const outcome = evaluatePreconditions({
      ifNoneMatch: header('IF_NONE_MATCH'),
      ifModifiedSince: options.lastModified === false ? undefined : header('IF_MODIFIED_SINCE'),
      etag,
      mtime,
    })
    if (outcome === 'not-modified') {
      await handle.close()
      startResponse('304 Not Modified', validators)
      return []
    }

    let start = 0
    let length = size
    let status: `${number} ${string}` = '200 OK'
    const headers: HeaderList = [
      ['Content-Type', contentTypeOf(extname(path), options.contentTypes)],
    ]
    const range = environ.REQUEST_METHOD === 'GET' ? header('RANGE') : undefined
    const ifRange = header('IF_RANGE')
    if (range !== undefined && ifRangeMatches(ifRange, etag, lastModified)) {
      const parsed = parseRange(range, size)
      if (parsed === 'unsatisfiable') {
        await handle.close()
        return plain(startResponse, '416 Range Not Satisfiable', 'Range Not Satisfiable', [
          ['Content-Range', `bytes */${size}`],
          ['Accept-Ranges', 'bytes'],
        ])
      }
      if (parsed !== undefined) {
        status = '206 Partial Content'
        start = parsed.start
        length = parsed.end - parsed.start + 1
        headers.push(['Content-Range', `bytes ${parsed.start}-${parsed.end}/${size}`])
      }
    }
    headers.push(['Content-Length', String(length)], ['Accept-Ranges', 'bytes'], ...validators)
    startResponse(status, headers)
    if (environ.REQUEST_METHOD === 'HEAD') {
      await handle.close()
      return []
    }
    const file = new FileRange(handle, start, length)
    const wrapper = environ['wsgi.file_wrapper']
    return typeof wrapper === 'function'
      ? wrapper(file, blockSize)
      : new FileWrapper(file, blockSize)
  } catch (error) {
    // Any failure before the body was handed over: the body will never be closed, so close here.
    await handle.close().catch(() => undefined)
    throw error
  }
}

/**
 * RFC 9110 §13.1.5: a `Range` counts only when `If-Range` is absent, or names the current strong
 * `ETag`, or exactly the current `Last-Modified` date.
 */
function ifRangeMatches(
  ifRange: string | undefined,
  etag: string | undefined,
  lastModified: string | undefined,
): boolean {
  if (ifRange === undefined) return true
  const value = ifRange.trim()
  if (value.startsWith('"') || value.startsWith('W/')) {
    return etag !== undefined && !etag.startsWith('W/') && value === etag
  }
  if (lastModified === undefined) return false
  const date = Date.parse(value)
  return !Number.isNaN(date) && date === Date.parse(lastModified)
}
