import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import type * as FsPromises from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'

import { makeServer } from '../simple-server/index.ts'
import { staticFiles } from './index.ts'
import type { StaticFilesOptions } from './index.ts'
import { evaluatePreconditions, parseRange } from './conditional.ts'
import { contentTypeOf } from './content-types.ts'
import { TestClient } from '../testing/index.ts'
import type { TestRequestOptions } from '../testing/index.ts'
import type { FileWrapper as FileWrapperFn, WSGIApplication } from '../types.ts'
import { FileWrapper } from '../util.ts'
import { StringErrorStream } from '../_internal/error-stream.ts'

// Every file the middleware opens is recorded, so each test can check that all were closed
// (a FileHandle's fd becomes -1 once closed).
const opened = vi.hoisted(() => [] as FileHandle[])
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>()
  return {
    ...actual,
    open: async (...args: Parameters<typeof actual.open>): Promise<FileHandle> => {
      const handle = await actual.open(...args)
      opened.push(handle)
      return handle
    },
  }
})

const MTIME = new Date('2020-01-02T03:04:05Z')
const LAST_MODIFIED = 'Thu, 02 Jan 2020 03:04:05 GMT'
const HELLO = 'Hello, static world!\n' // 21 bytes
const BIG = new Uint8Array(200_000).map((_, i) => i % 251)

let base = ''
let root = ''

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'wsgits-static-'))
  root = join(base, 'public')
  await mkdir(join(root, 'docs'), { recursive: true })
  await mkdir(join(root, 'empty-dir'))
  await mkdir(join(root, '.git'))
  await mkdir(join(base, 'outside'))
  const files: [string, string | Uint8Array][] = [
    ['public/hello.txt', HELLO],
    ['public/style.CSS', 'body{}'],
    ['public/big.bin', BIG],
    ['public/empty.txt', ''],
    ['public/noext', 'x'],
    ['public/docs/index.html', '<h1>docs</h1>'],
    ['public/docs/page.html', '<p>page</p>'],
    ['public/.env', 'SECRET=1'],
    ['public/.git/config', '[core]'],
    ['public/caf\u00e9.txt', 'utf-8 name'],
    ['public/a b.txt', 'space'],
    ['secret.txt', 'TOP SECRET'],
    ['outside/file.txt', 'outside'],
  ]
  for (const [name, content] of files) {
    const path = join(base, name)
    await writeFile(path, content)
    await utimes(path, MTIME, MTIME)
  }
  await symlink(join(base, 'secret.txt'), join(root, 'link-out.txt'))
  await symlink(join(base, 'outside'), join(root, 'link-dir'))
  await symlink(join(root, 'hello.txt'), join(root, 'link-in.txt'))
})

afterAll(async () => {
  await rm(base, { recursive: true, force: true })
})

afterEach(() => {
  const leaked = opened.filter((handle) => handle.fd !== -1)
  opened.length = 0
  expect(leaked).toEqual([])
})

const fallback: WSGIApplication = (environ, startResponse) => {
  startResponse('404 Not Found', [['Content-Type', 'text/plain']])
  return [new TextEncoder().encode(`app: ${environ.REQUEST_METHOD} ${environ.PATH_INFO ?? ''}`)]
}

function client(options: StaticFilesOptions = {}, mounts?: Record<string, string>): TestClient {
  return new TestClient(staticFiles(fallback, mounts ?? { '/static': root }, options))
}

const get = (path: string, options?: TestRequestOptions, sf?: StaticFilesOptions) =>
  client(sf).get(path, options)

