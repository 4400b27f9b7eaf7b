/**
 * Property tests (fast-check) for the latin-1 helpers, `Headers` and the URL/path utilities:
 * invariants that must hold for every input, not only for the ported CPython vectors.
 *
 * @module
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import {
  bytesToLatin1,
  latin1ToBytes,
  latin1ToUTF8,
  normpath,
  quoteLatin1,
  unquoteLatin1,
  utf8ToLatin1,
} from '../src/_internal/latin1.ts'
import { Headers } from '../src/headers.ts'
import type { HeaderList, HeaderTuple } from '../src/types.ts'
import { applicationURI, requestURI, shiftPathInfo } from '../src/util.ts'

const latin1Char = fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c))
const latin1String = fc.string({ unit: latin1Char })

// RFC 9110 token characters, so a name never holds ':' and a header line parses back.
const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
const tchar = fc.integer({ min: 0, max: TCHARS.length - 1 }).map((i) => TCHARS.charAt(i))
const headerName = fc.string({ unit: tchar, minLength: 1, maxLength: 12 })
// Everything Headers accepts in a value: latin-1 without controls, HTAB allowed.
const valueChar = latin1Char.filter((c) => {
  const code = c.charCodeAt(0)
  return code === 0x09 || (code >= 0x20 && code !== 0x7f)
})
const headerValue = fc.string({ unit: valueChar, maxLength: 20 })
const headerList = fc.array(fc.tuple(headerName, headerValue), { maxLength: 10 })

function parseBlock(block: string): HeaderList {
  expect(block.endsWith('\r\n')).toBe(true)
  const lines = block.slice(0, -2).split('\r\n')
  lines.pop() // the '' after the last header's CRLF (or the only element of an empty block)
  return lines.map((line): HeaderTuple => {
    const at = line.indexOf(': ')
    return [line.slice(0, at), line.slice(at + 2)]
  })
}

const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase())

describe('latin-1 helpers (properties)', () => {
  it('bytesToLatin1 and latin1ToBytes are inverse on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), (bytes) => {
        const s = bytesToLatin1(bytes)
        expect(s.length).toBe(bytes.length)
        expect(latin1ToBytes(s)).toEqual(bytes)
      }),
      { numRuns: 200 },
    )
  })

  it('latin1ToBytes and bytesToLatin1 are inverse on any latin-1 string', () => {
    fc.assert(
      fc.property(latin1String, (s) => {
        expect(bytesToLatin1(latin1ToBytes(s))).toBe(s)
      }),
    )
  })

  it('unquoteLatin1 undoes quoteLatin1 for any latin-1 string and safe set', () => {
    fc.assert(
      fc.property(latin1String, fc.constantFrom('/', '', '/;=,', ':@'), (s, safe) => {
        const quoted = quoteLatin1(s, safe)
        expect(quoted).toMatch(/^[\x21-\x7e]*$/)
        expect(unquoteLatin1(quoted)).toBe(s)
      }),
    )
  })

  it('latin1ToUTF8 undoes utf8ToLatin1 for any well-formed text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(latin1ToUTF8(utf8ToLatin1(text))).toBe(text)
      }),
    )
  })
})

describe('normpath(p) (properties)', () => {
  const pathPart = fc.constantFrom('a', 'b', '.', '..', '', '...', 'x y')
  const path = fc.array(pathPart, { maxLength: 8 }).map((parts) => parts.join('/'))

  it('is idempotent', () => {
    fc.assert(
      fc.property(path, (p) => {
        expect(normpath(normpath(p))).toBe(normpath(p))
      }),
    )
  })

  it('leaves no empty or "." segment and no trailing slash', () => {
    fc.assert(
      fc.property(path, (p) => {
        const n = normpath(p)
        if (n === '/' || n === '//' || n === '.') return
        const body = n.replace(/^\/{1,2}/, '')
        expect(body.split('/').every((seg) => seg !== '' && seg !== '.')).toBe(true)
      }),
    )
  })
})

describe('Headers (properties)', () => {
  it('toString() parses back to items()', () => {
    fc.assert(
      fc.property(headerList, (list) => {
        const h = new Headers(list)
        expect(parseBlock(h.toString())).toEqual(h.items())
        expect(bytesToLatin1(h.toBytes())).toBe(h.toString())
      }),
    )
  })

  it('getAll, get and has agree with an ASCII-case-insensitive filter', () => {
    fc.assert(
      fc.property(headerList, headerName, (list, name) => {
        const h = new Headers(list)
        const expected = list.filter(([k]) => asciiLower(k) === asciiLower(name)).map(([, v]) => v)
        expect(h.getAll(name)).toEqual(expected)
        expect(h.get(name)).toBe(expected[0])
        expect(h.has(name)).toBe(expected.length > 0)
      }),
    )
  })

  it('set() leaves exactly one header of that name, last, and keeps the others in order', () => {
    fc.assert(
      fc.property(headerList, headerName, headerValue, (list, name, value) => {
        const others = list.filter(([k]) => asciiLower(k) !== asciiLower(name))
        const h = new Headers(list.slice())
        h.set(name, value)
        expect(h.items()).toEqual([...others, [name, value]])
      }),
    )
  })
})

describe('URL utilities (properties)', () => {
  const segment = fc.string({ unit: latin1Char.filter((c) => c !== '/'), maxLength: 6 })
  const absolute = fc.array(segment, { maxLength: 5 }).map((s) => s.map((x) => `/${x}`).join(''))
  const base = { 'wsgi.url_scheme': 'http', HTTP_HOST: 'example.com' }

  it('requestURI() is applicationURI() plus the quoted PATH_INFO, which unquotes back', () => {
    fc.assert(
      fc.property(absolute, absolute, (scriptName, pathInfo) => {
        const environ = { ...base, SCRIPT_NAME: scriptName, PATH_INFO: pathInfo }
        const uri = requestURI(environ, false)
        expect(uri.startsWith(applicationURI(environ))).toBe(true)
        const path = unquoteLatin1(uri.slice('http://example.com'.length))
        expect(path).toBe(scriptName + pathInfo === '' ? '/' : scriptName + pathInfo)
      }),
    )
  })

  it('requestURI() appends ?QUERY_STRING verbatim when it is not empty', () => {
    fc.assert(
      fc.property(absolute, latin1String, (pathInfo, query) => {
        const environ = { ...base, SCRIPT_NAME: '/app', PATH_INFO: pathInfo, QUERY_STRING: query }
        const bare = requestURI(environ, false)
        expect(requestURI(environ)).toBe(query === '' ? bare : `${bare}?${query}`)
      }),
    )
  })

  // Segments that shifting never normalises away, so the request URI must not change.
  const cleanSegment = fc.string({
    unit: latin1Char.filter((c) => c !== '/'),
    minLength: 1,
    maxLength: 5,
  })
  const cleanPath = fc
    .array(
      cleanSegment.filter((s) => s !== '.' && s !== '..'),
      { maxLength: 4 },
    )
    .map((s) => s.map((x) => `/${x}`).join(''))

  // SCRIPT_NAME keeps only '/' unquoted while PATH_INFO also keeps ';=,' (as in CPython), so
  // the quoted form may change when a segment moves over; what it designates must not.
  it('shifting clean paths keeps the unquoted requestURI() unchanged', () => {
    fc.assert(
      fc.property(cleanPath, cleanPath, fc.boolean(), (scriptName, pathInfo, slash) => {
        const environ: Record<string, unknown> = {
          ...base,
          SCRIPT_NAME: scriptName,
          PATH_INFO: pathInfo + (slash ? '/' : ''),
        }
        const before = unquoteLatin1(requestURI(environ))
        while (shiftPathInfo(environ) !== undefined) {
          expect(unquoteLatin1(requestURI(environ))).toBe(before)
        }
        expect(unquoteLatin1(requestURI(environ))).toBe(before)
        expect(environ['PATH_INFO']).toBe('')
      }),
    )
  })

  // Collapses the leading slashes so that normpath's special '//' does not count as a change.
  const resolved = (p: string): string => normpath(`/${p}`.replace(/^\/+/, '/'))
  const messySegment = fc.constantFrom('a', 'b', '.', '..', '', 'x y', '%2e')
  const messyPath = fc
    .array(messySegment, { maxLength: 6 })
    .map((s) => s.map((x) => `/${x}`).join(''))

  it('shifting never loses path: SCRIPT_NAME + PATH_INFO resolves the same, and it terminates', () => {
    fc.assert(
      fc.property(messyPath, messyPath, (scriptName, pathInfo) => {
        const environ: Record<string, unknown> = { SCRIPT_NAME: scriptName, PATH_INFO: pathInfo }
        const target = resolved(scriptName + pathInfo)
        for (;;) {
          const before = environ['PATH_INFO'] as string
          if (before === '') {
            expect(shiftPathInfo(environ)).toBeUndefined()
            break
          }
          shiftPathInfo(environ)
          const sn = environ['SCRIPT_NAME'] as string
          const pi = environ['PATH_INFO'] as string
          // Each shift strictly shortens PATH_INFO, so the loop ends.
          expect(pi.length).toBeLessThan(before.length)
          expect(sn === '' || sn.startsWith('/')).toBe(true)
          expect(resolved(sn + pi)).toBe(target)
        }
      }),
    )
  })
})
