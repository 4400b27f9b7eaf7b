/**
 * How `KoaHandler` hands a response head to Koa: the body through Koa's setter without a mime
 * lookup, one header at a time through `ctx.set`/`ctx.append`/`ctx.vary`, and the early flush of
 * a streamed body's head. Kept apart from the handler, which reads as the protocol.
 *
 * @module
 */
import type Koa from 'koa'

import type { BodyFeed } from '@wsgi/core/node'

/** The Koa context as this module uses it. */
type Context = Koa.ParameterizedContext

// Koa 3 asserts that these two headers get exactly one value.
function isSingleValue(lower: string): boolean {
  return lower === 'content-type' || lower === 'content-length'
}

/**
 * One response header onto `ctx`: one value, or all the values of a repeated name (`lower` is
 * the name in lower case). Unless replacing, `Set-Cookie` and `Vary` add to what is there.
 */
export function setHeader(
  ctx: Context,
  replace: boolean,
  lower: string,
  name: string,
  values: string | string[],
): void {
  // Appended as a list, as before: upstream middleware reads `getHeader()` back as an array.
  if (!replace && lower === 'set-cookie')
    ctx.append(name, typeof values === 'string' ? [values] : values)
  else if (!replace && lower === 'vary')
    ctx.vary(typeof values === 'string' ? values : values.join(','))
  else if (typeof values === 'string') ctx.set(name, values)
  else if (values.length === 1 || isSingleValue(lower)) ctx.set(name, values.at(-1) ?? '')
  else ctx.set(name, values)
}

/**
 * `ctx.body = body`, with no Content-Type left behind unless one was there before. Koa's setter
 * gives a body without one `application/octet-stream` (a mime lookup, a third of the setter's
 * time in the hello profile), which would be removed again at once: a placeholder set first
 * makes it skip that, and goes the same way. The headers end up as before, in the same order.
 */
export function setBody(ctx: Context, body: Buffer | BodyFeed): void {
  const res = ctx.res
  // Koa's setters do nothing once the head is out, where setHeader() would throw.
  if (res.headersSent || res.hasHeader('Content-Type')) {
    ctx.body = body
    return
  }
  res.setHeader('Content-Type', 'application/octet-stream')
  ctx.body = body
  res.removeHeader('Content-Type')
}

/**
 * Send the head of `res` as soon as Koa starts piping a body into it, unless `stream` has bytes
 * to send by then (they take the head along).
 */
export function flushOnPipe(res: Context['res'], stream: BodyFeed): void {
  res.once('pipe', () => {
    if (!res.headersSent && stream.readableLength === 0) res.flushHeaders()
  })
}
