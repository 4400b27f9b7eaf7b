/**
 * The interpreter: one Pyodide in one `node:worker_threads` Worker, loaded once and shared by
 * every `fromPython()` app of the process, with a queue that lets one request at a time into
 * Python (a WSGI app under `wsgi.multithread` false expects no other request between its call
 * and the `close()` of its body). Python runs off the main thread, so the event loop stays free
 * while it computes; the worker asks the main thread synchronously (see worker-source.ts) when
 * Python reads `wsgi.input` or calls `start_response`.
 *
 * @module
 */
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { MessageChannel, Worker } from 'node:worker_threads'
import type { MessagePort, Transferable } from 'node:worker_threads'

import { WSGIError } from '@wsgi/core/errors'
import type { ErrorStream } from '@wsgi/core/types'

import { BRIDGE_SOURCE } from './bridge-source.ts'
import { WORKER_SOURCE } from './worker-source.ts'

/** Options of {@link PythonInterpreter}. */
export interface InterpreterOptions {
  /** Each line Python prints to `sys.stdout`. Default: the process's stdout. */
  readonly stdout?: ((line: string) => void) | undefined
  /** Each line Python prints to `sys.stderr`. Default: the process's stderr. */
  readonly stderr?: ((line: string) => void) | undefined
}

/** Most bytes one `wsgi.input` read takes from the client: the backpressure window. */
export const READ_WINDOW: number = 65536

/** What the worker is started with (read by worker-source.ts). */
interface WorkerData {
  readonly pyodidePath: string
  readonly bridge: string
  readonly window: number
  readonly flag: SharedArrayBuffer
  readonly answers: MessagePort
}

/** The main thread's side of one request: what the worker's questions are answered with. */
export interface Host {
  /** At most `size` bytes of the request body; empty at its end. */
  read(size: number): Promise<Uint8Array>
  /** The server's `start_response`; throws what the server throws. */
  startResponse(status: unknown, headers: unknown, exc: string | undefined): void
  /** The server's `write()` (of `start_response`), done once the server took the bytes. */
  write(bytes: Uint8Array): Promise<void>
  readonly errors: ErrorStream
}

/** A message from the worker. */
type FromWorker =
  | { kind: 'reply'; id: number; value?: unknown; error?: string }
  | { kind: 'ask'; what: 'read'; size: number }
  | { kind: 'ask'; what: 'start'; status: unknown; headers: unknown; exc?: string | undefined }
  | { kind: 'ask'; what: 'write'; bytes: Uint8Array }
  | { kind: 'errors'; text: string }
  | { kind: 'flush' }
  | { kind: 'stdout' | 'stderr'; line: string }

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
}

/** A Python exception, its message the traceback Python printed. */
export class PythonError extends Error {
  override name = 'PythonError'
}

/**
 * One Python interpreter (Pyodide) in its own worker thread. The worker does not keep the
 * process alive while it is idle; {@link PythonInterpreter.terminate} stops it.
 */
export class PythonInterpreter {
  readonly #worker: Worker
  readonly #flag = new Int32Array(new SharedArrayBuffer(4))
  readonly #answers: MessagePort
  readonly #pending = new Map<number, Pending>()
  readonly #options: InterpreterOptions
  #nextId = 0
  #host: Host | undefined
  #tail: Promise<void> = Promise.resolve()
  #stopped: WSGIError | undefined

