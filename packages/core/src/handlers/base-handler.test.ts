import { describe, expect, it } from 'vitest'

import type { ErrorStream, InputStream, WSGIApplication } from '../types.ts'
import { InputReader } from '../_internal/input.ts'
import { BaseHandler, formatDateTime } from './base-handler.ts'

describe('formatDateTime(timestamp?)', () => {
  it('formats each second right when calls alternate between seconds', () => {
    expect(formatDateTime(0)).toBe('Thu, 01 Jan 1970 00:00:00 GMT')
    expect(formatDateTime(0.999)).toBe('Thu, 01 Jan 1970 00:00:00 GMT')
    expect(formatDateTime(86_401)).toBe('Fri, 02 Jan 1970 00:00:01 GMT')
    expect(formatDateTime(0)).toBe('Thu, 01 Jan 1970 00:00:00 GMT')
    expect(formatDateTime(1_795_000_000)).toBe('Wed, 18 Nov 2026 11:06:40 GMT')
  })

  it('formats the current second when called without a timestamp', () => {
    const before = Math.floor(Date.now() / 1000)
    const text = formatDateTime()
    const after = Math.floor(Date.now() / 1000)
    expect([formatDateTime(before), formatDateTime(after)]).toContain(text)
  })
})

class MemoryHandler extends BaseHandler {
  out: Uint8Array[] = []
  logged: string[] = []
  protected _write(data: Uint8Array): void {
    this.out.push(data)
  }
  protected _flush(): void {
    // Nothing buffered.
  }
  getStdin(): InputStream {
    return InputReader.fromBytes('')
  }
  getStderr(): ErrorStream {
    return {
      write: (s: string) => {
        this.logged.push(s)
      },
      writelines: () => undefined,
      flush: () => undefined,
    }
  }
  addCgiVars(): void {
    Object.assign(this.environ ?? {}, { REQUEST_METHOD: 'GET', SERVER_PROTOCOL: 'HTTP/1.1' })
  }
}

describe('BaseHandler#run(app) and close()', () => {
  it('sends a synchronous response, resets, and calls a body close() once', async () => {
    const handler = new MemoryHandler()
    let closed = 0
    const app: WSGIApplication = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']])
      return Object.assign([new TextEncoder().encode('hi')], {
        close: () => {
          closed++
        },
      })
    }
    await handler.run(app)
    expect(closed).toBe(1)
    expect(handler.status).toBeUndefined()
    expect(handler.environ).toBeUndefined()
    await handler.close()
    expect(closed).toBe(1)
    expect(new TextDecoder().decode(handler.out.at(-1))).toBe('hi')
  })

  it('resolves run() for plain arrays and async apps alike', async () => {
    const sync: WSGIApplication = (_e, startResponse) => {
      startResponse('204 No Content', [])
      return []
    }
    const later: WSGIApplication = async (_e, startResponse) => {
      await Promise.resolve()
      startResponse('200 OK', [])
      return [new Uint8Array([1])]
    }
    const a = new MemoryHandler()
    const b = new MemoryHandler()
    await expect(a.run(sync)).resolves.toBeUndefined()
    await expect(b.run(later)).resolves.toBeUndefined()
    expect(b.out.at(-1)).toEqual(new Uint8Array([1]))
  })

  it('logs a body whose close getter throws instead of throwing from close()', async () => {
    const handler = new MemoryHandler()
    const body = [new Uint8Array([1])]
    Object.defineProperty(body, 'close', {
      get() {
        throw new Error('hostile close')
      },
    })
    const app: WSGIApplication = (_e, startResponse) => {
      startResponse('200 OK', [])
      return body
    }
    await expect(handler.run(app)).resolves.toBeUndefined()
    expect(handler.logged.join('')).toContain('hostile close')
  })
})