describe('staticFiles(app, mounts, options)', () => {
  it('serves a file with its type, length, validators and Accept-Ranges', async () => {
    const res = await get('/static/hello.txt')
    expect(res.status).toBe('200 OK')
    expect(res.text()).toBe(HELLO)
    expect(res.headers.items()).toEqual([
      ['Content-Type', 'text/plain; charset=utf-8'],
      ['Content-Length', '21'],
      ['Accept-Ranges', 'bytes'],
      ['ETag', `W/"15-${MTIME.getTime().toString(16)}"`],
      ['Last-Modified', LAST_MODIFIED],
    ])
  })

  it('streams a large file in blocks of blockSize', async () => {
    const res = await client({ blockSize: 65536 }).stream('GET', '/static/big.bin')
    const sizes: number[] = []
    const received: Uint8Array[] = []
    for await (const chunk of res) {
      sizes.push(chunk.length)
      received.push(chunk)
    }
    expect(sizes).toEqual([65536, 65536, 65536, 3392])
    expect(Buffer.concat(received).equals(BIG)).toBe(true)
  })

  it('closes the file when the reader stops early', async () => {
    const res = await client({ blockSize: 1024 }).stream('GET', '/static/big.bin')
    for await (const chunk of res) {
      expect(chunk.length).toBe(1024)
      break
    }
    expect(opened.map((h) => h.fd)).toEqual([-1])
  })

  it.each([
    ['a path outside every prefix', 'GET', '/other/hello.txt'],
    ['a path that only starts like the prefix', 'GET', '/statichello.txt'],
    ['a POST', 'POST', '/static/hello.txt'],
    ['a DELETE', 'DELETE', '/static/hello.txt'],
    ['a missing file', 'GET', '/static/missing.txt'],
    ['a file below a file', 'GET', '/static/hello.txt/x'],
    ['a file asked for as a directory', 'GET', '/static/hello.txt/'],
    ['a directory without index', 'GET', '/static/docs/'],
    ['a dotfile', 'GET', '/static/.env'],
    ['a file in a dot-directory', 'GET', '/static/.git/config'],
  ])('passes %s to the app', async (_what, method, path) => {
    const res = await client().request(method, path)
    expect(res.text()).toBe(`app: ${method} ${path}`)
  })

  it('answers 404 itself for a missing file with fallthrough: false', async () => {
    const res = await get('/static/missing.txt', {}, { fallthrough: false })
    expect(res.statusCode).toBe(404)
    expect(res.text()).toBe('Not Found\n')
  })

  it('serves dotfiles with dotfiles: allow', async () => {
    expect((await get('/static/.env', {}, { dotfiles: 'allow' })).text()).toBe('SECRET=1')
  })

  it('answers HEAD with the headers of GET and no body', async () => {
    const res = await client().head('/static/hello.txt')
    expect(res.headers.get('Content-Length')).toBe('21')
    expect(res.body.length).toBe(0)
  })

  it.each([
    ['hello.txt', HELLO],
    ['caf%C3%A9.txt', 'utf-8 name'],
    ['a%20b.txt', 'space'],
    ['link-in.txt', HELLO],
    ['empty.txt', ''],
  ])('serves /static/%s', async (name, content) => {
    expect((await get(`/static/${name}`)).text()).toBe(content)
  })

  it('serves through its own FileWrapper when the server offers no wsgi.file_wrapper', async () => {
    const res = await get('/static/hello.txt', { environ: { 'wsgi.file_wrapper': undefined } })
    expect(res.text()).toBe(HELLO)
  })

  it('builds the body with the server’s wsgi.file_wrapper', async () => {
    const calls: number[] = []
    const wrapper: FileWrapperFn = (filelike, blockSize) => {
      calls.push(blockSize ?? 0)
      return new FileWrapper(filelike, blockSize)
    }
    const res = await client({ blockSize: 7 }).get('/static/hello.txt', {
      environ: { 'wsgi.file_wrapper': wrapper },
    })
    expect(res.text()).toBe(HELLO)
    expect(calls).toEqual([7])
  })

  it('picks the longest prefix, and serves a root mount', async () => {
    const nested = client(
      {},
      { '/static': join(base, 'outside'), '/static/docs': join(root, 'docs') },
    )
    expect((await nested.get('/static/docs/page.html')).text()).toBe('<p>page</p>')
    expect((await nested.get('/static/file.txt')).text()).toBe('outside')
    const atRoot = client({}, { '/': root })
    expect((await atRoot.get('/hello.txt')).text()).toBe(HELLO)
  })

  it('falls through when the directory itself is missing', async () => {
    const res = await client({}, { '/static': join(base, 'nowhere') }).get('/static/hello.txt')
    expect(res.text()).toBe('app: GET /static/hello.txt')
  })
})