  /** Starts the worker, which starts loading Pyodide (this takes seconds). */
  constructor(options: InterpreterOptions = {}) {
    this.#options = options
    const { port1, port2 } = new MessageChannel()
    this.#answers = port1
    const workerData: WorkerData = {
      pyodidePath: createRequire(import.meta.url).resolve('pyodide'),
      bridge: BRIDGE_SOURCE,
      window: READ_WINDOW,
      flag: this.#flag.buffer,
      answers: port2,
    }
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData, transferList: [port2] })
    this.#worker.unref()
    this.#worker.on('message', (message: FromWorker) => {
      this.#onMessage(message)
    })
    this.#worker.on('error', (error: Error) => {
      this.#stop(`crashed: ${error.message}`, error)
    })
    this.#worker.on('exit', (code: number) => {
      this.#stop(`exited with code ${code}`)
    })
  }

  /** Whether the worker has stopped (crashed, exited or terminated); a stopped one stays so. */
  get stopped(): boolean {
    return this.#stopped !== undefined
  }

  /** Resolves once Pyodide is loaded and the bridge is set up in the worker. */
  async ready(): Promise<void> {
    await this.request({ op: 'ready' })
  }

  /** Stops the worker; requests in flight fail with `ERR_WSGI_PYTHON_WORKER`. */
  async terminate(): Promise<void> {
    this.#stop('was terminated')
    await this.#worker.terminate()
  }

  /** Mounts `paths` (once each) and imports `spec`: the app's number in this interpreter. */
  async loadApp(spec: string, validate: boolean, paths: readonly string[]): Promise<number> {
    const op = { op: 'load', spec, validate, paths: paths.map((path) => resolve(path)) }
    const { app } = (await this.request(op)) as { app: number }
    return app
  }

  /**
   * Waits for the interpreter to be free and makes `host` answer the worker's questions; the
   * returned function (idempotent) frees it, letting the next request in.
   */
  async acquire(host: Host): Promise<() => void> {
    const previous = this.#tail
    let release!: () => void
    this.#tail = new Promise<void>((done) => {
      release = () => {
        if (this.#host === host) this.#host = undefined
        done()
      }
    })
    await previous
    this.#host = host
    return release
  }

  /** Sends `op` to the worker; resolves with its answer, or rejects with Python's error. */
  request(op: Record<string, unknown>): Promise<unknown> {
    if (this.#stopped !== undefined) return Promise.reject(this.#stopped)
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      // Kept alive while it has work: a pending promise alone would not hold the process.
      this.#worker.ref()
      this.#worker.postMessage({ ...op, id })
    })
  }

  #onMessage(message: FromWorker): void {
    switch (message.kind) {
      case 'reply': {
        const pending = this.#pending.get(message.id)
        this.#pending.delete(message.id)
        if (this.#pending.size === 0) this.#worker.unref()
        if (message.error === undefined) pending?.resolve(message.value)
        else pending?.reject(new PythonError(message.error))
        return
      }
      case 'ask':
        void this.#answer(message)
        return
      case 'errors':
        this.#errors().write(message.text)
        return
      case 'flush':
        this.#errors().flush()
        return
      case 'stdout':
        if (this.#options.stdout === undefined) process.stdout.write(`${message.line}\n`)
        else this.#options.stdout(message.line)
        return
      case 'stderr':
        if (this.#options.stderr === undefined) process.stderr.write(`${message.line}\n`)
        else this.#options.stderr(message.line)
        return
    }
  }

  #errors(): ErrorStream {
    return this.#host?.errors ?? PROCESS_ERRORS
  }

  // Answers one synchronous question of the worker, which sleeps until the flag is raised.
  async #answer(question: Extract<FromWorker, { kind: 'ask' }>): Promise<void> {
    let answer: { bytes?: Uint8Array; error?: string } = {}
    const transfer: Transferable[] = []
    try {
      const host = this.#host
      if (host === undefined) throw new Error('no request is in the interpreter')
      if (question.what === 'read') {
        const read = await host.read(question.size)
        // A copy of exactly these bytes (a Buffer may view a larger pool), moved, not cloned.
        const bytes = new Uint8Array(read)
        answer = { bytes }
        transfer.push(bytes.buffer)
      } else if (question.what === 'write') {
        await host.write(question.bytes)
      } else {
        host.startResponse(question.status, question.headers, question.exc)
      }
    } catch (error) {
      answer = { error: String(error) }
    }
    if (this.#stopped !== undefined) return
    this.#answers.postMessage(answer, transfer)
    Atomics.store(this.#flag, 0, 1)
    Atomics.notify(this.#flag, 0)
  }

  #stop(how: string, cause?: Error): void {
    if (this.#stopped !== undefined) return
    this.#stopped = new WSGIError(
      'ERR_WSGI_PYTHON_WORKER',
      `The Python interpreter's worker thread ${how}`,
      cause === undefined ? undefined : { cause },
    )
    for (const pending of this.#pending.values()) pending.reject(this.#stopped)
    this.#pending.clear()
    this.#answers.close()
  }
}

// Where wsgi.errors goes when no request is in the interpreter (an import printing to it).
const PROCESS_ERRORS: ErrorStream = {
  write: (s: string) => {
    process.stderr.write(s)
  },
  writelines: (seq: Iterable<string>) => {
    for (const s of seq) process.stderr.write(s)
  },
  flush: () => {
    // process.stderr is not buffered here.
  },
}

let shared: PythonInterpreter | undefined

/**
 * The process's shared interpreter, started on first call (Pyodide loads in the background;
 * await its `ready()` to wait for it). A stopped one (crashed worker) is replaced.
 */
export function sharedInterpreter(): PythonInterpreter {
  if (shared === undefined || shared.stopped) shared = new PythonInterpreter()
  return shared
}
