import Router from '@koa/router'
import Koa from 'koa'
import type { Middleware as KoaMiddleware } from 'koa'
import mount from 'koa-mount'
import { expectTypeOf, test } from 'vitest'

import type { Middleware, WSGIApplication, WSGIEnvironment } from '@wsgi/core/types'

import { environOf, fromKoa, fromKoaMiddleware, toKoa, toKoaMiddleware } from './index.ts'

declare const app: WSGIApplication
declare const mw: Middleware

test('the to* functions give Koa middleware', () => {
  expectTypeOf(toKoa(app)).toExtend<KoaMiddleware>()
  expectTypeOf(toKoaMiddleware(mw)).toExtend<KoaMiddleware>()
  new Koa().use(toKoa(app, { fallthrough: true })).use(toKoaMiddleware(mw))
  new Koa().use(mount('/legacy', toKoa(app)))
  new Router().all('/legacy{/*rest}', toKoa(app))
})

test('the from* functions give gateway apps and middleware', () => {
  expectTypeOf(fromKoa(new Koa())).toEqualTypeOf<WSGIApplication>()
  expectTypeOf(
    fromKoa(new Koa<{ user: string }, { db: object }>()),
  ).toEqualTypeOf<WSGIApplication>()
  expectTypeOf(
    fromKoaMiddleware(async (_ctx, next) => {
      await next()
    }),
  ).toEqualTypeOf<Middleware>()
  expectTypeOf(fromKoaMiddleware([toKoa(app)], { app: new Koa() })).toEqualTypeOf<Middleware>()
})

test('environOf gives the environ, if any', () => {
  new Koa().use((ctx) => {
    expectTypeOf(environOf(ctx)).toEqualTypeOf<WSGIEnvironment | undefined>()
  })
})
