import { afterAll, describe, expect, it } from 'vitest'

import {
  LightResponseClass,
  isUnbuilt,
  overrideGlobalResponse,
  takeLight,
} from './light-response.ts'

type Body = ConstructorParameters<typeof Response>[0]

const Native = globalThis.Response
const Light = LightResponseClass

afterAll(() => {
  Object.defineProperty(globalThis, 'Response', {
    value: Native,
    writable: true,
    configurable: true,
    enumerable: false,
  })
})

/** Everything a reader of a `Response` sees, the body read last. */
async function observe(response: Response): Promise<unknown> {
  return {
    status: response.status,
    ok: response.ok,
    statusText: response.statusText,
    type: response.type,
    url: response.url,
    redirected: response.redirected,
    headers: [...response.headers],
    cookies: response.headers.getSetCookie(),
    contentType: response.headers.get('content-type'),
    body: response.body === null ? null : await response.text(),
    bodyUsed: response.bodyUsed,
  }
}

/** The error `make` throws, as class and message; undefined when it throws none. */
function thrown(make: () => unknown): { name: string; message: string } | undefined {
  try {
    make()
    return undefined
  } catch (error) {
    return { name: (error as Error).constructor.name, message: (error as Error).message }
  }
}

// [what, body (or what makes it, for one that can be read once), init, light path expected]
const CASES: [string, unknown, unknown, boolean][] = [
  ['no arguments', undefined, undefined, true],
  ['a string', 'Hello', undefined, true],
  ['an empty string', '', undefined, true],
  ['a null body with a status', null, { status: 404 }, true],
  [
    'a status and a record',
    'x',
    { status: 201, headers: { 'X-A': 'b', 'Content-Type': 'a/b' } },
    true,
  ],
  ['an undefined status', 'x', { status: undefined, headers: { a: 'b' } }, true],
  [
    'a list with repeats',
    'x',
    {
      headers: [
        ['b', '1'],
        ['a', '2'],
        ['B', '3'],
      ],
    },
    true,
  ],
  [
    'cookies',
    'x',
    {
      headers: [
        ['set-cookie', 'a=1'],
        ['x', 'y'],
        ['set-cookie', 'b=2'],
      ],
    },
    true,
  ],
  ['a Headers', 'x', { headers: new Native('x').headers }, true],
  ['an empty value', 'x', { headers: { 'x-empty': '' } }, true],
  [
    'a null-prototype record',
    'x',
    { headers: Object.assign(Object.create(null) as object, { q: 'r' }) },
    true,
  ],
  ['a latin-1 value', 'x', { headers: { 'x-l': 'caf\u00e9' } }, true],
  ['a string with lone surrogates', '\ud800a', undefined, true],
  ['bytes', new Uint8Array([104, 105]), undefined, true],
  ['a Buffer with a type', Buffer.from('hi'), { headers: { 'content-type': 'x/y' } }, true],
  ['a view into a larger buffer', new Uint8Array([1, 104, 105, 2]).subarray(1, 3), undefined, true],
  ['an ArrayBuffer', new Uint8Array([104, 105]).buffer, { status: 202 }, true],
  ['empty bytes', new Uint8Array(0), undefined, false],
  ['a DataView', new DataView(new Uint8Array([104]).buffer), undefined, false],
  ['other typed arrays', new Uint16Array([26984]), undefined, false],
  ['a stream', () => new Blob(['blob']).stream(), undefined, false],
  ['a Blob', new Blob(['b'], { type: 'x/y' }), undefined, false],
  ['URLSearchParams', new URLSearchParams('a=1'), undefined, false],
  ['a statusText', 'x', { status: 200, statusText: 'Fine' }, false],
  ['a status as a string', 'x', { status: '201' }, false],
  ['a fractional status', 'x', { status: 200.5 }, false],
  ['a value with spaces around', 'x', { headers: { a: ' b ' } }, false],
  ['a number value', 'x', { headers: { a: 1 } }, false],
  ['an init that is a Response', null, new Native('x', { status: 202 }), false],
  ['a null init', 'x', null, false],
]

// What the runtime refuses, and must be refused the same.
const REFUSED: [string, unknown, unknown][] = [
  ['status 600', 'x', { status: 600 }],
  ['status 199', 'x', { status: 199 }],
  ['a body with 204', 'x', { status: 204 }],
  ['a body with 304', '', { status: 304 }],
  ['a bad name', 'x', { headers: { 'a b': 'c' } }],
  ['CR LF in a value', 'x', { headers: { a: 'b\r\nc: d' } }],
  ['NUL in a value', 'x', { headers: [['a', 'b\0']] }],
  ['a value beyond latin-1', 'x', { headers: { a: '\u0100' } }],
  ['a symbol key', 'x', { headers: { [Symbol('s')]: 'x' } }],
  ['a pair of three', 'x', { headers: [['a', 'b', 'c']] }],
  ['a bad statusText', 'x', { statusText: 'a\nb' }],
]

