/**
 * `@wsgi/adapter-python`: real Python WSGI applications (Flask, Bottle, any PEP 3333 callable)
 * as gateway applications, run inside Node through Pyodide.
 *
 * - {@link fromPython}: `'module:app'` as a gateway app.
 * - {@link sharedPyodide}: the process's one Pyodide, loaded on first use.
 *
 * @module
 */

export { DEFAULT_MAX_BODY_SIZE, fromPython } from './from-python.ts'
export type { FromPythonOptions } from './from-python.ts'
export { sharedPyodide } from './interpreter.ts'
