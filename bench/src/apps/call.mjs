/**
 * In-process calls, no socket: a gateway application called with an environ built in memory
 * (ours), and a Node listener called through light-my-request (the peer).
 *
 * @module
 */

/** @typedef {import('@wsgi/core').WSGIApplication} WSGIApplication */

/** One in-process request: what to send. */
/** @typedef {{ method: string, path: string, body?: Buffer | undefined, contentType?: string | undefined }} CallRequest */
/** What came back: the status code and the body size. */
/** @typedef {{ status: number, size: number }} CallResult */

const EMPTY = new Uint8Array(0)

/**
 * A minimal `wsgi.input` over bytes held in memory.
 *
 * @param {Uint8Array} bytes
 * @returns {import('@wsgi/core').InputStream}
 */
function bytesInput(bytes) {
  let offset = 0
  /** @param {number} end */
  const take = (end) => {
    const part = bytes.subarray(offset, end)
    offset = end
    return part
  }
  /** @param {number | undefined} size */
  const endOf = (size) =>
    size === undefined || size < 0 ? bytes.length : Math.min(bytes.length, offset + size)
  return {
    read: async (size) => take(endOf(size)),
    readline: async (size) => {
      const nl = bytes.indexOf(0x0a, offset)
      return take(Math.min(nl < 0 ? bytes.length : nl + 1, endOf(size)))
    },
    readlines: async () => {
      const lines = []
      while (offset < bytes.length) {
        const nl = bytes.indexOf(0x0a, offset)
        lines.push(take(nl < 0 ? bytes.length : nl + 1))
      }
      return lines
    },
    async *[Symbol.asyncIterator]() {
      if (offset < bytes.length) yield take(bytes.length)
    },
  }
}

/**
 * Call a gateway application in-process, as a test client would: an environ from
 * `setupTestingDefaults`, the body drained, `close()` called.
 *
 * @param {WSGIApplication} app
 * @param {typeof import('@wsgi/core').setupTestingDefaults} setupTestingDefaults
 * @param {CallRequest} request
 * @returns {Promise<CallResult>}
 */
export async function callGateway(app, setupTestingDefaults, request) {
  const body = request.body ?? EMPTY
  const environ = setupTestingDefaults({
    REQUEST_METHOD: request.method,
    SCRIPT_NAME: '',
    PATH_INFO: request.path,
    QUERY_STRING: '',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REMOTE_ADDR: '127.0.0.1',
    CONTENT_TYPE: request.contentType ?? '',
    CONTENT_LENGTH: body.length > 0 ? String(body.length) : '',
    'wsgi.input': bytesInput(body),
  })
  let status = ''
  let size = 0
  const result = await app(environ, (s) => {
    status = s
    return (data) => {
      size += data.length
    }
  })
  try {
    for await (const chunk of result) size += chunk.length
  } finally {
    await result.close?.()
  }
  return { status: Number.parseInt(status, 10), size }
}

/**
 * Call a Node listener in-process through light-my-request.
 *
 * @param {(options: import('light-my-request').InjectOptions) => Promise<import('light-my-request').Response>} inject
 * @param {CallRequest} request
 * @returns {Promise<CallResult>}
 */
export async function callInjected(inject, request) {
  const response = await inject({
    method: /** @type {NonNullable<import('light-my-request').InjectOptions['method']>} */ (
      request.method
    ),
    url: request.path,
    ...(request.body === undefined
      ? {}
      : { payload: request.body, headers: { 'content-type': request.contentType ?? '' } }),
  })
  return { status: response.statusCode, size: response.rawPayload.length }
}
