import { describe, expect, it } from 'vitest'

import { CookieJar, parseSetCookie } from './cookies.ts'

const NOW = Date.parse('2030-01-01T00:00:00Z')
const url = (href: string): URL => new URL(href)

describe('parseSetCookie(header, url, now)', () => {
  it.each([
    [
      'a=1',
      'http://h.test/x/y',
      { name: 'a', value: '1', path: '/x', domain: 'h.test', hostOnly: true },
    ],
    ['a=1', 'http://h.test/x', { path: '/' }],
    ['a=1', 'http://h.test/', { path: '/' }],
    ['a=1; Path=/p', 'http://h.test/x/y', { path: '/p' }],
    ['a=1; path=relative', 'http://h.test/x/y', { path: '/x' }],
    [
      ' a = 1 ; Secure; HttpOnly; SameSite=Lax',
      'http://h.test/',
      { name: 'a', value: '1', secure: true, httpOnly: true, sameSite: 'Lax' },
    ],
    ['a=x=y', 'http://h.test/', { value: 'x=y' }],
    ['a=', 'http://h.test/', { value: '' }],
    ['a=1; Domain=.H.test', 'http://www.h.test/', { domain: 'h.test', hostOnly: false }],
    ['a=1; Domain=', 'http://h.test/', { domain: 'h.test', hostOnly: true }],
  ])('reads %j from %s', (header, href, expected) => {
    expect(parseSetCookie(header, url(href), NOW)).toMatchObject(expected)
  })

  it.each([
    ['no equals sign', 'novalue'],
    ['an empty name', '=1'],
    ['a domain the host is not in', 'a=1; Domain=other.test'],
    ['a domain that only ends like the host', 'a=1; Domain=xh.test'],
  ])('ignores a header with %s', (_what, header) => {
    expect(parseSetCookie(header, url('http://h.test/'), NOW)).toBeUndefined()
  })

  it('takes Max-Age over Expires, in seconds from now', () => {
    const cookie = parseSetCookie(
      'a=1; Expires=Thu, 01 Jan 2099 00:00:00 GMT; Max-Age=60',
      url('http://h.test/'),
      NOW,
    )
    expect(cookie?.expires).toBe(NOW + 60_000)
  })

  it.each(['0', '-5'])('expires the cookie at once for Max-Age=%s', (maxAge) => {
    expect(parseSetCookie(`a=1; Max-Age=${maxAge}`, url('http://h.test/'), NOW)?.expires).toBe(0)
  })

  it('reads Expires as a date and ignores one that does not parse', () => {
    const h = url('http://h.test/')
    expect(parseSetCookie('a=1; Expires=Wed, 09 Jun 2021 10:18:14 GMT', h, NOW)?.expires).toBe(
      Date.parse('2021-06-09T10:18:14Z'),
    )
    expect(parseSetCookie('a=1; Expires=soon', h, NOW)?.expires).toBeUndefined()
  })
})

describe('CookieJar', () => {
  it('sends a cookie back to its host and path only', () => {
    const jar = new CookieJar()
    jar.storeResponseCookies(['a=1; Path=/app'], url('http://h.test/app/login'))
    expect(jar.cookieHeader(url('http://h.test/app'))).toBe('a=1')
    expect(jar.cookieHeader(url('http://h.test/app/x/y'))).toBe('a=1')
    expect(jar.cookieHeader(url('http://h.test/apple'))).toBeUndefined()
    expect(jar.cookieHeader(url('http://h.test/'))).toBeUndefined()
    expect(jar.cookieHeader(url('http://sub.h.test/app'))).toBeUndefined()
  })

  it('sends a Domain cookie to subdomains too', () => {
    const jar = new CookieJar()
    jar.storeResponseCookies(['a=1; Domain=h.test'], url('http://h.test/'))
    expect(jar.cookieHeader(url('http://sub.h.test/'))).toBe('a=1')
    expect(jar.cookieHeader(url('http://other.test/'))).toBeUndefined()
  })

  it('sends a Secure cookie over https only', () => {
    const jar = new CookieJar()
    jar.storeResponseCookies(['a=1; Secure'], url('https://h.test/'))
    expect(jar.cookieHeader(url('http://h.test/'))).toBeUndefined()
    expect(jar.cookieHeader(url('https://h.test/'))).toBe('a=1')
  })

  it('puts cookies with longer paths first', () => {
    const jar = new CookieJar()
    jar.storeResponseCookies(
      ['a=root; Path=/', 'b=deep; Path=/x/y', 'c=mid; Path=/x'],
      url('http://h.test/'),
    )
    expect(jar.cookieHeader(url('http://h.test/x/y/z'))).toBe('b=deep; c=mid; a=root')
  })

  it('replaces a cookie of the same name, domain and path, and deletes it with Max-Age=0', () => {
    const jar = new CookieJar()
    const h = url('http://h.test/')
    jar.storeResponseCookies(['a=1'], h)
    jar.storeResponseCookies(['a=2'], h)
    expect(jar.get('a')).toBe('2')
    expect(jar.size).toBe(1)
    jar.storeResponseCookies(['a=gone; Max-Age=0'], h)
    expect(jar.get('a')).toBeUndefined()
    expect(jar.size).toBe(0)
  })

  it('deletes a cookie whose Expires is in the past', () => {
    const jar = new CookieJar()
    const h = url('http://h.test/')
    jar.storeResponseCookies(['a=1'], h)
    jar.storeResponseCookies(['a=1; Expires=Thu, 01 Jan 1970 00:00:01 GMT'], h)
    expect(jar.cookieHeader(h)).toBeUndefined()
  })

  it('keeps cookies set by hand and lists, filters and deletes them', () => {
    const jar = new CookieJar()
    jar.set('theme', 'dark')
    jar.set('lang', 'fr', { path: '/docs', domain: 'h.test', secure: true })
    expect(jar.cookieHeader(url('http://127.0.0.1/'))).toBe('theme=dark')
    expect(jar.cookieHeader(url('https://h.test/docs/a'))).toBe('lang=fr')
    expect([...jar].map((c) => c.name)).toEqual(['theme', 'lang'])
    expect(jar.get('lang', { path: '/' })).toBeUndefined()
    expect(jar.get('lang', { path: '/docs', domain: 'H.TEST' })).toBe('fr')
    jar.delete('lang', { path: '/other' })
    expect(jar.size).toBe(2)
    jar.delete('lang')
    expect(jar.size).toBe(1)
    jar.clear()
    expect(jar.size).toBe(0)
  })

  it('drops a cookie set by hand with an expiry in the past, and keeps a future one', () => {
    const jar = new CookieJar()
    jar.set('old', '1', { expires: new Date(0) })
    jar.set('new', '1', { expires: Date.now() + 3_600_000 })
    expect([...jar].map((c) => c.name)).toEqual(['new'])
  })
})