describe('the light Response', () => {
  it.each(CASES)('is the runtime Response to its readers: %s', async (_what, body, init, light) => {
    const fresh = (): Body => (typeof body === 'function' ? (body as () => Body)() : body) as Body
    const made = new Light(fresh(), init as ResponseInit)
    expect(isUnbuilt(made)).toBe(light ? true : undefined)
    expect(await observe(made)).toEqual(await observe(new Native(fresh(), init as ResponseInit)))
  })

  it.each(REFUSED)('throws what the runtime throws: %s', (_what, body, init) => {
    const expected = thrown(() => new Native(body as Body, init as ResponseInit))
    expect(expected).toBeDefined()
    expect(thrown(() => new Light(body as Body, init as ResponseInit))).toEqual(expected)
  })

  it('copies its init: a change to the record after construction is not seen', async () => {
    const headers: Record<string, string> = { a: '1' }
    const made = new Light('x', { headers })
    headers['a'] = '2'
    expect(made.headers.get('a')).toBe('1')
    expect(await made.text()).toBe('x')
  })

  it('copies a bytes body: a change to the bytes afterwards is not seen', () => {
    const bytes = new Uint8Array([104, 105])
    const made = new Light(bytes)
    bytes[0] = 0
    expect(isUnbuilt(made)).toBe(true)
    expect(takeLight(made)?.body).toEqual(new Uint8Array([104, 105]))
  })

  it('is a Response, and so is what fetch() and the statics give', async () => {
    const made = new Light('x')
    expect(made).toBeInstanceOf(Light)
    expect(made).toBeInstanceOf(Native)
    expect(Object.prototype.toString.call(made)).toBe('[object Response]')
    expect(Light.json({ a: 1 })).toBeInstanceOf(Light)
    expect(await Light.json({ a: 1 }).text()).toBe('{"a":1}')
    expect(Light.error().type).toBe('error')
    expect(Light.redirect('http://x.invalid/', 302).headers.get('location')).toBe(
      'http://x.invalid/',
    )
    expect(await fetch('data:text/plain,hey')).toBeInstanceOf(Light)
    expect({}).not.toBeInstanceOf(Light)
    // A runtime object made through the light class is the runtime's through and through.
    const runtime = new Light(new Blob(['x']).stream())
    expect(runtime.constructor).toBe(Native)
    expect(Object.getPrototypeOf(runtime)).toBe(Native.prototype)
  })

  it('keeps a subclass whole: its own members, the runtime behind it', async () => {
    class Tagged extends Light {
      tag(): string {
        return 'tagged'
      }
    }
    const made = new Tagged('body', { status: 203 })
    expect(made.tag()).toBe('tagged')
    expect(made).toBeInstanceOf(Tagged)
    expect(made.status).toBe(203)
    expect(await made.text()).toBe('body')
  })

  it('builds the runtime Response only for members beyond its parts, once', async () => {
    const made = new Light('abc', { status: 201, headers: { x: 'y' } })
    expect([made.status, made.ok, made.statusText, made.type, made.url, made.redirected]).toEqual([
      201,
      true,
      '',
      'default',
      '',
      false,
    ])
    made.headers.set('x', 'z')
    expect(isUnbuilt(made)).toBe(true)
    const clone = made.clone()
    expect(isUnbuilt(made)).toBe(false)
    expect(clone).toBeInstanceOf(Native)
    expect(made.headers.get('x')).toBe('z')
    expect(await clone.text()).toBe('abc')
    expect(await made.text()).toBe('abc')
    await expect(made.text()).rejects.toThrow(TypeError)
  })

  it('lets a Content-Type deleted through headers stay deleted', async () => {
    const made = new Light('abc')
    made.headers.delete('content-type')
    expect(made.headers.has('content-type')).toBe(false)
    expect(made.body).not.toBeNull()
    expect(made.headers.has('content-type')).toBe(false)
    expect(await made.text()).toBe('abc')
  })

  it('gives fromFetch its parts once, in the order the runtime iterates, and counts the body read', async () => {
    const made = new Light('hello', {
      status: 202,
      headers: [
        ['x-b', '1'],
        ['Set-Cookie', 'a=1'],
        ['x-a', '2'],
        ['x-b', '3'],
        ['set-cookie', 'b=2'],
      ],
    })
    const parts = takeLight(made)
    expect(parts?.status).toBe(202)
    expect(parts?.body).toBe('hello')
    const native = new Native('hello', { headers: made.headers })
    expect([...(parts?.headers ?? [])]).toEqual([...native.headers])
    expect(parts?.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(parts?.headers.get('x-b')).toBe('1, 3')
    expect(parts?.headers.get('connection')).toBeNull()
    expect(takeLight(made)).toBeUndefined()
    expect(made.bodyUsed).toBe(true)
    await expect(made.text()).rejects.toThrow(TypeError)
  })

  it('gives the changed headers when they were changed before', () => {
    const made = new Light('x')
    made.headers.append('vary', 'accept')
    expect([...(takeLight(made)?.headers ?? [])]).toContainEqual(['vary', 'accept'])
  })

  it('gives no parts once the runtime Response is built, nor for anything else', async () => {
    const made = new Light('x')
    await made.text()
    expect(takeLight(made)).toBeUndefined()
    expect(takeLight(new Native('x'))).toBeUndefined()
    expect(takeLight(new Light(new Blob(['x']).stream()))).toBeUndefined()
    expect(takeLight({ status: 200 })).toBeUndefined()
  })

  it('takes the place of the global Response, once, and not over another replacement', () => {
    expect(overrideGlobalResponse()).toBe(true)
    expect(globalThis.Response).toBe(Light)
    expect(overrideGlobalResponse()).toBe(true)
    expect(isUnbuilt(new Response('x'))).toBe(true)
    const other = function Other() {
      // Another library's Response.
    }
    Object.defineProperty(globalThis, 'Response', {
      value: other,
      writable: true,
      configurable: true,
    })
    expect(overrideGlobalResponse()).toBe(false)
    expect(globalThis.Response).toBe(other)
  })
})
