/**
 * The content types `staticFiles` knows by file extension: a small table of the formats a web
 * site serves, so no dependency is needed. Node-free.
 *
 * @module
 */

const UTF8 = '; charset=utf-8'

/** Content types by lower-case extension, without the dot. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: `text/html${UTF8}`,
  htm: `text/html${UTF8}`,
  css: `text/css${UTF8}`,
  js: `text/javascript${UTF8}`,
  mjs: `text/javascript${UTF8}`,
  cjs: `text/javascript${UTF8}`,
  json: 'application/json',
  map: 'application/json',
  webmanifest: 'application/manifest+json',
  txt: `text/plain${UTF8}`,
  md: `text/markdown${UTF8}`,
  csv: `text/csv${UTF8}`,
  xml: 'application/xml',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/x-icon',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
  pdf: 'application/pdf',
  wasm: 'application/wasm',
  zip: 'application/zip',
  gz: 'application/gzip',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  wav: 'audio/wav',
  mp4: 'video/mp4',
  webm: 'video/webm',
}

/**
 * The content type of a file with extension `ext` (`'.css'` or `'css'`, any case): from `extra`,
 * then {@link CONTENT_TYPES}, else `application/octet-stream`.
 */
export function contentTypeOf(ext: string, extra?: Readonly<Record<string, string>>): string {
  const key = ext.replace(/^\./, '').toLowerCase()
  if (key === '') return 'application/octet-stream'
  const own = extra !== undefined && Object.hasOwn(extra, key) ? extra[key] : undefined
  const known = Object.hasOwn(CONTENT_TYPES, key) ? CONTENT_TYPES[key] : undefined
  return own ?? known ?? 'application/octet-stream'
}