describe('staticFiles path safety', () => {
  it.each([
    ['%2e%2e', '/static/%2e%2e/secret.txt'],
    ['%2E%2E%2F', '/static/%2E%2E%2Fsecret.txt'],
    ['..%2f', '/static/..%2fsecret.txt'],
    ['a raw ..', '/static/../secret.txt'],
    ['.. deeper down', '/static/docs/../../secret.txt'],
    ['%2e', '/static/%2e/hello.txt'],
    ['a backslash', '/static/..\\secret.txt'],
    ['an encoded backslash', '/static/..%5csecret.txt'],
    ['an empty segment', '/static//etc/passwd'],
    ['an encoded absolute path', '/static/%2Fetc%2Fpasswd'],
    ['malformed UTF-8', '/static/%ff.txt'],
    ['a symlink to a file outside', '/static/link-out.txt'],
    ['a symlink to a directory outside', '/static/link-dir/file.txt'],
  ])('answers 404 for %s, without calling the app', async (_what, path) => {
    const res = await get(path)
    expect(res.status).toBe('404 Not Found')
    expect(res.text()).toBe('Not Found\n')
  })

  it('answers 404 for the absolute path of a file outside', async () => {
    const res = await get(`/static/${join(base, 'secret.txt')}`)
    expect(res.statusCode).toBe(404)
    expect(res.text()).not.toContain('SECRET')
  })

  it.each(['/static/hello.txt%00.png', '/static/%00', '/static/a%00/../secret.txt'])(
    'answers 400 for a NUL byte in %s',
    async (path) => {
      const res = await get(path)
      expect(res.status).toBe('400 Bad Request')
    },
  )

  it('refuses an index that is a symlink out of the directory', async () => {
    const dir = join(root, 'trap')
    await mkdir(dir, { recursive: true })
    await symlink(join(base, 'secret.txt'), join(dir, 'index.html'))
    const res = await get('/static/trap/', {}, { index: 'index.html' })
    expect(res.statusCode).toBe(404)
    await rm(dir, { recursive: true })
  })
})

describe('staticFiles index', () => {
  it('serves the index of a directory', async () => {
    expect((await get('/static/docs/', {}, { index: 'index.html' })).text()).toBe('<h1>docs</h1>')
  })

  it('redirects a directory without its trailing slash, keeping SCRIPT_NAME and the query', async () => {
    const res = await get('/static/docs?x=1', { scriptName: '/site' }, { index: 'index.html' })
    expect(res.status).toBe('301 Moved Permanently')
    expect(res.headers.get('Location')).toBe('/site/static/docs/?x=1')
  })

  it('redirects the mount itself to its slash', async () => {
    const res = await get('/static', {}, { index: 'index.html' })
    expect(res.headers.get('Location')).toBe('/static/')
  })

  it('falls through for a directory without the index file', async () => {
    const res = await get('/static/empty-dir/', {}, { index: 'index.html' })
    expect(res.text()).toBe('app: GET /static/empty-dir/')
  })
})

describe('staticFiles conditional requests', () => {
  const etag = `W/"15-${MTIME.getTime().toString(16)}"`

  it.each([
    ['the same weak ETag', { 'If-None-Match': etag }],
    ['the ETag as a strong tag', { 'If-None-Match': etag.slice(2) }],
    ['the ETag in a list', { 'If-None-Match': `"x", ${etag}` }],
    ['*', { 'If-None-Match': '*' }],
    ['an If-Modified-Since equal to Last-Modified', { 'If-Modified-Since': LAST_MODIFIED }],
    ['a later If-Modified-Since', { 'If-Modified-Since': 'Fri, 01 Jan 2021 00:00:00 GMT' }],
  ])('answers 304 to %s', async (_what, headers) => {
    const res = await get('/static/hello.txt', { headers })
    expect(res.status).toBe('304 Not Modified')
    expect(res.body.length).toBe(0)
    expect(res.headers.items()).toEqual([
      ['ETag', etag],
      ['Last-Modified', LAST_MODIFIED],
    ])
  })

  it.each([
    ['another ETag', { 'If-None-Match': '"other"' }],
    ['an earlier If-Modified-Since', { 'If-Modified-Since': 'Wed, 01 Jan 2020 00:00:00 GMT' }],
    ['an If-Modified-Since that is no date', { 'If-Modified-Since': 'yesterday' }],
    [
      'a stale If-None-Match with a fresh If-Modified-Since',
      { 'If-None-Match': '"other"', 'If-Modified-Since': LAST_MODIFIED },
    ],
  ])('answers 200 to %s', async (_what, headers) => {
    const res = await get('/static/hello.txt', { headers })
    expect(res.status).toBe('200 OK')
    expect(res.text()).toBe(HELLO)
  })

  it('sends strong ETags, no ETag, no Last-Modified, and Cache-Control as told', async () => {
    const strong = await get('/static/hello.txt', {}, { etag: 'strong' })
    expect(strong.headers.get('ETag')).toBe(etag.slice(2))
    const bare = await get(
      '/static/hello.txt',
      { headers: { 'If-Modified-Since': LAST_MODIFIED } },
      { etag: false, lastModified: false, cacheControl: 'public, max-age=60' },
    )
    expect(bare.status).toBe('200 OK')
    expect(bare.headers.has('ETag')).toBe(false)
    expect(bare.headers.has('Last-Modified')).toBe(false)
    expect(bare.headers.get('Cache-Control')).toBe('public, max-age=60')
  })
})

