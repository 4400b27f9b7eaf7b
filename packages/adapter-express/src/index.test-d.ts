import { expectTypeOf, test } from 'vitest'
import express from 'express'
import type { RequestHandler } from 'express'

import type { Middleware, WSGIApplication } from '@wsgi/core/types'

import { fromExpress, fromExpressMiddleware, toExpress, toExpressMiddleware } from './index.ts'

declare const app: WSGIApplication
declare const mw: Middleware

test('the to* functions give Express request handlers', () => {
  expectTypeOf(toExpress(app)).toExtend<RequestHandler>()
  expectTypeOf(toExpressMiddleware(mw)).toExtend<RequestHandler>()
  express().use('/legacy', toExpress(app), toExpressMiddleware(mw))
})

test('the from* functions give gateway apps and middleware', () => {
  expectTypeOf(fromExpress(express())).toEqualTypeOf<WSGIApplication>()
  expectTypeOf(fromExpress(express.Router())).toEqualTypeOf<WSGIApplication>()
  expectTypeOf(fromExpressMiddleware(express.json())).toEqualTypeOf<Middleware>()
  expectTypeOf(fromExpressMiddleware([express.json(), express.text()])).toEqualTypeOf<Middleware>()
})
