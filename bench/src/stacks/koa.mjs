/**
 * The Koa stacks: the native app on its own server (baseline), the gateway app as Koa middleware
 * through `toKoa`, and the native app on the simple server through `fromKoa`.
 *
 * @module
 */
import Koa from 'koa'

import { gatewayApp } from '../apps/gateway.mjs'
import { koaApp } from '../apps/koa.mjs'
import { MOUNT } from '../workloads.mjs'
import { serveListener, serveSimple } from './node.mjs'

/** @typedef {import('./index.mjs').Running} Running */

/** @type {Record<string, () => Promise<Running>>} */
export const stacks = {
  // koa.listen() is http.createServer(koa.callback()).listen().
  koa: () => serveListener(koaApp().callback()),

  'koa-to': async () => {
    const { toKoa } = await import('@wsgi/adapter-koa')
    const koa = new Koa()
    // No koa-mount in the bench: the prefix is given by hand, as toKoa documents.
    koa.use(toKoa(gatewayApp, { scriptName: MOUNT }))
    return serveListener(koa.callback())
  },

  'koa-from': async () => {
    const { fromKoa } = await import('@wsgi/adapter-koa')
    return serveSimple(fromKoa(koaApp()))
  },
}