describe('staticFiles ranges', () => {
  it.each([
    ['bytes=0-4', 'Hello', 'bytes 0-4/21'],
    ['bytes=7-', 'static world!\n', 'bytes 7-20/21'],
    ['bytes=-7', 'world!\n', 'bytes 14-20/21'],
    ['bytes=-100', HELLO, 'bytes 0-20/21'],
    ['bytes=19-1000', '!\n', 'bytes 19-20/21'],
    ['BYTES = 0-0', 'H', 'bytes 0-0/21'],
  ])('answers %s with 206', async (range, body, contentRange) => {
    const res = await get('/static/hello.txt', { headers: { Range: range } })
    expect(res.status).toBe('206 Partial Content')
    expect(res.text()).toBe(body)
    expect(res.headers.get('Content-Range')).toBe(contentRange)
    expect(res.headers.get('Content-Length')).toBe(String(body.length))
  })

  it.each(['bytes=21-', 'bytes=100-200', 'bytes=-0'])('answers %s with 416', async (range) => {
    const res = await get('/static/hello.txt', { headers: { Range: range } })
    expect(res.status).toBe('416 Range Not Satisfiable')
    expect(res.headers.get('Content-Range')).toBe('bytes */21')
  })

  it('answers 416 to any range of an empty file', async () => {
    const res = await get('/static/empty.txt', { headers: { Range: 'bytes=0-' } })
    expect(res.statusCode).toBe(416)
  })

  it.each([
    ['several ranges', 'bytes=0-1, 5-6', undefined],
    ['another unit', 'items=0-1', undefined],
    ['a reversed range', 'bytes=5-1', undefined],
    ['garbage', 'bytes=abc', undefined],
    ['an If-Range with another ETag', 'bytes=0-4', '"other"'],
    ['an If-Range with a weak ETag', 'bytes=0-4', `W/"15-${MTIME.getTime().toString(16)}"`],
    ['an If-Range with another date', 'bytes=0-4', 'Wed, 01 Jan 2020 00:00:00 GMT'],
  ])('sends the whole file for %s', async (_what, range, ifRange) => {
    const headers: Record<string, string> = { Range: range }
    if (ifRange !== undefined) headers['If-Range'] = ifRange
    const res = await get('/static/hello.txt', { headers })
    expect(res.status).toBe('200 OK')
    expect(res.text()).toBe(HELLO)
  })

  it('honours an If-Range naming the strong ETag or the Last-Modified date', async () => {
    const strong = `"15-${MTIME.getTime().toString(16)}"`
    const byTag = await get(
      '/static/hello.txt',
      { headers: { Range: 'bytes=0-4', 'If-Range': strong } },
      { etag: 'strong' },
    )
    expect(byTag.status).toBe('206 Partial Content')
    const byDate = await get('/static/hello.txt', {
      headers: { Range: 'bytes=0-4', 'If-Range': LAST_MODIFIED },
    })
    expect(byDate.text()).toBe('Hello')
  })

  it('ignores Range on HEAD', async () => {
    const res = await client().head('/static/hello.txt', { headers: { Range: 'bytes=0-4' } })
    expect(res.status).toBe('200 OK')
    expect(res.headers.get('Content-Length')).toBe('21')
  })

  it('serves a range of a large file in blocks', async () => {
    const res = await get(
      '/static/big.bin',
      { headers: { Range: 'bytes=100000-199999' } },
      {
        blockSize: 30000,
      },
    )
    expect(res.body.length).toBe(100000)
    expect(Buffer.from(res.body).equals(BIG.subarray(100000, 200000))).toBe(true)
  })
})

