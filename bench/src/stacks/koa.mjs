/**
 * The Koa stacks: the native app on its own server (baseline), the gateway app as Koa middleware
 * through `toKoa`, and the native app on the simple server through `fromKoa`; and the Express
 * middleware job: the app behind a header middleware written for Koa (baseline), the same
 * middleware written for Express through `koa-connect` (the peer) and through
 * `toKoaMiddleware(fromExpressMiddleware(mw))`.
 *
 * @module
 */
import Koa from 'koa'
import koaConnect from 'koa-connect'

import { gatewayApp } from '../apps/gateway.mjs'
import { koaApp } from '../apps/koa.mjs'
import { connectHeader, koaHeader } from '../apps/middleware.mjs'
import { MOUNT } from '../workloads.mjs'
import { serveListener, serveSimple } from './node.mjs'

/** @typedef {import('./index.mjs').Running} Running */

/** @type {Record<string, () => Promise<Running>>} */
export const stacks = {
  // koa.listen() is http.createServer(koa.callback()).listen().
  koa: () => serveListener(koaApp().callback()),
  // The same server in a second process: the A/A row, how far a ratio moves with nothing changed.
  'koa-again': () => serveListener(koaApp().callback()),

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

  'koa-mw': () => serveListener(koaApp([koaHeader]).callback()),

  'koa-connect': () => serveListener(koaApp([koaConnect(connectHeader)]).callback()),

  'koa-expressmw': async () => {
    const { toKoaMiddleware } = await import('@wsgi/adapter-koa')
    const { fromExpressMiddleware } = await import('@wsgi/adapter-express')
    return serveListener(koaApp([toKoaMiddleware(fromExpressMiddleware(connectHeader))]).callback())
  },
}
