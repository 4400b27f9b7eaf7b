/**
 * `@wsgi/core`: WSGI (PEP 3333) for Node.js. A port of Python's `wsgiref`, one subpath per module,
 * plus the Node bridge. Everything here is re-exported from its own subpath too.
 *
 * @module
 */

// streams: wsgi.input and wsgi.errors implementations for servers and bridges
export { ConsoleErrorStream, InputReader, StringErrorStream, TextErrorStream } from './streams.ts'
export type { InputReaderOptions, TextSink } from './streams.ts'

// errors
export {
  ERROR_CODES,
  WSGIError,
  WSGIValidationError,
  describe,
  invalidArgType,
  isWSGIError,
  toError,
} from './errors.ts'
export type { ErrorCodeInfo, WSGIErrorCode } from './errors.ts'

// handlers (wsgiref.handlers)
export {
  BaseCGIHandler,
  BaseHandler,
  CGIHandler,
  IISCGIHandler,
  SimpleHandler,
  formatDateTime,
  readEnviron,
} from './handlers/index.ts'
export type { HandlerStderr, HandlerStdin } from './handlers/index.ts'

// dispatch (Werkzeug's DispatcherMiddleware, Rack's URLMap)
export { dispatch } from './dispatch.ts'
export type { DispatchOptions } from './dispatch.ts'

// Beyond wsgiref: the in-process test client and ProxyFix (node-free). The Node-only modules
// (`/node`, `/simple-server`, `/static-files`) are reached through their subpaths, so that this
// barrel loads in any fetch runtime.
export { CookieJar, StreamingTestResponse, TestClient, TestResponse } from './testing/index.ts'
export type { TestClientOptions, TestRequestOptions } from './testing/index.ts'
export { PROXY_FIX_ORIG_KEY, proxyFix } from './proxy-fix.ts'
export type { ProxyFixOptions, ProxyFixOriginal } from './proxy-fix.ts'

// validate (wsgiref.validate) and warnings
export { validator } from './validate.ts'
export { WARNING_CODES, WSGIWarning, emitWSGIWarning, formatWarning } from './warnings.ts'
export type { WSGIWarningCode, WarningCodeInfo } from './warnings.ts'

// headers (wsgiref.headers)
export { Headers, isHeaders } from './headers.ts'

// util (wsgiref.util)
export {
  FileWrapper,
  applicationURI,
  guessScheme,
  isHopByHop,
  bytesToLatin1,
  isLatin1,
  latin1ToBytes,
  latin1ToUTF8,
  quoteLatin1,
  unquoteLatin1,
  requestURI,
  setupTestingDefaults,
  shiftPathInfo,
  utf8ToLatin1,
} from './util.ts'

// types (wsgiref.types)
export { EXTENSION_PREFIX } from './types.ts'
export type {
  ErrorStream,
  FileLike,
  FileWrapper as FileWrapperType,
  HeaderList,
  HeaderTuple,
  InputStream,
  Middleware,
  ResponseBody,
  StartResponse,
  Status,
  WSGIApplication,
  WSGIEnvironment,
  WriteCallable,
} from './types.ts'