describe('staticFiles content types', () => {
  it.each([
    ['/static/hello.txt', 'text/plain; charset=utf-8'],
    ['/static/style.CSS', 'text/css; charset=utf-8'],
    ['/static/docs/page.html', 'text/html; charset=utf-8'],
    ['/static/big.bin', 'application/octet-stream'],
    ['/static/noext', 'application/octet-stream'],
  ])('sends %s as %s', async (path, type) => {
    expect((await get(path)).headers.get('Content-Type')).toBe(type)
  })

  it('takes extra types from options.contentTypes', async () => {
    const res = await get('/static/big.bin', {}, { contentTypes: { bin: 'application/x-test' } })
    expect(res.headers.get('Content-Type')).toBe('application/x-test')
  })

  it.each([
    ['.js', 'text/javascript; charset=utf-8'],
    ['json', 'application/json'],
    ['.SVG', 'image/svg+xml'],
    ['.woff2', 'font/woff2'],
    ['.wasm', 'application/wasm'],
    ['.toString', 'application/octet-stream'],
    ['', 'application/octet-stream'],
  ])('contentTypeOf(%j) is %s', (ext, type) => {
    expect(contentTypeOf(ext)).toBe(type)
  })
})

describe('staticFiles options', () => {
  it.each([
    ['a prefix without /', { static: root }, {}],
    ['a directory that is not a string', { '/s': 42 as unknown as string }, {}],
    ['an index with a slash', { '/s': root }, { index: 'a/index.html' }],
    ['a blockSize of 0', { '/s': root }, { blockSize: 0 }],
  ])('rejects %s with ERR_WSGI_INVALID_ARG_TYPE', (_what, mounts, options) => {
    expect(() => staticFiles(fallback, mounts, options)).toThrow(
      expect.objectContaining({ code: 'ERR_WSGI_INVALID_ARG_TYPE' }),
    )
  })
})

describe('parseRange(header, size) and evaluatePreconditions(p)', () => {
  it.each([
    ['bytes=0-0', 10, { start: 0, end: 0 }],
    ['bytes=9-', 10, { start: 9, end: 9 }],
    ['bytes=10-', 10, 'unsatisfiable'],
    ['bytes=-1', 10, { start: 9, end: 9 }],
    ['bytes=-', 10, undefined],
    ['bytes=1-2,3-4', 10, undefined],
    ['bytes=99999999999999999999-', 10, 'unsatisfiable'],
  ])('reads %j of %i bytes as %j', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected)
  })

  it('lets If-None-Match decide alone, and ignores a date that does not parse', () => {
    const p = { etag: '"a"', mtime: 100 }
    expect(
      evaluatePreconditions({
        ...p,
        ifNoneMatch: '"b"',
        ifModifiedSince: 'Thu, 01 Jan 2099 00:00:00 GMT',
      }),
    ).toBe('send')
    expect(evaluatePreconditions({ ...p, ifNoneMatch: undefined, ifModifiedSince: 'nope' })).toBe(
      'send',
    )
    expect(
      evaluatePreconditions({
        etag: undefined,
        mtime: 1,
        ifNoneMatch: '"a"',
        ifModifiedSince: undefined,
      }),
    ).toBe('send')
  })
})

describe('staticFiles over the simple server (end to end)', () => {
  it('serves a file, a range and a 304 through fetch', async () => {
    const server = await makeServer('127.0.0.1', 0, staticFiles(fallback, { '/static': root }))
    server.stderr = new StringErrorStream()
    try {
      const url = `http://127.0.0.1:${server.serverPort}/static/hello.txt`
      const full = await fetch(url)
      expect(full.status).toBe(200)
      expect(full.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect(await full.text()).toBe(HELLO)
      const etag = full.headers.get('etag') ?? ''
      const partial = await fetch(url, { headers: { Range: 'bytes=7-12' } })
      expect(partial.status).toBe(206)
      expect(await partial.text()).toBe('static')
      const cached = await fetch(url, { headers: { 'If-None-Match': etag } })
      expect(cached.status).toBe(304)
      const escape = await fetch(`http://127.0.0.1:${server.serverPort}/static/%2e%2e/secret.txt`)
      expect(escape.status).toBe(404)
      expect(await escape.text()).not.toContain('SECRET')
    } finally {
      await server.shutdown()
    }
  })
})
