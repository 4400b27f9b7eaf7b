/**
 * `@wsgi/adapter-python`: real Python WSGI applications (Flask, Bottle, any PEP 3333 callable)
 * as gateway applications, run inside Node through Pyodide in a worker thread.
 *
 * - {@link fromPython}: `'module:app'` as a gateway app.
 * - {@link PythonInterpreter}: one Pyodide in its own worker thread.
 * - {@link sharedInterpreter}: the process's one interpreter, started on first use.
 *
 * @module
 */

export { fromPython } from './from-python.ts'
export type { FromPythonOptions } from './from-python.ts'
export { PythonError, PythonInterpreter, READ_WINDOW, sharedInterpreter } from './interpreter.ts'
export type { InterpreterOptions } from './interpreter.ts'
