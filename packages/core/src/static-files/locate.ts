/**
 * Where a request path leads under a `staticFiles` mount: checks each segment, then resolves the
 * file with `fs.realpath` and makes sure it is still inside the mount's directory, so that no
 * `..` (however it was encoded) and no symlink leads out of it.
 *
 * @module
 */
import { realpath, stat } from 'node:fs/promises'
import { join, sep } from 'node:path'

import { latin1ToUTF8 } from '../_internal/latin1.ts'

/** One prefix of `staticFiles` and its directory. */
export interface Mount {
  readonly prefix: string
  readonly root: string
  real: Promise<string> | undefined
}

/** What a path leads to. */
export type Located =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'outside' }
  | { readonly kind: 'slash' }

/** True when `child` is `parent` or lies inside it (both absolute and normalised). */
function isInside(parent: string, child: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep)
}

/**
 * The file-system segments of the part of `PATH_INFO` under a mount; `'bad'` for a NUL byte,
 * `'refused'` for anything that could leave the directory, `'hidden'` for a dotfile.
 */
export function segmentsOf(
  rest: string,
  dotfiles: 'ignore' | 'allow',
): string[] | 'bad' | 'refused' | 'hidden' {
  if (rest.includes('\0')) return 'bad'
  if (rest === '' || rest === '/') return []
  if (!rest.startsWith('/')) return 'refused'
  const parts = rest.slice(1).split('/')
  // A trailing '' means "a directory"; an empty segment anywhere else ('//etc') is refused.
  if (parts.at(-1) === '') parts.pop()
  const out: string[] = []
  let hidden = false
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..' || part.includes('\\')) return 'refused'
    // Windows: 'C:' or 'file:stream' would name another drive or an alternate data stream.
    if (sep === '\\' && part.includes(':')) return 'refused'
    let name: string
    try {
      // PATH_INFO holds bytes as latin-1; file names on disk are UTF-8.
      name = latin1ToUTF8(part, { fatal: true })
    } catch {
      return 'refused'
    }
    if (name.startsWith('.')) hidden = true
    out.push(name)
  }
  return hidden && dotfiles === 'ignore' ? 'hidden' : out
}

function errorCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code
}

// What a failed realpath/stat/open means: no such file (or no access) is "missing"; anything
// else (EIO, EMFILE…) is a server error and propagates.
const MISSING = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'ELOOP', 'ENAMETOOLONG'])

/**
 * The file `segments` lead to under `mount`: `'slash'` when a directory was asked for without
 * its trailing `/` (and an index is served), `'outside'` when the real path leaves the directory.
 */
export async function locate(
  mount: Mount,
  segments: readonly string[],
  wantsDirectory: boolean,
  index: string | false,
): Promise<Located> {
  mount.real ??= realpath(mount.root)
  let root: string
  try {
    root = await mount.real
  } catch (error) {
    mount.real = undefined // the directory may appear later
    if (MISSING.has(String(errorCode(error)))) return { kind: 'missing' }
    throw error
  }
  let real: string
  let isDirectory: boolean
  try {
    real = await realpath(join(root, ...segments))
    if (!isInside(root, real)) return { kind: 'outside' }
    const info = await stat(real)
    if (info.isDirectory()) {
      if (index === false) return { kind: 'missing' }
      if (!wantsDirectory) return { kind: 'slash' }
      real = await realpath(join(real, index))
      if (!isInside(root, real)) return { kind: 'outside' }
      isDirectory = (await stat(real)).isDirectory()
    } else {
      isDirectory = false
      if (wantsDirectory) return { kind: 'missing' }
    }
    if (isDirectory) return { kind: 'missing' }
  } catch (error) {
    if (MISSING.has(String(errorCode(error)))) return { kind: 'missing' }
    throw error
  }
  return { kind: 'file', path: real }
}
