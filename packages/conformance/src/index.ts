/**
 * `@wsgi/conformance` (private): the reference gateway apps and Node listeners, and
 * `describeBridge()`, the suite every bridge runs in each direction it supports.
 *
 * @example
 * ```ts
 * import { describeBridge } from '@wsgi/conformance'
 *
 * describeBridge('my bridge', {
 *   serveGateway: (app) => serveSomehow(toMyHost(app)),
 *   serveListener: (listener) => serveSomehow(toMyHost(fromNodeListener(listener))),
 * })
 * ```
 * @module
 */
export {
  abortProbeApp,
  cookiesApp,
  createGatewayApp,
  downloadApp,
  echoApp,
  errorAfterApp,
  errorBeforeApp,
  headApp,
  helloApp,
  noBodyApp,
  referenceApps,
  signalCheckApp,
  sseApp,
  streamingApp,
  uploadApp,
} from './apps.ts'
export type { EchoReport, UploadReport } from './apps.ts'
export { createNodeListener, referenceListeners } from './listeners.ts'
export type { ReferenceListener } from './listeners.ts'
export { CHUNK_SIZE, Probe, checkPattern, paramsOf, patternChunk } from './probe.ts'
export type { ProbeRecord, RequestParams } from './probe.ts'
export { buildIfStale, coreDir, runWsgi, serveWsgi, userEnv, wsgiBin } from './wsgi-command.ts'
export type { WsgiProcess } from './wsgi-command.ts'
export { RawClient, exchange, parseResponse } from './raw-http.ts'
export type { RawResponse } from './raw-http.ts'
export { differential } from './pass-through.ts'
export {
  BODY_CASES,
  COMMON_CASES,
  RAW_HEAD_JSON,
  describePassThrough,
  getRequest,
} from './pass-through-suite.ts'
export type { Differential, DifferentialRequest, Exchange } from './pass-through.ts'
export { describeBridge } from './suite.ts'
export { hasFastProperties, youngAfterPretenuring } from './pretenure.ts'
export type { BridgeOptions, Served } from './suite.ts'
export { h2Request, h2Session } from './h2.ts'
export { expectAllAnswered, keepAlivePosts, watchErrorLog } from './keep-alive.ts'
export type { KeepAliveOptions, KeepAliveReport, PostOutcome } from './keep-alive.ts'
export {
  closeServer,
  errorChainLine,
  freePort,
  listenLocal,
  serveServer,
  serveSimple,
} from './serve.ts'
export {
  MemoryErrors,
  listenForTest,
  rawGet,
  rawBytes,
  serveHttp,
  serveNode,
  serveSimpleForTest,
  startForTest,
} from './test-server.ts'
export { simpleListening } from './listening.ts'
export type { Listening, SimpleServerLike } from './listening.ts'
export {
  answerEarlyApp,
  curlUpload,
  postThenGet,
  startUpload,
  trickleUntilClosed,
  uploadBody,
} from './upload.ts'
export { httpsGetText, selfSignedCert } from './tls.ts'
export {
  describeRawTarget,
  describeStatusParity,
  getStatusLine,
  targetReportApp,
} from './parity.ts'
export type { RawTargetBridge, StatusAndBody, StatusBridge, StatusCase } from './parity.ts'
export type { SelfSigned } from './tls.ts'
export { REQUEST_CGI_KEYS, pickKeys } from './cgi-keys.ts'
export { startPythonCgi } from './python-cgi.ts'
export type { PythonCgi } from './python-cgi.ts'
