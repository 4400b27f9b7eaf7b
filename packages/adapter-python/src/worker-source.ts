/**
 * The JavaScript run inside the interpreter's `node:worker_threads` Worker (as `eval` source, so
 * it runs the same from `src` under a TypeScript loader and from `dist`): it loads Pyodide, runs
 * the Python bridge, and answers the main thread's messages one at a time (`load`, `call`,
 * `next`, `close`). While Python runs it can ask the main thread synchronously (`read` a slice
 * of the request body, `start` the response): the question is posted, the worker sleeps in
 * `Atomics.wait` on a shared flag, and the answer is taken off a dedicated port with
 * `receiveMessageOnPort`. Synchronous Python can so wait for asynchronous JavaScript without
 * JSPI, and the main thread's event loop stays free while Python computes.
 *
 * @module
 */

/** CommonJS source of the worker; `workerData` is {@link WorkerData} of interpreter.ts. */
export const WORKER_SOURCE: string = String.raw`
'use strict'
// No require() nor import: the source runs as CommonJS or as a module (the worker inherits the
// process's --input-type), and getBuiltinModule works in both.
const { parentPort, workerData, receiveMessageOnPort } =
  process.getBuiltinModule('node:worker_threads')
const { createRequire } = process.getBuiltinModule('node:module')
const { loadPyodide } = createRequire(workerData.pyodidePath)(workerData.pyodidePath)

const flag = new Int32Array(workerData.flag)
const answers = workerData.answers

// One synchronous question to the main thread: post it, sleep until the flag is raised, take
// the answer (already queued on the port when the flag is raised).
function ask(question, transfer) {
  Atomics.store(flag, 0, 0)
  parentPort.postMessage(question, transfer)
  Atomics.wait(flag, 0, 0)
  const received = receiveMessageOnPort(answers)
  if (received === undefined) throw new Error('the main thread gave no answer')
  return received.message
}

// What Python's wsgi.input, start_response and wsgi.errors call (see bridge-source.ts).
const host = {
  read(size) {
    const answer = ask({ kind: 'ask', what: 'read', size })
    if (answer.error !== undefined) throw new Error(answer.error)
    return answer.bytes
  },
  start_response(status, headers, exc) {
    const answer = ask({ kind: 'ask', what: 'start', status, headers, exc })
    return answer.error === undefined ? null : answer.error
  },
  write(data) {
    let bytes
    try {
      bytes = data.toJs()
    } finally {
      data.destroy()
    }
    const answer = ask({ kind: 'ask', what: 'write', bytes }, [bytes.buffer])
    return answer.error === undefined ? null : answer.error
  },
  errors_write(text) {
    parentPort.postMessage({ kind: 'errors', text: String(text) })
  },
  errors_flush() {
    parentPort.postMessage({ kind: 'flush' })
  },
}

// Always through the main thread: Pyodide's default writes to process.stdout.fd, which a worker
// thread does not have (print() would raise OSError).
const options = {
  stdout: (line) => parentPort.postMessage({ kind: 'stdout', line }),
  stderr: (line) => parentPort.postMessage({ kind: 'stderr', line }),
}

let pyodide
let bridge
const apps = []
const mounts = new Map()
let call

const ready = loadPyodide(options).then((loaded) => {
  pyodide = loaded
  const namespace = pyodide.toPy({ WINDOW: workerData.window })
  pyodide.runPython(workerData.bridge, { globals: namespace })
  bridge = {
    loadApp: namespace.get('load_app'),
    Call: namespace.get('Call'),
    start: namespace.get('call_start'),
    next: namespace.get('call_next'),
    close: namespace.get('call_close'),
  }
  namespace.destroy()
})

// Mount each host folder read-through (Emscripten's NODEFS, nothing copied) and append it to
// sys.path, once per folder, in the order given.
function mount(paths) {
  for (const host of paths) {
    if (mounts.has(host)) continue
    const point = '/wsgits/mnt/' + mounts.size
    pyodide.FS.mkdirTree(point)
    pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: host }, point)
    mounts.set(host, point)
    const sys = pyodide.pyimport('sys')
    const path = sys.path
    path.append(point)
    path.destroy()
    sys.destroy()
  }
}

function endCall() {
  if (call === undefined) return
  const ending = call
  call = undefined
  try {
    bridge.close(ending)
  } finally {
    ending.destroy()
  }
}

// The next chunk of the body, as something the main thread can take: bytes (their buffer
// transferred), the end, or what was yielded instead of bytes, for the main thread to refuse.
function nextChunk() {
  const chunk = bridge.next(call)
  if (chunk === undefined || chunk === null) return [{ done: true }, []]
  if (typeof chunk === 'object' && chunk.type === 'bytes') {
    let bytes
    try {
      bytes = chunk.toJs()
    } finally {
      chunk.destroy()
    }
    return [{ bytes }, [bytes.buffer]]
  }
  const type = typeof chunk === 'object' ? chunk.type : typeof chunk
  if (typeof chunk === 'object' && typeof chunk.destroy === 'function') chunk.destroy()
  return [{ invalid: type }, []]
}

function handle(message) {
  switch (message.op) {
    case 'ready':
      return [{}, []]
    case 'load':
      mount(message.paths)
      apps.push(bridge.loadApp(message.spec, message.validate))
      return [{ app: apps.length - 1 }, []]
    case 'call':
      endCall()
      call = bridge.Call(apps[message.app], message.cgi, host, message.multiprocess, message.runOnce)
      bridge.start(call)
      return [{}, []]
    case 'next':
      return nextChunk()
    case 'close':
      endCall()
      return [{}, []]
    default:
      throw new Error('unknown operation ' + String(message.op))
  }
}

// Handlers are synchronous and chained on the load, so messages are answered in order.
parentPort.on('message', (message) => {
  ready
    .then(() => handle(message))
    .then(
      ([value, transfer]) => {
        parentPort.postMessage({ kind: 'reply', id: message.id, value }, transfer)
      },
      (error) => {
        const text = error instanceof Error ? error.message : String(error)
        parentPort.postMessage({ kind: 'reply', id: message.id, error: text })
      },
    )
})
`
