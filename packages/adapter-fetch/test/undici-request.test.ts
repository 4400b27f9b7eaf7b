/**
 * toFetch with a `Request` that is not the global class: one from the `undici` package (another
 * copy of the fetch classes, as a test environment or a polyfill hands over). Accepted by shape.
 */
import { Request as UndiciRequest } from 'undici'
import { describe, expect, it } from 'vitest'

import type { WSGIApplication } from '@wsgi/core/types'

import { toFetch } from '../src/to-fetch.ts'

const enc = new TextEncoder()

describe('toFetch with a Request from the undici package', () => {
  it('is not the global class', () => {
    const request = new UndiciRequest('http://h/')
    expect(request).not.toBeInstanceOf(Request)
    expect(request.headers).not.toBeInstanceOf(Headers)
  })

  it('reads its method, URL, headers and streamed body into the environ', async () => {
    const app: WSGIApplication = async (environ, startResponse) => {
      const body = await environ['wsgi.input'].read()
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      const fields = [
        environ.REQUEST_METHOD,
        environ.SCRIPT_NAME,
        environ.PATH_INFO,
        environ.QUERY_STRING,
        environ['HTTP_X_TEST'],
        environ.CONTENT_TYPE,
        new TextDecoder().decode(body),
      ]
      return [enc.encode(fields.join('|'))]
    }
    const request = new UndiciRequest('http://h/legacy/a%20b?x=1', {
      method: 'POST',
      headers: { 'x-test': 'yes', 'content-type': 'text/plain' },
      body: 'payload',
    })
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- the point: another class's Request
    const response = await toFetch(app, { scriptName: '/legacy' })(request)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('POST|/legacy|/a b|x=1|yes|text/plain|payload')
  })

  it('follows its signal as wsgits.signal', async () => {
    const controller = new AbortController()
    let aborted: Promise<unknown> | undefined
    const app: WSGIApplication = (environ, startResponse) => {
      const signal = environ['wsgits.signal']!
      aborted = new Promise((resolve) => {
        signal.addEventListener('abort', () => {
          resolve(signal.reason)
        })
      })
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return [enc.encode('ok')]
    }
    const request = new UndiciRequest('http://h/', { signal: controller.signal })
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- the point: another class's Request
    const pending = toFetch(app)(request)
    controller.abort(new Error('gone'))
    await pending
    expect(await aborted).toMatchObject({ message: 'gone' })
  })

  it('refuses what is not Request-shaped, by shape', async () => {
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [])
      return []
    }
    await expect(toFetch(app)({ url: 'http://h/' } as unknown as Request)).rejects.toMatchObject({
      code: 'ERR_WSGI_INVALID_ARG_TYPE',
    })
  })
})
