/**
 * The interpreter: one Pyodide per process, loaded lazily on first use and shared by every
 * `fromPython()` app, with host folders mounted into its file system and a queue that lets one
 * request at a time into Python (a WSGI app under `wsgi.multithread` false expects no other
 * request between its call and the `close()` of its body).
 *
 * @module
 */
import { resolve } from 'node:path'

import { loadPyodide } from 'pyodide'
import type { PyodideInterface } from 'pyodide'

import { BRIDGE_SOURCE } from './bridge-source.ts'

/** A Python object seen from JavaScript: callable, with attributes, to be destroyed. */
export interface PyObject {
  (...args: unknown[]): unknown
  destroy(): void
  [name: string]: unknown
}

/** A Python `dict` seen from JavaScript. */
export interface PyDict {
  get(name: string): PyObject
  destroy(): void
}

/** The functions of the Python half of the bridge (see bridge-source.ts). */
export interface Bridge {
  readonly loadApp: PyObject
  readonly Call: PyObject
  readonly start: PyObject
  readonly next: PyObject
  readonly close: PyObject
}

/** What this package keeps per interpreter. */
export interface Interpreter {
  readonly pyodide: PyodideInterface
  /** The bridge's entry points, one proxy each for the interpreter's life. */
  readonly bridge: Bridge
  /** Host folder -> mount point already mounted and put on `sys.path`. */
  readonly mounts: Map<string, string>
  /** Tail of the request queue: each request waits for the previous one to release it. */
  tail: Promise<void>
}

const interpreters = new WeakMap<PyodideInterface, Interpreter>()
let shared: Promise<PyodideInterface> | undefined

/** The process's shared Pyodide, loaded on first call (this takes seconds). */
export function sharedPyodide(): Promise<PyodideInterface> {
  shared ??= loadPyodide()
  return shared
}

/** This package's state for `pyodide`, set up (bridge module run) on first use. */
export function interpreterOf(pyodide: PyodideInterface): Interpreter {
  let interpreter = interpreters.get(pyodide)
  if (interpreter === undefined) {
    const namespace = pyodide.toPy({}) as PyDict
    pyodide.runPython(BRIDGE_SOURCE, { globals: namespace as never })
    const bridge: Bridge = {
      loadApp: namespace.get('load_app'),
      Call: namespace.get('Call'),
      start: namespace.get('call_start'),
      next: namespace.get('call_next'),
      close: namespace.get('call_close'),
    }
    namespace.destroy()
    interpreter = { pyodide, bridge, mounts: new Map(), tail: Promise.resolve() }
    interpreters.set(pyodide, interpreter)
  }
  return interpreter
}

/**
 * Mount each host folder (read through Emscripten's NODEFS, so nothing is copied) and append it
 * to `sys.path`, once per folder and interpreter, in the order given.
 */
export function mountPaths(interpreter: Interpreter, paths: readonly string[]): void {
  const { pyodide, mounts } = interpreter
  for (const path of paths) {
    const host = resolve(path)
    if (mounts.has(host)) continue
    const point = `/wsgits/mnt/${mounts.size}`
    pyodide.FS.mkdirTree(point)
    // Emscripten's FS is typed `any` by Pyodide.
    const fs = pyodide.FS as { filesystems: { NODEFS: unknown }; mount(...args: unknown[]): void }
    fs.mount(fs.filesystems.NODEFS, { root: host }, point)
    mounts.set(host, point)
    const sys = pyodide.pyimport('sys') as unknown as PyObject & {
      path: PyObject & { append(p: string): void }
    }
    const sysPath = sys.path
    sysPath.append(point)
    sysPath.destroy()
    sys.destroy()
  }
}

/**
 * Wait for the interpreter to be free; the returned function frees it (idempotent), letting the
 * next request in.
 */
export async function acquire(interpreter: Interpreter): Promise<() => void> {
  const previous = interpreter.tail
  let release!: () => void
  interpreter.tail = new Promise<void>((done) => {
    release = done
  })
  await previous
  return release
}
