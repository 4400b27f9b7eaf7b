/**
 * Request bodies for `TestClient`: raw bytes or text, JSON, urlencoded forms and
 * `multipart/form-data`. Node-free.
 *
 * @module
 */
import { invalidArgType } from '../errors.ts'
import { concatBytes } from '../_internal/bytes.ts'

/** A value of a query string or urlencoded form field. */
export type FormValue = string | number | boolean

/**
 * A query string or urlencoded form: an object (an array value repeats the field), a
 * `URLSearchParams`, or `[name, value]` pairs.
 */
export type FormInit =
  | Readonly<Record<string, FormValue | readonly FormValue[] | undefined>>
  | URLSearchParams
  | Iterable<readonly [string, string]>

/** A file of a `multipart/form-data` body. */
export interface MultipartFile {
  /** The file name sent in `Content-Disposition`. */
  readonly filename: string
  /** The bytes of the file; a string is sent as UTF-8. */
  readonly content: Uint8Array | string
  /** Default `'application/octet-stream'`. */
  readonly contentType?: string
}

/** A field of a `multipart/form-data` body: text, or a file. */
export type MultipartValue = string | MultipartFile

/** The fields of a `multipart/form-data` body; an array value repeats the field. */
export type MultipartInit = Readonly<
  Record<string, MultipartValue | readonly MultipartValue[] | undefined>
>

/** What `body:` takes: bytes, text (sent as UTF-8) or a stream of chunks (sent without a length). */
export type BodyInit = Uint8Array | string | Iterable<Uint8Array> | AsyncIterable<Uint8Array>

/** The body of one request, ready for `wsgi.input`. */
export interface EncodedBody {
  /** The bytes, or a stream of chunks when the length is unknown. */
  readonly source: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>
  /** The `Content-Type` the body implies, if any. */
  readonly contentType: string | undefined
}

const encoder = new TextEncoder()

// Array.isArray does not narrow a readonly array out of a union; this does.
function listOf<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T]
}

/** Serialise a {@link FormInit} as `application/x-www-form-urlencoded`. */
export function encodeForm(init: FormInit): string {
  if (init instanceof URLSearchParams) return init.toString()
  const params = new URLSearchParams()
  if (Symbol.iterator in init) {
    for (const [name, value] of init as Iterable<readonly [string, string]>) {
      params.append(name, value)
    }
    return params.toString()
  }
  for (const [name, value] of Object.entries(init)) {
    if (value === undefined) continue
    for (const item of listOf<FormValue>(value)) {
      params.append(name, String(item))
    }
  }
  return params.toString()
}

// The escapes of the HTML standard for names in multipart/form-data: '"', CR and LF.
function escapeName(name: string): string {
  return name.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

/** A boundary that a body is very unlikely to contain: 24 random hex digits after a prefix. */
export function makeBoundary(): string {
  let random = ''
  for (let i = 0; i < 24; i++) random += Math.floor(Math.random() * 16).toString(16)
  return `----wsgits-test-${random}`
}

/**
 * Serialise `fields` as `multipart/form-data` with `boundary`.
 *
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when the boundary is empty, longer than 70
 *   characters (RFC 2046), or holds CR or LF.
 */
export function encodeMultipart(fields: MultipartInit, boundary: string): Uint8Array {
  if (boundary === '' || boundary.length > 70 || /[\r\n]/.test(boundary)) {
    throw invalidArgType(`multipart boundary must be 1 to 70 characters without CR/LF`)
  }
  const parts: Uint8Array[] = []
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue
    for (const item of listOf<MultipartValue>(value)) {
      let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"`
      let content: Uint8Array
      if (typeof item === 'string') {
        head += '\r\n\r\n'
        content = encoder.encode(item)
      } else {
        head +=
          `; filename="${escapeName(item.filename)}"\r\n` +
          `Content-Type: ${item.contentType ?? 'application/octet-stream'}\r\n\r\n`
        content = typeof item.content === 'string' ? encoder.encode(item.content) : item.content
      }
      parts.push(encoder.encode(head), content, encoder.encode('\r\n'))
    }
  }
  parts.push(encoder.encode(`--${boundary}--\r\n`))
  return concatBytes(parts)
}

/** The body options of a request, as {@link encodeBody} reads them. */
export interface BodyOptions {
  readonly body?: BodyInit | undefined
  readonly json?: unknown
  readonly form?: FormInit | undefined
  readonly multipart?: MultipartInit | undefined
  readonly boundary?: string | undefined
}

/**
 * The body of a request from its options (at most one of `body`, `json`, `form`, `multipart`),
 * or undefined when it has none.
 *
 * @throws TypeError `ERR_WSGI_INVALID_ARG_TYPE` when more than one is given, or when `body` is
 *   none of the accepted types.
 */
export function encodeBody(options: BodyOptions): EncodedBody | undefined {
  const given = (['body', 'json', 'form', 'multipart'] as const).filter(
    (key) => options[key] !== undefined,
  )
  if (given.length > 1) {
    throw invalidArgType(
      `Give at most one of body, json, form, multipart (got ${given.join(', ')})`,
    )
  }
  const { body, json, form, multipart } = options
  if (json !== undefined) {
    return { source: encoder.encode(JSON.stringify(json)), contentType: 'application/json' }
  }
  if (form !== undefined) {
    return {
      source: encoder.encode(encodeForm(form)),
      contentType: 'application/x-www-form-urlencoded',
    }
  }
  if (multipart !== undefined) {
    const boundary = options.boundary ?? makeBoundary()
    return {
      source: encodeMultipart(multipart, boundary),
      contentType: `multipart/form-data; boundary=${boundary}`,
    }
  }
  if (body === undefined) return undefined
  if (typeof body === 'string') return { source: encoder.encode(body), contentType: undefined }
  if (body instanceof Uint8Array) return { source: body, contentType: undefined }
  if (typeof body === 'object' && (Symbol.asyncIterator in body || Symbol.iterator in body)) {
    return { source: body, contentType: undefined }
  }
  throw invalidArgType('body must be a Uint8Array, a string, or an iterable of Uint8Array chunks')
}
