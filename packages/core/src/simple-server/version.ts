/**
 * The server's version strings: `SERVER_SOFTWARE` of the environ and the `Server` response header
 * (wsgiref's `server_version`, `sys_version` and `software_version`).
 *
 * @module
 */

/** `WSGIServer/0.2`, the server's own version (wsgiref's `server_version`). */
export const serverVersion = 'WSGIServer/0.2'
/** `Node.js/<version>`, the counterpart of wsgiref's `sys_version` (`CPython/3.13.0`). */
export const sysVersion: string = `Node.js/${process.versions.node}`
/** The `Server` header of every response: `WSGIServer/0.2 Node.js/<version>`. */
export const softwareVersion: string = `${serverVersion} ${sysVersion}`
